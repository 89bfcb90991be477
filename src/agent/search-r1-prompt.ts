import { SEARCH_R1_TAGS as T } from '../grammar/tags.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';

// Apart from the agent loop so that what only needs the prompt text (exports, the reward's prompt detection)
// does not load the model layer.

/** nq_search.py's process_fn: the question stripped, with a `?` added when it does not end with one. */
export const searchR1Question = (question: string): string => {
  const q = question.trim();
  return q.endsWith('?') ? q : `${q}?`;
};

/** The user turn Search-R1 trains and rolls out with (make_prefix, template base), byte for byte. */
export function searchR1Prompt(question: string): string {
  return fillPrompt(loadPrompt('search-r1'), {
    think_tag: T.think,
    search_tag: T.search,
    information_tag: T.information,
    answer_tag: T.answer,
    question: searchR1Question(question),
  });
}
