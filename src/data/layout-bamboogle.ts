import { z } from 'zod';
import type { Hop } from '../schema/item.js';
import { defineLayout, goldAnswers, nonEmptyTextList, pickId, recordId, text } from './layout.js';

// Hops are Q1/A1, Q2/A2, …; a loose object keeps them after the fixed fields are checked.
const schema = z
  .looseObject({ id: recordId.optional(), Question: text, Answer: text, Q1: text, A1: nonEmptyTextList }, { error: 'an object' })
  .superRefine((r, ctx) => {
    for (let n = 2; `Q${n}` in r; n++) {
      for (const [key, part] of [
        [`Q${n}`, text],
        [`A${n}`, nonEmptyTextList],
      ] as const) {
        const parsed = part.safeParse(r[key]);
        if (!parsed.success) ctx.addIssue({ code: 'custom', path: [key], message: parsed.error.issues[0]?.message ?? 'a valid hop' });
      }
    }
  });

function hops(r: Record<string, unknown>): Hop[] {
  const out: Hop[] = [];
  for (let n = 1; `Q${n}` in r; n++) out.push({ question: r[`Q${n}`] as string, answers: goldAnswers(...(r[`A${n}`] as string[])) });
  return out;
}

/**
 * Bamboogle with its gold 2-hop decomposition (comp-gap `data/bamboogle.json`). The last hop asks the
 * original question about the resolved entity, so its answers are aliases of the final answer.
 */
export const bamboogleDecomposedLayout = defineLayout({
  name: 'bamboogle-decomposed',
  fields: '{Question, Answer, Q1, A1[], Q2, A2[], …}',
  detect: (r) => 'Question' in r && 'Q1' in r,
  schema,
  toItem: (r, ctx) => {
    const decomposition = hops(r);
    return {
      id: pickId(ctx, r.id),
      dataset: ctx.dataset,
      question: r.Question,
      answers: goldAnswers(r.Answer, ...(decomposition.at(-1)?.answers ?? [])),
      decomposition,
    };
  },
});
