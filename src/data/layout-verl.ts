import { z } from 'zod';
import { anyText, defineLayout, goldAnswers, object, pickId, pickMeta, recordId, text, textList } from './layout.js';
import { fromPythonRepr } from './python-literal.js';

const answerText = z.union([z.string(), z.number()], { error: 'a string or a number' }).transform(String);
/** A list of answers, some repositories writing it as its repr (`"['a', 'b']"`), or one answer. */
const answerList = z.preprocess(
  (v) => (typeof v === 'string' && v.trim().startsWith('[') ? fromPythonRepr(v) : v),
  z.union([answerText.transform((a) => [a]), z.array(answerText)], { error: 'a string or a list of strings' }),
);
const groundTruth = z.union([object({ target: answerList }), answerList], { error: 'a string, a list of strings or {target}' });
const message = object({ role: anyText, content: anyText });

/**
 * Search-R1's instruction ends with "Question: <question>" (prompts/search-r1.md); so do most verl
 * QA prompts. The question is what follows the last such marker, else the whole turn.
 */
export function questionFromPrompt(content: string): string {
  const at = content.lastIndexOf('Question:');
  return (at < 0 ? content : content.slice(at + 'Question:'.length)).trim();
}

/**
 * Search-R1 / verl RL rows: `{data_source, prompt:[{role,content}], ability, reward_model:{ground_truth}, extra_info}`,
 * with Search-R1's `{id, question, golden_answers}` alongside, or with the question only inside the prompt.
 */
export const verlLayout = defineLayout({
  name: 'verl',
  fields: '{id?, question?, golden_answers?, data_source, prompt:[{role,content}], ability, reward_model:{ground_truth:{target}|str}, extra_info}',
  detect: (r) => 'reward_model' in r && 'prompt' in r,
  schema: object({
    id: recordId.optional(),
    question: text.optional(),
    golden_answers: textList.optional(),
    data_source: anyText.optional(),
    prompt: z.union([anyText.transform((content) => [{ role: 'user', content }]), z.array(message)], { error: 'a string or a list of {role, content}' }),
    ability: anyText.optional(),
    reward_model: object({ ground_truth: groundTruth, style: anyText.optional() }),
    extra_info: z.record(z.string(), z.unknown(), { error: 'an object' }).nullable().optional(),
  }).refine((r) => r.question !== undefined || r.prompt.some((m) => m.role === 'user' && m.content.trim() !== ''), {
    error: 'a question, or a user turn in the prompt',
    path: ['prompt'],
  }),
  toItem: (r, ctx) => {
    const user = r.prompt.filter((m) => m.role === 'user').at(-1);
    const truth = r.reward_model.ground_truth;
    const index = r.extra_info?.index;
    return {
      id: pickId(ctx, r.id, typeof index === 'string' || typeof index === 'number' ? String(index) : undefined),
      dataset: ctx.dataset,
      question: r.question ?? questionFromPrompt(user?.content ?? ''),
      answers: goldAnswers(...(r.golden_answers ?? []), ...(Array.isArray(truth) ? truth : truth.target)),
      meta: pickMeta({ data_source: r.data_source || undefined, ability: r.ability || undefined, split: r.extra_info?.split }),
    };
  },
});
