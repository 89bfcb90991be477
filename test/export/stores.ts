import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetItem } from '../../src/schema/item.js';
import type { RunTool, Step } from '../../src/schema/trace.js';
import { openStore } from '../../src/store/index.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';
import { TASK_TOOL } from '../support/scripted-roles.js';
import { agentCall, bamboogle, goodSteps } from '../validate/fixtures.js';

/**
 * Stores for export tests beyond test/validate/store-fixture.ts: items that each got their own ToolMaker
 * tool (different names and parameter shapes, as real runs have), and traces that only search (the
 * Search-R1 dialect's one action).
 */

/** Item k's own tool: a distinct name and, for odd k, an extra parameter, so schemas differ in shape across rows. */
export const ownTool = (k: number): RunTool => ({
  origin: 'maker',
  tool: {
    ...TASK_TOOL,
    api_name: `lookup_fact_${k}`,
    parameters: { ...TASK_TOOL.parameters, ...(k % 2 ? { year: { type: 'int', description: 'Year the fact holds for.' } } : {}) },
    required: [...TASK_TOOL.required],
  },
});

const wiki: RunTool = { origin: 'utility', tool: UTILITY_TOOLS.wiki_search! };

/** goodSteps with the item's own tool name in the first call. */
function ownSteps(item: DatasetItem, k: number): Step[] {
  const steps = goodSteps(item);
  const name = ownTool(k).tool.api_name;
  steps[0] = { ...steps[0]!, call: { ...steps[0]!.call!, name }, raw: steps[0]!.raw.replace(TASK_TOOL.api_name, name) };
  return steps;
}

/** One search, then the answer: a trace Search-R1's dialect can write. */
const searchSteps = (item: DatasetItem): Step[] =>
  goodSteps(item)
    .slice(1)
    .map((s, index) => ({ ...s, index }));

export interface StoreOptions {
  /** dataset name stamped on the items (default: bamboogle's own) */
  dataset?: string;
  /** items (default 6) */
  count?: number;
  /** the run's dialect, as `mtr generate --dialect` stores it */
  dialect?: 'search-r1';
}

async function build(dir: string, name: string, o: StoreOptions, tracesOf: (item: DatasetItem, k: number) => { tools: RunTool[]; steps: Step[] }) {
  const items = (await bamboogle(o.count ?? 6)).map((i) => (o.dataset ? { ...i, dataset: o.dataset } : i));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.sqlite`);
  const store = await openStore(path, { create: true });
  const runId = await store.runs.upsert(name, items[0]!.dataset, { maxTurns: 6, format: 'text', ...(o.dialect ? { dialect: o.dialect } : {}) });
  await store.items.add(runId, items);
  for (const [k, item] of items.entries()) {
    const { tools, steps } = tracesOf(item, k);
    const id = await store.traces.begin(runId, item.id);
    const calls = [agentCall()];
    await store.traces.finish(id, { tools, rejected: [], steps, calls }, { stopReason: 'answer', answer: steps.at(-1)!.answer });
  }
  await store.close();
  return { path, items };
}

/** Every item with its own ToolMaker tool plus wiki_search, every trace valid. */
export const perItemStore = (dir: string, o: StoreOptions = {}) =>
  build(dir, 'per-item', o, (item, k) => ({ tools: [ownTool(k), wiki], steps: ownSteps(item, k) }));

/** Every trace only searches: wiki_search, then the answer; the first item's trace also calls its own tool. */
export const searchStore = (dir: string, o: StoreOptions = {}) =>
  build(dir, 'search', o, (item, k) => (k === 0 ? { tools: [ownTool(k), wiki], steps: ownSteps(item, k) } : { tools: [wiki], steps: searchSteps(item) }));
