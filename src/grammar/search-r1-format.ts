import { pyStrip } from './answer.js';
import { close, open, SEARCH_R1_TAGS as T } from './tags.js';

/**
 * Search-R1's `is_valid_sequence` (verl/utils/reward_score/qa_em_format.py) on the response, i.e. the text after
 * the assistant marker: every tag balanced by count, then think → (search → information → think)* → answer with
 * only blanks between tags and no tag inside another. `reason` is Search-R1's message.
 */
const TAG_NAMES = [T.think, T.search, T.information, T.answer] as const;
const SPLIT = new RegExp(`(</?(?:${TAG_NAMES.join('|')})>)`);
const IS_TAG = new RegExp(`^</?(?:${TAG_NAMES.join('|')})>`);

type State = 'start' | 'in_think' | 'after_think' | 'in_search' | 'after_search' | 'in_information' | 'information' | 'in_answer' | 'end';
const MOVES: Record<string, [from: readonly State[], to: State]> = {
  [open(T.think)]: [['start', 'information'], 'in_think'],
  [close(T.think)]: [['in_think'], 'after_think'],
  [open(T.search)]: [['after_think'], 'in_search'],
  [close(T.search)]: [['in_search'], 'after_search'],
  [open(T.information)]: [['after_search'], 'in_information'],
  [close(T.information)]: [['in_information'], 'information'],
  [open(T.answer)]: [['after_think'], 'in_answer'],
  [close(T.answer)]: [['in_answer'], 'end'],
};
const INSIDE: readonly State[] = ['in_think', 'in_search', 'in_information', 'in_answer'];
const BETWEEN: readonly State[] = ['start', 'after_think', 'after_search', 'information'];
const count = (text: string, tag: string): number => text.split(tag).length - 1;
// Python's `not part.strip()`, so "only blanks" means what it means there
const blank = (s: string): boolean => pyStrip(s) === '';

export function searchR1ValidSequence(content: string): { valid: boolean; reason: string } {
  for (const tag of TAG_NAMES) {
    const o = count(content, open(tag));
    const c = count(content, close(tag));
    if (o !== c) return { valid: false, reason: `Mismatch in ${tag} tags: ${o} opening vs ${c} closing tags` };
  }
  let state: State = 'start';
  for (const part of content.split(SPLIT)) {
    if (blank(part)) continue;
    if (IS_TAG.test(part)) {
      const move = MOVES[part];
      if (!move || !move[0].includes(state)) return { valid: false, reason: `Unexpected tag ${part} in state ${state}` };
      state = move[1];
    } else if (BETWEEN.includes(state)) return { valid: false, reason: `Unexpected content '${pyStrip(part)}' between tags (state: ${state})` };
    else if (!INSIDE.includes(state)) return { valid: false, reason: `Unexpected content in state ${state}` };
  }
  return state === 'end' ? { valid: true, reason: 'Valid sequence format' } : { valid: false, reason: `Incomplete sequence, ended in state ${state}` };
}
