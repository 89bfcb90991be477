import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RoleModel } from '../llm/role.js';
import { inputError } from '../schema/errors.js';
import { jsonLines } from '../text/jsonl.js';
import type { ModelCall } from '../schema/model-call.js';
import type { CargRepository } from '../store/index.js';
import type { Embedder } from './dedup.js';
import { askJson } from './judge.js';
import { prepareRows, summarize } from './repository.js';

/** Seal-Tools' `field.jsonl`: one `{Field: [subfields]}` per line. */
export function readFieldFile(file: string): { field: string; subfields: string[] }[] {
  const out: { field: string; subfields: string[] }[] = [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw inputError('E_INPUT', file, undefined, undefined, `expected a readable field file, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  for (const { line, text: json } of jsonLines(text)) {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw inputError('E_INPUT', file, line, undefined, `expected JSON, got invalid JSON: ${(e as Error).message}`);
    }
    const ok =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => Array.isArray(v) && v.every((s) => typeof s === 'string'));
    if (!ok) throw inputError('E_INPUT', file, line, undefined, 'expected {"Field": ["subfield", …]}');
    for (const [field, subfields] of Object.entries(value as Record<string, string[]>)) out.push({ field, subfields });
  }
  return out;
}

/** mulberry32: a small seeded generator, so the exemplar pairs are the same on every run with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const key = (s: string): string => s.trim().toLowerCase();
const FieldsAnswer = z.object({ fields: z.array(z.string().min(1)).min(1) });
const SubfieldsAnswer = z.object({ subfields: z.array(z.string().min(1)).min(1) });
const ToolsAnswer = z.object({ tools: z.array(z.record(z.string(), z.unknown())).min(1) });

const ask = <S extends z.ZodType>(
  model: RoleModel,
  name: string,
  values: Record<string, string | number>,
  schema: S,
  calls: ModelCall[],
): Promise<z.infer<S>> => askJson(model, name, values, schema, (c) => calls.push(c));

export interface ExpandOptions {
  model: RoleModel;
  /** a field file (Seal-Tools field.jsonl) to seed the taxonomy with */
  seedFile?: string;
  /** rounds of new-field proposals, each from a random pair of existing fields */
  fieldRounds: number;
  fieldsPerRound: number;
  /** subfields asked for each field that has none */
  subfields: number;
  /** tools asked for each (field, subfield) without generated tools */
  toolsPer: number;
  /** most (field, subfield) pairs to generate tools for in this run */
  pairLimit: number;
  seed: number;
  threshold?: number;
  embedder?: Embedder;
  onProgress?: (p: { stage: string; done: number; failed: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface ExpandSummary {
  new_fields: number;
  new_subfields: number;
  pairs: number;
  imported: number;
  rejected: number;
  duplicates: number;
  by_reason: Record<string, number>;
}

/**
 * Taxonomy expansion (GTM §1): new fields from random exemplar pairs, subfields for fields that have none,
 * then tools per (field, subfield), each checked and deduplicated like an import. Every step is stored as
 * it finishes, so a re-run continues where the last one stopped (field rounds are counted from the store).
 */
export async function expandTaxonomy(repo: CargRepository, opts: ExpandOptions): Promise<ExpandSummary> {
  const summary: ExpandSummary = { new_fields: 0, new_subfields: 0, pairs: 0, imported: 0, rejected: 0, duplicates: 0, by_reason: {} };
  if (opts.seedFile)
    await repo.addFields(
      readFieldFile(opts.seedFile).flatMap(({ field, subfields }) => [
        { field, origin: 'seed' as const },
        ...subfields.map((subfield) => ({ field, subfield, origin: 'seed' as const })),
      ]),
    );
  const random = seededRandom(opts.seed);
  const fieldNames = async () => [...new Set((await repo.listFields()).map((f) => f.field))];
  const doneRounds = await repo.countFieldRounds();
  for (let i = 0; i < doneRounds * 2; i++) random(); // the same pairs as an uninterrupted run
  for (let round = doneRounds; round < opts.fieldRounds && !opts.signal?.aborted; round++) {
    const names = await fieldNames();
    if (names.length < 2) break;
    const a = names[Math.floor(random() * names.length)]!;
    let b = names[Math.floor(random() * names.length)]!;
    if (b === a) b = names[(names.indexOf(a) + 1) % names.length]!;
    const calls: ModelCall[] = [];
    const answer = await ask(
      opts.model,
      'carg-expand-fields',
      { field_a: a, field_b: b, existing: names.join(', '), count: opts.fieldsPerRound },
      FieldsAnswer,
      calls,
    );
    const known = new Set(names.map(key));
    const fresh = [...new Set(answer.fields.map((f) => f.trim()))].filter((f) => !known.has(key(f)));
    summary.new_fields += await repo.addFields(
      fresh.map((field) => ({ field, origin: 'model' as const })),
      calls,
    );
    opts.onProgress?.({ stage: 'fields', done: round + 1, failed: 0, total: opts.fieldRounds });
  }
  const withSubfields = new Set((await repo.listFields()).filter((r) => r.subfield !== '').map((r) => r.field));
  const bare = (await fieldNames()).filter((f) => !withSubfields.has(f));
  for (const [i, field] of bare.entries()) {
    if (opts.signal?.aborted) break;
    const calls: ModelCall[] = [];
    const answer = await ask(opts.model, 'carg-expand-subfields', { field, count: opts.subfields }, SubfieldsAnswer, calls);
    summary.new_subfields += await repo.addFields(
      [...new Set(answer.subfields.map((s) => s.trim()))].map((subfield) => ({ field, subfield, origin: 'model' as const })),
      calls,
    );
    opts.onProgress?.({ stage: 'subfields', done: i + 1, failed: 0, total: bare.length });
  }
  const pairs = (await repo.listFields()).filter((f) => f.subfield !== '' && !f.tools_done).slice(0, opts.pairLimit);
  for (const [i, pair] of pairs.entries()) {
    if (opts.signal?.aborted) break;
    const calls: ModelCall[] = [];
    const existing = (await repo.listTools(['accepted'])).filter((t) => t.field === pair.field && t.subfield === pair.subfield).map((t) => t.name);
    const answer = await ask(
      opts.model,
      'carg-expand-tools',
      { field: pair.field, subfield: pair.subfield, count: opts.toolsPer, existing: existing.join(', ') || '(none)' },
      ToolsAnswer,
      calls,
    );
    const source = `expand:${pair.field}/${pair.subfield}`;
    const rows = await prepareRows(
      repo,
      answer.tools.map((raw, k) => ({
        source: `${source}#${k}`,
        format: 'template' as const,
        raw: { ...raw, field: `${pair.field}/${pair.subfield}` },
        field: pair.field,
        subfield: pair.subfield,
      })),
      opts,
    );
    if (rows[0]) rows[0].calls = calls;
    const s = await summarize(repo, await repo.saveFieldTools(pair.field, pair.subfield, rows));
    summary.pairs++;
    summary.imported += s.imported;
    summary.rejected += s.rejected + s.incomplete;
    summary.duplicates += s.duplicates;
    for (const [k, n] of Object.entries(s.by_reason)) summary.by_reason[k] = (summary.by_reason[k] ?? 0) + n;
    opts.onProgress?.({ stage: 'tools', done: i + 1, failed: 0, total: pairs.length });
  }
  return summary;
}
