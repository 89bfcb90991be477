/**
 * The scripted model (scripted-roles.ts) as a server of its own on a loopback port you choose, to try generate,
 * pools and workers by hand without a GPU (README, Many machines):
 *
 *   node --import tsx fakes/scripted-server.ts --dataset FILE [--limit N] [--port 8000] [--latency-ms 100]
 *
 * Prints `scripted model server on http://127.0.0.1:PORT/v1` once it listens; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { loadItems } from '../src/data/index.js';
import { startFakeOpenAI } from './openai-server.js';
import { scriptedModel } from './scripted-roles.js';

const { values } = parseArgs({
  options: { dataset: { type: 'string' }, limit: { type: 'string' }, port: { type: 'string', default: '0' }, 'latency-ms': { type: 'string', default: '0' } },
});
if (!values.dataset) throw new Error('--dataset: expected a dataset file');
const items = await loadItems(values.dataset, values.limit ? { limit: Number(values.limit) } : {});
const server = await startFakeOpenAI({ respond: scriptedModel({ items }), port: Number(values.port), latencyMs: Number(values['latency-ms']), capacity: 512 });
process.stdout.write(`scripted model server on ${server.url}\n`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
