// The fake OpenAI server in its own process, so a benchmark measures the client's overhead, not the
// server's CPU. Prints {"url"} once listening; answers "stats" on stdin with its counters.
import { createInterface } from 'node:readline';
import { loadItems } from '../src/data/index.js';
import { startFakeOpenAI } from '../fakes/openai-server.js';
import { scriptedModel } from '../fakes/scripted-roles.js';

const [dataset, limit, latency, capacity] = process.argv.slice(2);
const items = await loadItems(dataset!, { limit: Number(limit) });
const server = await startFakeOpenAI({ respond: scriptedModel({ items }), latencyMs: Number(latency), capacity: Number(capacity) });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stats') process.stdout.write(`${JSON.stringify(server.stats())}\n`);
  if (line === 'close') break;
}
await server.close();
