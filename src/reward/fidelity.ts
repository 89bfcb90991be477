import { z } from 'zod';
import type { CallFidelity } from '../schema/fidelity.js';
import type { DatasetItem } from '../schema/item.js';
import { validateJson } from '../schema/json-schema.js';
import { responsesJsonSchema } from '../schema/tool-convert.js';
import type { ToolTemplate } from '../schema/tool.js';
import { tokenF1 } from '../text/answer.js';
import { normalizeAnswer } from '../text/normalize.js';
import { observationText } from './evidence.js';

/**
 * Simulation fidelity: one tool call answered by the real tool and by ToolActor, compared. Pure functions; the
 * `audit fidelity` job feeds them and writes what they return.
 */

/** A call agrees when the simulation names a real result title or its text reaches this token F1 with the real text. */
export const AGREE_MIN_F1 = 0.5;

/** What the call is judged against: the item's gold answers (aliases, and a sub-question's hop answers) and its supporting passages' titles. */
export interface FidelityGold {
  answers: readonly string[];
  titles: readonly string[];
}

/** An item's gold for judging its calls: its answers (and a sub-question's hop answers) and its supporting passages' titles. */
export const fidelityGold = (item: DatasetItem, hopAnswers: readonly string[] = []): { answers: string[]; titles: string[] } => ({
  answers: [...item.answers, ...hopAnswers],
  titles: (item.context ?? []).filter((p) => p.supporting).map((p) => p.title),
});

const share01 = z.number().min(0).max(1);

export { type CallFidelity, CallFidelitySchema } from '../schema/fidelity.js';

// Whole normalised tokens: "paris" is in "in paris france", not in "parisian".
const padded = (s: string): string => ` ${normalizeAnswer(s)} `;

/**
 * Does an observation support the gold? Its text (string leaves: titles and passages) contains a gold answer or a
 * supporting title, both after the official answer normalisation, as whole tokens. Golds that normalise to
 * nothing (an answer "The") never count.
 */
export function supports(content: unknown, gold: FidelityGold): boolean {
  const text = padded(observationText(content));
  return [...gold.answers, ...gold.titles].some((g) => normalizeAnswer(g) !== '' && text.includes(padded(g)));
}

/** The `title` strings anywhere in an observation (wiki_search: its results' titles), normalised, blanks dropped. */
export function titlesOf(content: unknown): string[] {
  if (Array.isArray(content)) return content.flatMap(titlesOf);
  if (!content || typeof content !== 'object') return [];
  return Object.entries(content).flatMap(([k, v]) => (k === 'title' && typeof v === 'string' ? [normalizeAnswer(v)].filter(Boolean) : titlesOf(v)));
}

/** Share of the real titles (distinct) also among the simulated ones; null when the real answer has no title. */
export function titleOverlap(real: unknown, simulated: unknown): number | null {
  const want = new Set(titlesOf(real));
  if (!want.size) return null;
  const got = new Set(titlesOf(simulated));
  return [...want].filter((t) => got.has(t)).length / want.size;
}

/**
 * One call's figures. `simulated` is undefined when ToolActor gave no answer (its attempts failed): not schema
 * valid, no support, no overlap.
 */
export function callFidelity(tool: ToolTemplate, real: unknown, simulated: unknown, gold: FidelityGold): CallFidelity {
  const answered = simulated !== undefined;
  const schema_valid = answered && validateJson(responsesJsonSchema(tool), simulated).ok;
  const support_real = supports(real, gold);
  const support_simulated = answered && supports(simulated, gold);
  const overlap = answered ? titleOverlap(real, simulated) : titlesOf(real).length ? 0 : null;
  const token_f1 = answered ? tokenF1(observationText(simulated), observationText(real)).f1 : 0;
  return {
    schema_valid,
    support_real,
    support_simulated,
    title_overlap: overlap,
    token_f1,
    agree: (overlap ?? 0) > 0 || token_f1 >= AGREE_MIN_F1,
    contradiction: support_real && !support_simulated,
    leak: support_simulated && !support_real,
  };
}

/** One (tool, grounding mode) row of fidelity.json: shares in [0, 1], means over its calls. */
export const FidelityEntrySchema = z.object({
  tool: z.string(),
  mode: z.string(),
  calls: z.number().int(),
  /** calls whose simulation failed (no answer after its attempts): they count as invalid, unsupported and disagreeing */
  failed: z.number().int(),
  schema_valid: share01,
  support_real: share01,
  support_simulated: share01,
  agreement: share01,
  contradiction: share01,
  leak: share01,
  /** mean over the calls whose real answer has titles (null when none has) */
  title_overlap: share01.nullable(),
  token_f1: share01,
  latency_ms_real: z.number(),
  latency_ms_simulated: z.number(),
});
export type FidelityEntry = z.infer<typeof FidelityEntrySchema>;

/** What aggregation needs of one audited call. */
export interface AuditedCall {
  tool: string;
  mode: string;
  metrics: CallFidelity;
  failed: boolean;
  latency_ms_real: number;
  latency_ms_simulated: number;
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const share = (xs: readonly AuditedCall[], f: (m: CallFidelity) => boolean): number => mean(xs.map((x) => (f(x.metrics) ? 1 : 0)));

/** Per (tool, mode), in the order each pair first appears. */
export function aggregateFidelity(calls: readonly AuditedCall[]): FidelityEntry[] {
  const groups = new Map<string, AuditedCall[]>();
  for (const c of calls) {
    const key = JSON.stringify([c.tool, c.mode]);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()].map((g) => {
    const overlaps = g.flatMap((c) => (c.metrics.title_overlap === null ? [] : [c.metrics.title_overlap]));
    return {
      tool: g[0]!.tool,
      mode: g[0]!.mode,
      calls: g.length,
      failed: g.filter((c) => c.failed).length,
      schema_valid: share(g, (m) => m.schema_valid),
      support_real: share(g, (m) => m.support_real),
      support_simulated: share(g, (m) => m.support_simulated),
      agreement: share(g, (m) => m.agree),
      contradiction: share(g, (m) => m.contradiction),
      leak: share(g, (m) => m.leak),
      title_overlap: overlaps.length ? mean(overlaps) : null,
      token_f1: mean(g.map((c) => c.metrics.token_f1)),
      latency_ms_real: mean(g.map((c) => c.latency_ms_real)),
      latency_ms_simulated: mean(g.map((c) => c.latency_ms_simulated)),
    };
  });
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** The one-line verdict of an entry. */
export const fidelityVerdict = (e: FidelityEntry): string =>
  `${e.tool}/${e.mode}: simulated agrees with real on ${pct(e.agreement)} of ${e.calls} calls; answer support real ${pct(e.support_real)} vs simulated ${pct(e.support_simulated)}`;
