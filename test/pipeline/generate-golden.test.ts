import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { generateTraces } from '../../src/pipeline/generate.js';
import { openDb } from '../../src/store/index.js';
import { startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { type ScriptOptions, scriptedModel } from '../support/scripted-roles.js';

/**
 * Byte identity of what generate stores (issue 17: the hot path may get faster, its output may not change): a
 * scripted run at 4 in flight, dumped canonically, must hash to the digest recorded before the performance
 * work. Left out: ids, timestamps, latencies, the server's address (a fresh port) and the fake server's
 * tool-call ids (a global counter, so they follow the interleaving).
 */
const DATASET = join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_distractor_300.jsonl');
const ITEMS = 12;
const tmp = mkdtempSync(join(tmpdir(), 'mtr-golden-'));

/** The store's traces, tools, steps and model calls, in item order, as one canonical JSON text. */
function dump(db: string): string {
  const s = openDb(db);
  try {
    const traces = s
      .prepare(`SELECT t.id, t.item_id, t.status, t.stop_reason, t.answer, t.classification, t.error, t.error_code FROM traces t
        JOIN items i ON i.run_id = t.run_id AND i.item_id = t.item_id ORDER BY i.ord`)
      .all() as ({ id: number } & Record<string, unknown>)[];
    const rows = (sql: string, id: number) => s.prepare(sql).all(id) as Record<string, unknown>[];
    return JSON.stringify(
      traces.map(({ id, ...t }) => ({
        ...t,
        tools: rows('SELECT name, origin, accepted, schema, reasons, attempt FROM tools WHERE trace_id = ? ORDER BY id', id),
        steps: rows('SELECT idx, think, call, observation, answer, raw FROM steps WHERE trace_id = ? ORDER BY idx', id).map((r) => ({
          ...r,
          call: typeof r.call === 'string' ? JSON.stringify({ ...JSON.parse(r.call), id: undefined }) : r.call,
        })),
        calls: rows(
          `SELECT role, model, prompt_file, prompt_hash, params, tokens_in, tokens_out, attempt, ok, error, raw, server IS NOT NULL has_server
            FROM model_calls WHERE trace_id = ? ORDER BY id`,
          id,
        ),
      })),
    );
  } finally {
    s.close();
  }
}

async function run(name: string, script: Omit<ScriptOptions, 'items'>, config: { format?: 'text' | 'native' }): Promise<string> {
  const items = await loadItems(DATASET, { limit: ITEMS });
  const server = await startFakeOpenAI({ respond: scriptedModel({ items, ...script }) });
  try {
    const db = join(tmp, `${name}.sqlite`);
    const s = await generateTraces({ dataset: DATASET, limit: ITEMS, db, concurrency: 4, ...config, model: { baseUrl: server.url, model: 'golden' } });
    expect(s).toMatchObject({ finished: ITEMS, failed: 0 });
    return dump(db);
  } finally {
    await server.close();
  }
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('generate output is byte-identical to the recorded run', () => {
  it.each([
    ['text, a ToolMaker repair', { needsRepair: true }, {}, 'b27454f057026d7210ed28f13a1a65b8b2c01386fff2ab720c7bd0abf1d8fc06'],
    ['native tool calls', { format: 'native' as const }, { format: 'native' as const }, '9617168b306a14235a271c67f0a688522c4249ec53617203926b3c0b8df6e079'],
  ])('%s', async (name, script, config, digest) => {
    const [a, b] = [await run(`${name}-a`, script, config), await run(`${name}-b`, script, config)];
    expect(b).toBe(a); // deterministic, or a digest would mean nothing
    const parsed = JSON.parse(a) as { steps: unknown[]; calls: unknown[] }[];
    expect(parsed).toHaveLength(ITEMS);
    expect(parsed.every((t) => t.steps.length === 3 && t.calls.length >= 7)).toBe(true);
    expect(sha(a)).toBe(digest);
  });
});
