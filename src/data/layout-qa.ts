import { z } from 'zod';
import { anyText, defineLayout, goldAnswers, nonEmptyTextList, object, pickId, pickMeta, recordId, text } from './layout.js';
import { hotpotContextFromHf } from './layout-hotpot.js';

/** R1-Searcher eval sets (and any plain `{question, answer}` file): one gold answer string. */
export const qaLayout = defineLayout({
  name: 'qa',
  fields: '{idx|id, question, answer} (R1-Searcher: {idx, question, answer, gen_text_store})',
  detect: (r) => 'question' in r && 'answer' in r,
  schema: object({
    id: recordId.optional(),
    idx: recordId.optional(),
    question: text,
    answer: text,
    gen_text_store: anyText.optional(),
  }),
  toItem: (r, ctx) => ({
    id: pickId(ctx, r.id, r.idx),
    dataset: ctx.dataset,
    question: r.question,
    answers: goldAnswers(r.answer),
    // R1-Searcher leaves gen_text_store empty in its eval sets; keep it only when it says something.
    meta: pickMeta({ gen_text_store: r.gen_text_store || undefined }),
  }),
});

// FlashRAG copies HotpotQA's HF context into `metadata`; reuse it as passages when it is there and well formed.
const FlashragHotpotMeta = z.object({
  context: z.object({ title: z.array(z.string()), sentences: z.array(z.array(z.string())) }),
  supporting_facts: z.object({ title: z.array(z.string()), sent_id: z.array(z.number()) }).optional(),
});

/** FlashRAG (RUC-NLPIR/FlashRAG_datasets): `golden_answers` is already an alias list. */
export const flashragLayout = defineLayout({
  name: 'flashrag',
  fields: '{id, question, golden_answers[], metadata?}',
  // Search-R1 keeps FlashRAG's columns in its verl rows: those are the verl layout's.
  detect: (r) => 'golden_answers' in r && !('reward_model' in r && 'prompt' in r),
  schema: object({
    id: recordId.optional(),
    question: text,
    golden_answers: nonEmptyTextList,
    metadata: z.record(z.string(), z.unknown(), { error: 'an object' }).optional(),
  }),
  toItem: (r, ctx) => {
    const hotpot = FlashragHotpotMeta.safeParse(r.metadata);
    const { context: _context, ...rest } = r.metadata ?? {};
    return {
      id: pickId(ctx, r.id),
      dataset: ctx.dataset,
      question: r.question,
      answers: goldAnswers(...r.golden_answers),
      ...(hotpot.success ? { context: hotpotContextFromHf(hotpot.data.context, hotpot.data.supporting_facts?.title ?? []) } : {}),
      meta: pickMeta(hotpot.success ? rest : (r.metadata ?? {})),
    };
  },
});
