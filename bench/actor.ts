import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { canonicalJson, sha256 } from '../src/actor/canonical.js';
import { precheckCall } from '../src/validate/precheck.js';
import { loadItems } from '../src/data/index.js';
import { normalizeType } from '../src/schema/tool-convert.js';
import { ToolTemplateSchema } from '../src/schema/tool.js';
import { openStore } from '../src/store/index.js';
import { Bm25Index, buildIndex } from '../src/tools/bm25.js';
import { type CorpusPassage, readCorpus } from '../src/tools/corpus.js';

const DATASETS = resolve(process.cwd(), '../shared/datasets');
const SYNTHETIC = 100_000;

export interface ActorBenchRow {
  what: string;
  n: number;
  /** per call (pre-check, cache) or per query (BM25) */
  p50_us: number;
  p95_us: number;
  mean_us: number;
  note: string;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
function row(what: string, samplesMs: number[], note: string): ActorBenchRow {
  const s = [...samplesMs].sort((a, b) => a - b);
  const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;
  return { what, n: s.length, p50_us: us(quantile(s, 0.5)), p95_us: us(quantile(s, 0.95)), mean_us: us(s.reduce((a, b) => a + b, 0) / s.length), note };
}
const timed = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
};

/** Seal-Tools calls: one well-typed, one missing, one excess, one type error per tool. */
function sealCalls() {
  const tools = readFileSync(join(DATASETS, 'tools/seal-tools/tool.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ToolTemplateSchema.parse(JSON.parse(l)));
  const values: Record<string, unknown> = { string: 'Paris', integer: 3, number: 2.5, boolean: true, array: ['a'], object: { k: 'v' } };
  const value = (type: string) => values[normalizeType(type) ?? 'string'];
  return tools.flatMap((tool) => {
    const good = Object.fromEntries(Object.entries(tool.parameters).map(([k, v]) => [k, value(v.type as string)]));
    const first = Object.keys(tool.parameters)[0];
    const missing = { ...good };
    if (tool.required[0]) delete missing[tool.required[0]];
    return [good, missing, { ...good, extra: 1 }, first ? { ...good, [first]: [1, 2] } : good].map((args) => ({ tool, args }));
  });
}

async function bm25Rows(
  file: string,
  label: string,
  queries: string[],
  tmp: string,
  passages: AsyncIterable<CorpusPassage> | Iterable<CorpusPassage>,
): Promise<ActorBenchRow> {
  const out = join(tmp, `${label}.sqlite`);
  const t = performance.now();
  const { passages: n } = await buildIndex(out, passages);
  const buildS = (performance.now() - t) / 1000;
  const index = new Bm25Index(out);
  for (const q of queries.slice(0, 20)) index.search(q, 5); // warm the page cache
  const samples = queries.map((q) => timed(() => index.search(q, 5))[1]);
  index.close();
  return row(`BM25 top-5 query, ${label}`, samples, `${n} passages from ${file}, built in ${buildS.toFixed(1)}s`);
}

/** 100k passages from a real corpus: copies with a numbered title and rotated sentences, so no two are equal. */
async function* synthetic(file: string, total: number): AsyncGenerator<CorpusPassage> {
  const base: CorpusPassage[] = [];
  for await (const p of readCorpus(file)) base.push(p);
  for (let i = 0; i < total; i++) {
    const p = base[i % base.length]!;
    const copy = Math.floor(i / base.length);
    const sentences = p.text.split(/(?<=\.)\s+/);
    const r = copy % sentences.length;
    yield { id: String(i), title: copy ? `${p.title} (${copy})` : p.title, text: [...sentences.slice(r), ...sentences.slice(0, r)].join(' ') };
  }
}

/** Pre-check and cache lookup cost per call, and BM25 latency on the largest corpus here and on 100k passages. */
export async function benchActor(): Promise<ActorBenchRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'mtr-bench-actor-'));
  try {
    const rows: ActorBenchRow[] = [];
    const calls = sealCalls();
    for (const c of calls) precheckCall(c.tool, c.args); // compile every validator first: compile cost is paid once per tool
    const pre = calls.map((c) => timed(() => precheckCall(c.tool, c.args)));
    rows.push(
      row(
        'pre-check (ajv, validator cached)',
        pre.map(([, ms]) => ms),
        `${calls.length} Seal-Tools calls, ${pre.filter(([e]) => e).length} rejected`,
      ),
    );

    const store = await openStore(join(tmp, 'cache.sqlite'), { create: true });
    const cache = store.actorCache;
    const keyOf = (c: (typeof calls)[number]) =>
      sha256(canonicalJson({ tool: canonicalJson(c.tool), args: canonicalJson(c.args), grounding: 'none', model: 'm', prompt: 'p' }));
    for (const c of calls.filter((_, i) => i % 2 === 0))
      await cache.put({
        key: keyOf(c),
        tool: c.tool.api_name,
        arguments: canonicalJson(c.args),
        grounding: 'none',
        observation: { content: { ok: true }, source: 'simulated' },
        model: 'm',
        prompt_hash: 'p',
      });
    const lookups: [unknown, number][] = [];
    for (const c of calls) {
      const t = performance.now();
      const hit = await cache.get(keyOf(c));
      lookups.push([hit, performance.now() - t]);
    }
    rows.push(
      row(
        'cache key + SQLite lookup',
        lookups.map(([, ms]) => ms),
        `${calls.length} calls, ${lookups.filter(([o]) => o).length} hits, ${(await cache.stats()).entries} entries`,
      ),
    );
    await store.close();

    const questions = (await loadItems(join(DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl'))).map((i) => i.question);
    const corpusDir = join(DATASETS, 'corpus');
    const largest = readdirSync(corpusDir)
      .map((f) => join(corpusDir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const name = largest.split('/').pop()!;
    rows.push(await bm25Rows(name, 'largest corpus', questions, tmp, readCorpus(largest)));
    rows.push(await bm25Rows(name, `synthetic ${SYNTHETIC / 1000}k`, questions, tmp, synthetic(largest, SYNTHETIC)));
    return rows;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
