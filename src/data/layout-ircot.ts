import { z } from 'zod';
import { anyText, defineLayout, goldAnswers, object, pickId, recordId, text } from './layout.js';

const part = z.union([z.string(), z.number()], { error: 'a string or a number' }).transform(String);
const answerObject = object({
  spans: z.array(anyText, { error: 'a list of strings' }).optional(),
  number: part.optional(),
  date: object({ day: part.optional(), month: part.optional(), year: part.optional() }).optional(),
});
const context = object({
  idx: z.number().optional(),
  title: anyText,
  paragraph_text: anyText,
  is_supporting: z.boolean({ error: 'true or false' }).optional(),
});

/** One DROP-style answer object as answer strings: its spans, its number, its date as "day month year". */
export function answerObjectStrings(a: z.infer<typeof answerObject>): string[] {
  const date = [a.date?.day, a.date?.month, a.date?.year]
    .map((p) => p?.trim() ?? '')
    .filter((p) => p !== '')
    .join(' ');
  return [...(a.spans ?? []), a.number ?? '', date].filter((s) => s.trim() !== '');
}

/** IRCoT processed data (StonyBrookNLP/ircot `processed_data/*`): DROP-style answer objects and contexts. */
export const ircotLayout = defineLayout({
  name: 'ircot',
  fields: '{question_id, question_text, answers_objects:[{spans,number,date}], contexts:[{title,paragraph_text,is_supporting}]}',
  detect: (r) => 'question_text' in r && 'answers_objects' in r,
  schema: object({
    question_id: recordId.optional(),
    question_text: text,
    answers_objects: z.array(answerObject, { error: 'a list of answer objects' }),
    contexts: z.array(context, { error: 'a list of contexts' }).optional(),
  }),
  toItem: (r, ctx) => ({
    id: pickId(ctx, r.question_id),
    dataset: ctx.dataset,
    question: r.question_text,
    answers: goldAnswers(...r.answers_objects.flatMap(answerObjectStrings)),
    ...(r.contexts?.length ? { context: r.contexts.map((c) => ({ title: c.title, text: c.paragraph_text, supporting: c.is_supporting ?? false })) } : {}),
  }),
});
