import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultInstructions } from '../../src/pipeline/prompt-instructions.js';
import { seededRandom } from '../../src/carg/taxonomy.js';
import { SHARED_DATASETS } from '../support/paths.js';

/**
 * A seeded generator of Search-R1-style rollouts for "which answer counts" and format checks: zero, one,
 * several, unclosed, empty, nested answers and answers inside a think; well-formed sequences and the ways
 * Search-R1's is_valid_sequence rejects one. Each rollout comes in five forms a trainer may send: the full
 * chat sequence, the same with a `prompt` field, the response alone, the skip_special_tokens decoding, and
 * the base-model sequence (instruction without chat template). Gold comes from the shared QA files.
 * `npx tsx test/reward/rollout-fixtures.ts > rollouts.jsonl` writes them for a side-by-side run of peer code.
 */

export type Form = 'chat' | 'prompt-field' | 'response' | 'decoded' | 'base';
export const FORMS: readonly Form[] = ['chat', 'prompt-field', 'response', 'decoded', 'base'];

export interface Rollout {
  /** the rollout line as mtr receives it */
  line: { id: string; data_source: string; completion: string; prompt?: string; golden_answers: string[] };
  form: Form;
  /** the sequence Search-R1's reward sees for this rollout (prompt + response, special tokens kept) */
  searchR1Sequence: string;
  /** by construction: the answer that counts, and whether the response is a well-formed Search-R1 sequence */
  expectedAnswer: string | undefined;
  expectedValid: boolean;
}

interface Item {
  source: string;
  question: string;
  gold: string[];
}

function loadItems(): Item[] {
  const jsonl = (file: string) =>
    readFileSync(join(SHARED_DATASETS, file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { question: string; answer: string });
  const musique = JSON.parse(readFileSync(join(SHARED_DATASETS, 'musique/musique_train_100_with_paragraphs.json'), 'utf8')) as {
    question: string;
    answer: string;
    answer_aliases: string[];
  }[];
  return [
    ...jsonl('hotpotqa/hotpot_dev_qa_500.jsonl')
      .slice(0, 40)
      .map((r) => ({ source: 'hotpotqa', question: r.question, gold: [r.answer] })),
    ...jsonl('2wiki/2wiki_dev_qa_500.jsonl')
      .slice(0, 30)
      .map((r) => ({ source: '2wikimultihopqa', question: r.question, gold: [r.answer] })),
    ...jsonl('bamboogle/bamboogle.jsonl')
      .slice(0, 30)
      .map((r) => ({ source: 'bamboogle', question: r.question, gold: [r.answer] })),
    ...musique.slice(0, 30).map((r) => ({ source: 'musique', question: r.question, gold: [r.answer, ...r.answer_aliases] })),
  ];
}

const passages = (JSON.parse(readFileSync(join(SHARED_DATASETS, 'corpus/2wiki_corpus_6119.json'), 'utf8')) as { title: string; text: string }[]).filter(
  (p) => !/[<>]/.test(p.title + p.text),
);

const ANSWER_SHAPES = [
  'none-after-think',
  'none-after-information',
  'one',
  'several-last-right',
  'several-last-wrong',
  'unclosed-alone',
  'unclosed-after-closed',
  'empty',
  'in-think',
  'nested',
] as const;
const BREAKS = ['none', 'none', 'none', 'no-think', 'text-between', 'trailing', 'double-think', 'search-no-information', 'hermes-call'] as const;

export function generateRollouts(seed = 12): Rollout[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const items = loadItems();
  const [instruction] = defaultInstructions();
  const pad = () => pick(['', ' ', '  ', '\n', ' \n ']);
  const variant = (g: string) => pick([g, g.toLowerCase(), `the ${g}`, `${g}.`, `  ${g}\n`, g.toUpperCase()]);
  const think = () => `<think>${pick(['I need to search.', 'Let me think about it.', 'The passage says so.', 'Hmm, two hops.'])}</think>`;
  const information = () =>
    `\n\n<information>${Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, i) => {
      const p = pick(passages);
      return `Doc ${i + 1}(Title: ${p.title}) ${p.text}`;
    }).join('\n')}</information>\n\n`;
  const search = (q: string) => `<search> ${q} </search>`;
  const out: Rollout[] = [];

  items.forEach((item, n) => {
    const wrong = items[(n + 7) % items.length]!.gold[0]!;
    const right = variant(pick(item.gold));
    const shape = ANSWER_SHAPES[n % ANSWER_SHAPES.length]!;
    const brk = shape === 'one' ? pick(BREAKS) : 'none';
    // the searches, as Search-R1's loop writes them
    let response = '';
    for (let k = Math.floor(rand() * 3); k > 0; k--) response += `${think()}\n${search(item.question.slice(0, 40))}${information()}`;
    let expectedAnswer: string | undefined;
    let valid = false;
    const answer = (a: string) => `<answer>${pad()}${a}${pad()}</answer>`;
    switch (shape) {
      case 'none-after-think':
        response += think();
        break;
      case 'none-after-information':
        response += `${think()}\n${search('more')}${information()}`;
        break;
      case 'one': {
        const a = rand() < 0.6 ? right : wrong;
        expectedAnswer = a.trim();
        valid = true;
        if (brk === 'none') response += `${think()}\n${answer(a)}`;
        else if (brk === 'no-think') response += answer(a);
        else if (brk === 'text-between') response += `${think()}\nSo the answer is ${answer(a)}`;
        else if (brk === 'trailing') response += `${think()}\n${answer(a)}\nDone.`;
        else if (brk === 'double-think') response += `${think()}${think()}\n${answer(a)}`;
        else if (brk === 'search-no-information') response += `${think()}\n${search('x')}\n${think()}\n${answer(a)}`;
        else response += `${think()}\n<tool_call>{"name":"wiki_search","arguments":{"query":"x"}}</tool_call>\n${think()}\n${answer(a)}`;
        valid = brk === 'none';
        break;
      }
      case 'several-last-right':
        response += `${think()}\n${answer(wrong)}\n${think()}\n${answer(right)}`;
        expectedAnswer = right.trim();
        break;
      case 'several-last-wrong':
        response += `${think()}\n${answer(right)}\n${think()}\n${answer(wrong)}`;
        expectedAnswer = wrong.trim();
        break;
      case 'unclosed-alone':
        response += `${think()}\n<answer> ${right}`;
        break;
      case 'unclosed-after-closed':
        response += `${think()}\n${answer(wrong)}\n${think()}\n<answer> ${right}`;
        expectedAnswer = wrong.trim();
        break;
      case 'empty':
        response += `${think()}\n<answer>${pad()}</answer>`;
        expectedAnswer = '';
        valid = true;
        break;
      case 'in-think':
        response += `<think>Maybe <answer> ${right} </answer> but let me check.</think>`;
        expectedAnswer = right.trim();
        break;
      case 'nested':
        response += `${think()}\n<answer> ${wrong} <answer> ${right} </answer>`;
        expectedAnswer = `${wrong} <answer> ${right}`.trim();
        break;
    }
    const question = item.question.trim().endsWith('?') ? item.question.trim() : `${item.question.trim()}?`;
    const user = `${instruction}${question}\n`;
    const chatPrompt = `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`;
    const chat = `${chatPrompt}${response}<|im_end|>`;
    const base = { id: `${n}`, data_source: `searchR1_${item.source}`, golden_answers: item.gold };
    for (const form of FORMS) {
      const line =
        form === 'chat'
          ? { ...base, completion: chat }
          : form === 'prompt-field'
            ? { ...base, completion: chatPrompt + response, prompt: chatPrompt }
            : form === 'response'
              ? { ...base, completion: response }
              : form === 'decoded'
                ? { ...base, completion: `system\nYou are a helpful assistant.\nuser\n${user}\nassistant\n${response}` }
                : { ...base, completion: `${user}${response}` };
      out.push({
        line: { ...line, id: `${n}-${form}` },
        form,
        // Search-R1 cuts the response after </answer> (_postprocess_responses), so its sequence has no closing token
        searchR1Sequence: form === 'base' ? `${user}${response}` : chatPrompt + response,
        expectedAnswer,
        expectedValid: valid,
      });
    }
  });
  return out;
}

if (process.argv[1]?.endsWith('rollout-fixtures.ts')) for (const r of generateRollouts()) process.stdout.write(`${JSON.stringify(r)}\n`);
