import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openViewStore, SAMPLES_SHOWN, type ViewService, viewService } from '../../src/pipeline/view.js';
import { createViewApp } from '../../src/server/view-app.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../carg/helpers.js';
import { scriptedCarg } from '../carg/scripted-carg.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { sealTools } from '../support/seal-tools.js';

/** /api/carg over a store made by mtr's own CARG stages (import, single, eval, audit) against a scripted model server. */
const tmp = tempDir('view');
const db = join(tmp.dir, 'carg.sqlite');
const tools = sealTools().slice(10, 14);
let server: FakeServer;
let service: ViewService;
let evalTable: unknown;

beforeAll(async () => {
  server = await startFakeOpenAI({ respond: scriptedCarg(tools) });
  const model = ['--base-url', server.url, '--model', 'fake-model', '--retries', '0'];
  for (const args of [
    ['tools', 'import', tmp.write('four.json', tools), '--db', db],
    ['single', '--db', db, '--count', '2', ...model],
    ['audit', '--db', db, '--min-reliability', '1', '--out', join(tmp.dir, 'reliable.json'), ...model],
  ]) {
    const r = await runCli(['carg', ...args]);
    expect(r.code, r.stderr).toBe(0);
  }
  const ev = await runCli(['carg', 'eval', '--db', db, '--holdout', '1', '--per-tool', '1', '--json', ...model]);
  expect(ev.code, ev.stderr).toBe(0);
  evalTable = JSON.parse(ev.stdout).table;
  service = viewService(await openViewStore(db));
}, 60_000);
afterAll(async () => {
  await service?.close();
  await server?.close();
});

describe('view app: CARG pages', () => {
  it('GET /api/carg: tools by status and field, sample counts and verdicts, the eval table of each carg eval job (audit jobs left to audit)', async () => {
    const store = await openStore(db, { readonly: true });
    const stored = await store.carg.listTools();
    const samples = await store.carg.listSamples({ kinds: ['single'] });
    await store.close();
    const res = await createViewApp(service).request('/api/carg');
    expect(res.status).toBe(200);
    const { carg } = (await res.json()) as { carg: any };

    expect(carg.tools).toBe(stored.length);
    expect(carg.by_status.accepted).toBe(stored.filter((t) => t.status === 'accepted').length);
    expect(carg.samples.single).toEqual({ total: samples.length, accepted: samples.filter((s) => s.accepted).length });
    // the scripted server makes some single samples fail their format check: those come first, then accepted ones
    const rejected = samples.filter((s) => !s.accepted);
    expect(rejected.length).toBeGreaterThan(0);
    const shown = carg.sample_verdicts.single;
    expect(shown.map((s: any) => s.id)).toEqual([
      ...rejected.slice(0, SAMPLES_SHOWN).map((s) => s.id),
      ...samples
        .filter((s) => s.accepted)
        .slice(0, SAMPLES_SHOWN)
        .map((s) => s.id),
    ]);
    expect(shown[0]).toMatchObject({ accepted: false, verdicts: rejected[0]!.verdicts, input: rejected[0]!.input, output: rejected[0]!.output });
    expect(shown[0].verdicts.format.pass).toBe(false);
    expect(carg.sample_verdicts.multi).toEqual([]);

    expect(carg.evals).toEqual([{ job: 'eval:fake-model', model: 'fake-model', cases: expect.any(Number), table: evalTable }]);
    expect(carg.evals[0].cases).toBe((evalTable as { scenario: string; cases: number }[]).find((r) => r.scenario === 'All')!.cases);
  });
});
