import { join } from 'node:path';
import type { DatasetItem } from '../../src/schema/item.js';
import { openStore } from '../../src/store/index.js';
import { agentCall, bamboogle, goodSteps, TOOLS } from './fixtures.js';

/**
 * A store with one run of 7 real Bamboogle-based items: 3 valid traces, 1 valid trace of a duplicate
 * question, 1 wrong answer, 1 ungrounded call (both finished but invalid) and 1 failed trace.
 */
export async function seededStore(dir: string): Promise<{ path: string; items: DatasetItem[]; valid: string[] }> {
  const base = await bamboogle(6);
  const items = [...base, { ...base[0]!, id: 'dup-of-1', question: `${base[0]!.question.toUpperCase()} ` }];
  const path = join(dir, 'store.sqlite');
  // written through the store interface, as generate writes: each trace whole, in one transaction
  const store = await openStore(path, { create: true });
  const runId = await store.runs.upsert('bamboogle-test', 'bamboogle', { maxTurns: 6, format: 'text' });
  await store.items.add(runId, items);
  const write = async (item: DatasetItem, edit: (s: ReturnType<typeof goodSteps>) => void = () => {}, fail = false) => {
    const id = await store.traces.begin(runId, item.id);
    const steps = goodSteps(item);
    edit(steps);
    const calls = [agentCall()];
    const pieces = { tools: TOOLS, rejected: [], steps, calls };
    if (fail) await store.traces.fail(id, pieces, { code: 'E_MODEL_UNREACHABLE', message: 'model unreachable' });
    else await store.traces.finish(id, pieces, { stopReason: 'answer', answer: steps.at(-1)!.answer });
  };
  const [a, b, c, wrong, ungrounded, failed, dup] = items;
  for (const i of [a!, b!, c!, dup!]) await write(i);
  await write(wrong!, (s) => (s[2]!.answer = 'Nobody In Particular'));
  await write(ungrounded!, (s) => (s[1]!.call!.arguments = { query: 'Completely Unrelated Topic' }));
  await write(failed!, (s) => s.splice(2), true);
  await store.close();
  return { path, items, valid: [a!.id, b!.id, c!.id] };
}
