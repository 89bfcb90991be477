import { join } from 'node:path';
import { loadItems } from '../../src/data/index.js';
import type { DatasetItem } from '../../src/schema/item.js';
import type { Step, TraceRecord } from '../../src/schema/trace.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { agentCall, goodSteps, TOOLS } from '../../fakes/traces.js';

export const bamboogle = (limit: number): Promise<DatasetItem[]> => loadItems(join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl'), { limit });

export { agentCall, goodSteps, TOOLS };

export function traceOf(item: DatasetItem, steps: Step[], over: Partial<TraceRecord> = {}): TraceRecord {
  const last = steps.at(-1);
  return {
    id: 1,
    run_id: 1,
    item_id: item.id,
    status: 'finished',
    stop_reason: last?.answer !== undefined ? 'answer' : 'max_turns',
    answer: last?.answer ?? null,
    classification: null,
    error: null,
    tools: TOOLS,
    rejected_tools: [],
    steps,
    ...over,
  };
}
