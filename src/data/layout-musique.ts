import { z } from 'zod';
import { anyText, boolean, defineLayout, goldAnswers, object, pickId, pickMeta, recordId, text, textList } from './layout.js';
import { fromPythonRepr } from './python-literal.js';

/** A field some MuSiQue copies store as its Python repr (`"[{'id': 1, ...}]"`, `"True"`): parsed, never dropped. */
const repr = <S extends z.ZodType>(schema: S) => z.preprocess(fromPythonRepr, schema);

const paragraph = object({
  idx: z.number().optional(),
  title: anyText,
  paragraph_text: anyText,
  is_supporting: repr(boolean.optional()),
});
const hop = object({
  id: z.unknown().optional(),
  question: text,
  answer: anyText,
  paragraph_support_idx: z.number().nullable().optional(),
});

/**
 * MuSiQue (original JSONL or KAG's JSON array): answer + aliases, 20 paragraphs, gold decomposition; also
 * without paragraphs (aliases and decomposition kept), and with list/boolean fields as Python-repr strings.
 */
export const musiqueLayout = defineLayout({
  name: 'musique',
  fields: '{id, question, answer, answer_aliases[], paragraphs?:[{idx,title,paragraph_text,is_supporting}], question_decomposition[]}',
  detect: (r) => 'question' in r && ('paragraphs' in r || 'question_decomposition' in r || 'answer_aliases' in r),
  schema: object({
    id: recordId.optional(),
    question: text,
    answer: text,
    answer_aliases: repr(textList.optional()),
    answerable: repr(boolean.optional()),
    paragraphs: repr(z.array(paragraph, { error: 'a list of paragraphs' }).optional()),
    question_decomposition: repr(z.array(hop, { error: 'a list of hops' }).optional()),
  }),
  toItem: (r, ctx) => ({
    id: pickId(ctx, r.id),
    dataset: ctx.dataset,
    question: r.question,
    answers: goldAnswers(r.answer, ...(r.answer_aliases ?? [])),
    ...(r.paragraphs?.length ? { context: r.paragraphs.map((p) => ({ title: p.title, text: p.paragraph_text, supporting: p.is_supporting ?? false })) } : {}),
    ...(r.question_decomposition?.length
      ? { decomposition: r.question_decomposition.map((h) => ({ question: h.question, answers: goldAnswers(h.answer) })) }
      : {}),
    meta: pickMeta({ answerable: r.answerable }),
  }),
});
