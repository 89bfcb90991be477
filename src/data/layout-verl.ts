import { z } from 'zod';
import { anyText, defineLayout, goldAnswers, object, pickId, pickMeta, recordId, text, textList } from './layout.js';
import { fromPythonRepr } from './python-literal.js';
import { chatPrompt, questionOf } from './chat-prompt.js';

const answerText = z.union([z.string(), z.number()], { error: 'a string or a number' }).transform(String);
/** A list of answers, some repositories writing it as its repr (`"['a', 'b']"`), or one answer. */
const answerList = z.preprocess(
  (v) => (typeof v === 'string' && v.trim().startsWith('[') ? fromPythonRepr(v) : v),
  z.union([answerText.transform((a) => [a]), z.array(answerText)], { error: 'a string or a list of strings' }),
);
const groundTruth = z.union([object({ target: answerList }), answerList], { error: 'a string, a list of strings or {target}' });
const scalarText = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

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
    prompt: chatPrompt,
    ability: anyText.optional(),
    reward_model: object({ ground_truth: groundTruth, style: anyText.optional() }),
    extra_info: z.record(z.string(), z.unknown(), { error: 'an object' }).nullable().optional(),
  }).refine((r) => r.question !== undefined || r.prompt.some((m) => m.role === 'user' && m.content.trim() !== ''), {
    error: 'a question, or a user turn in the prompt',
    path: ['prompt'],
  }),
  toItem: (r, ctx) => {
    const truth = r.reward_model.ground_truth;
    return {
      // Search-R1 keeps FlashRAG's `id`; mtr's export writes the item id as `extra_info.id` (as `mtr score` reads
      // it); `extra_info.index` only counts rows within a split, the last resort.
      id: pickId(ctx, r.id, scalarText(r.extra_info?.id), scalarText(r.extra_info?.index)),
      dataset: ctx.dataset,
      question: r.question ?? questionOf(r.prompt),
      answers: goldAnswers(...(r.golden_answers ?? []), ...(Array.isArray(truth) ? truth : truth.target)),
      meta: pickMeta({ data_source: r.data_source || undefined, ability: r.ability || undefined, split: r.extra_info?.split }),
    };
  },
});
