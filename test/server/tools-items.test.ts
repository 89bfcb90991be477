import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetItem } from '../../src/schema/item.js';
import { createToolsApp } from '../../src/server/tools-app.js';
import { promptOf, toolsFixture, type ToolsFixture } from './tools-fixture.js';

const ITEMS: DatasetItem[] = [
  { id: 'hp-1', dataset: 'hotpotqa', question: 'Which city hosted the first show of Tinted Windows?', answers: ['Tulsa'] },
  { id: 'hp-2', dataset: 'hotpotqa', question: 'Who founded the Louvre?', answers: ['Philip II'] },
];
let fx: ToolsFixture;

beforeAll(async () => {
  fx = await toolsFixture({ service: { items: ITEMS }, actor: { grounding: { mode: 'noisy', noiseStart: 0, noiseEnd: 1, noiseBase: 10 } } });
});
afterAll(() => fx.close());

const app = () => createToolsApp(fx.service).app;
const send = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  app().request(path, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe("sessions grounded by item id (serve tools --from-run knows the run's items)", () => {
  it('PUT {item_id} grounds the session in that item, at its place in the run (the noise schedule follows it)', async () => {
    expect((await send('PUT', '/v1/sessions/traj-9', { item_id: 'hp-2' })).status).toBe(200);
    const res = await send('POST', '/v1/tools/wiki_search', { query: 'Louvre founder' }, { 'x-mtr-session': 'traj-9' });
    const observation = (await res.json()) as { grounding: { mode: string; p_noisy: number } };
    // index 1 of 2 items: ZeroSearch's p = (10^(1/2) − 1)/(10 − 1)
    expect(observation.grounding).toMatchObject({ mode: 'noisy', p_noisy: 0.2403 });
    expect(promptOf(fx.fake.requests.at(-1)!)).toContain(ITEMS[1]!.question);
  });

  it('with item_id and an inline item (as verl rows carry both), the known item wins; an unknown id falls back to the inline one', async () => {
    await send('PUT', '/v1/sessions/traj-11', { item_id: 'hp-1', item: { question: 'Inline question?', answers: ['x'] } });
    await send('POST', '/v1/tools/wiki_search', { query: 'first show' }, { 'x-mtr-session': 'traj-11' });
    expect(promptOf(fx.fake.requests.at(-1)!)).toContain(ITEMS[0]!.question);
    expect((await send('PUT', '/v1/sessions/traj-12', { item_id: 'elsewhere-7', item: { question: 'Inline question?', answers: ['x'] } })).status).toBe(200);
    await send('POST', '/v1/tools/wiki_search', { query: 'inline' }, { 'x-mtr-session': 'traj-12' });
    expect(promptOf(fx.fake.requests.at(-1)!)).toContain('Inline question?');
  });

  it('an id the server does not know, with no inline item, is a 400 naming item_id', async () => {
    const res = await send('PUT', '/v1/sessions/traj-10', { item_id: 'nope' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^item_id: expected the id of an item of the served run/);
  });
});
