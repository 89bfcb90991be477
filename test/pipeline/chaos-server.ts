/**
 * An OpenAI-compatible server, in its own process, that plays ToolMaker/AutoAgent/ToolActor for a dataset
 * and injects faults into a share of the chat requests (seeded): 500, 429 with Retry-After, a hang (the
 * client's timeout), malformed JSON and a body cut off mid-reply. Used by chaos.test.ts and by hand:
 *
 *   node --import tsx test/pipeline/chaos-server.ts --dataset FILE [--limit N] [--fault-rate 0.2] [--seed 1] [--latency-ms 5]
 *
 * Prints `chaos server on http://127.0.0.1:PORT/v1` when it listens; on SIGTERM/SIGINT prints the faults
 * it injected, by kind, as one JSON line on stderr.
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../../src/carg/taxonomy.js';
import { loadItems } from '../../src/data/index.js';
import { type FakeReply, startFakeOpenAI } from '../support/openai-server.js';
import { scriptedModel } from '../support/scripted-roles.js';

export const FAULT_KINDS = ['500', '429', 'timeout', 'malformed', 'truncated'] as const;

const { values } = parseArgs({
  options: {
    dataset: { type: 'string' },
    limit: { type: 'string' },
    'fault-rate': { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '5' },
  },
});
if (!values.dataset) throw new Error('--dataset: expected a dataset file');
const items = await loadItems(values.dataset, values.limit ? { limit: Number(values.limit) } : {});
const script = scriptedModel({ items });
const rate = Number(values['fault-rate']);
const random = seededRandom(Number(values.seed));
const injected: Record<string, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));
let answered = 0;

function fault(kind: (typeof FAULT_KINDS)[number], good: FakeReply): FakeReply {
  injected[kind]!++;
  switch (kind) {
    case '500':
      return { status: 500, body: '{"error":{"message":"chaos: internal error","type":"server_error"}}' };
    case '429':
      // as OpenAI sends it: seconds, and the precise wait in ms (which the client prefers)
      return { status: 429, body: '{"error":{"message":"chaos: rate limited","type":"rate_limit"}}', headers: { 'retry-after': '1', 'retry-after-ms': '20' } };
    case 'timeout':
      return { hang: true };
    case 'malformed':
      return { raw: '{"id": "chatcmpl-chaos", "choices": [{"message": {"role": "assistant", "content": "unterminated' };
    case 'truncated':
      return {
        truncate: JSON.stringify({
          id: 'chatcmpl-chaos',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'content' in good ? good.content : '' } }],
        }).slice(0, 60),
      };
  }
}

const server = await startFakeOpenAI({
  latencyMs: Number(values['latency-ms']),
  respond: (req) => {
    const good = script(req);
    if (random() < rate) return fault(FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)]!, good);
    answered++;
    return good;
  },
});
process.stdout.write(`chaos server on ${server.url}\n`);
const stop = async () => {
  process.stderr.write(`${JSON.stringify({ answered, injected })}\n`);
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
