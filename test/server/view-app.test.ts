import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTrace } from '../../src/grammar/render.js';
import { scoreJob } from '../../src/pipeline/score.js';
import { validateJob } from '../../src/pipeline/validate.js';
import { openViewStore, type ViewService, viewJob, viewService } from '../../src/pipeline/view.js';
import { openStore } from '../../src/store/index.js';
import { createViewApp, startViewServer } from '../../src/server/view-app.js';
import { agentCall, goodSteps, TOOLS } from '../validate/fixtures.js';
import { seededStore } from '../validate/store-fixture.js';

/** The viewer's API over the 7-trace validate fixture (3 valid, a duplicate, a wrong answer, an ungrounded call, a failed trace), validated. */
const tmp = mkdtempSync(join(tmpdir(), 'mtr-view-app-'));
let path: string;
let service: ViewService;
let hash: string;
const web = join(tmp, 'web');

beforeAll(async () => {
  ({ path } = await seededStore(tmp));
  hash = (await validateJob.run({ db: path })).config_hash;
  service = viewService(await openViewStore(path));
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>mtr view</title>');
  writeFileSync(join(web, 'assets', 'app-1.js'), 'console.log(1)');
});
afterAll(async () => service.close());

const app = () => createViewApp(service, { webRoot: web });
const get = async (url: string, a = app()) => {
  const res = await a.request(url);
  return { status: res.status, body: (await res.json()) as any };
};

describe('view app (app.request)', () => {
  it('GET /api/runs and /api/runs/:id: each run with its dataset, counts, models and progress, equal to the store', async () => {
    const store = await openStore(path, { readonly: true });
    const status = await store.runs.status(1);
    const models = await store.modelCalls.provenance(1);
    await store.close();
    const { status: code, body } = await get('/api/runs');
    expect(code).toBe(200);
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ id: 1, key: 'bamboogle-test', dataset: 'bamboogle', status, models });
    expect(body.runs[0].progress).toMatchObject({ finished: 6, failed: 1, running: 0, pending: 0, eta_minutes: null });
    expect(body.runs[0].progress.per_minute).toBeGreaterThan(0);
    expect((await get('/api/runs/1')).body).toEqual(body.runs[0]);
    // brief, for the trace list's run select: the same runs, named only
    expect((await get('/api/runs?brief=1')).body).toEqual({ runs: [{ id: 1, key: 'bamboogle-test', dataset: 'bamboogle' }] });
    expect(await get('/api/runs?brief=yes')).toMatchObject({ status: 400, body: { error: 'brief: expected one of 1, got "yes"' } });
    expect(await get('/api/runs/9')).toMatchObject({ status: 404, body: { error: 'expected an existing run, got "9"' } });
    expect(await get('/api/runs/x')).toMatchObject({ status: 400, body: { error: 'id: expected a whole number, got "x"' } });
  });

  it('GET /api/traces: pages, filters and reasons agree with the stored verdicts', async () => {
    const store = await openStore(path, { readonly: true });
    const verdicts = await store.verdicts.list(1, hash);
    await store.close();
    const failing = (reason: string) => [...new Set(verdicts.filter((v) => !v.result.pass && v.result.reason === reason).map((v) => v.trace_id))];

    const all = await get('/api/traces?run=1&limit=3');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 7, config_hash: hash });
    expect(all.body.reason_codes).toEqual(expect.arrayContaining(['malformed', 'slot_disagreement', 'wrong_answer']));
    expect(all.body.items.map((r: any) => r.trace_id)).toEqual([1, 2, 3]);
    expect(Object.keys(all.body.items[0]).sort()).toEqual(
      ['trace_id', 'run_id', 'item_id', 'dataset', 'question', 'gold', 'status', 'answer', 'error_code', 'reasons'].sort(),
    );
    expect((await get('/api/traces?run=1&offset=6&limit=3')).body.items).toHaveLength(1);

    const slot = await get('/api/traces?run=1&reason=slot_disagreement');
    expect(slot.body.total).toBe(failing('slot_disagreement').length);
    expect(slot.body.items.map((r: any) => r.trace_id)).toEqual(failing('slot_disagreement'));
    for (const r of slot.body.items) expect(r.reasons).toContain('slot_disagreement');

    const failed = await get('/api/traces?run=1&status=failed');
    expect(failed.body.total).toBe(1);
    expect(failed.body.items[0]).toMatchObject({ status: 'failed', error_code: 'E_MODEL_UNREACHABLE', answer: null });

    const word = all.body.items[1].question.split(' ').find((w: string) => w.length > 5);
    const found = await get(`/api/traces?q=${encodeURIComponent(word.toLowerCase())}`);
    expect(found.body.total).toBeGreaterThanOrEqual(1);
    for (const r of found.body.items) expect(r.question.toLowerCase()).toContain(word.toLowerCase());
    expect((await get('/api/traces?dataset=bamboogle')).body.total).toBe(7);
    expect((await get('/api/traces?dataset=hotpotqa')).body.total).toBe(0);
  });

  it('GET /api/traces: a bad parameter is a 400 naming it', async () => {
    for (const [q, error] of [
      ['status=done', 'status: expected one of finished, failed, running, got "done"'],
      ['reason=nope', /^reason: expected one of .*slot_disagreement.*, got "nope"$/],
      ['limit=0', 'limit: expected a whole number from 1 to 500, got "0"'],
      ['offset=-1', /^offset: expected a whole number/],
      ['run=abc', /^run: expected a whole number/],
      ['reward_min=1.5&run=1', 'reward_min: expected a number from 0 to 1, got "1.5"'],
      ['reward_max=x&run=1', 'reward_max: expected a number from 0 to 1, got "x"'],
      ['reward_min=0.5', 'reward_min: expected run=ID beside a reward range, got none'],
    ] as const) {
      const r = await get(`/api/traces?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error, q).toMatch(error);
    }
  });

  it('GET /api/traces/:id: the trace whole — item, tools, steps in order, model calls grouped by step', async () => {
    const store = await openStore(path, { readonly: true });
    const trace = await store.traces.get(6);
    const calls = await store.modelCalls.list(6);
    await store.close();
    const { status, body } = await get('/api/traces/6');
    expect(status).toBe(200);
    expect(body.trace).toEqual(trace);
    expect(body.calls).toEqual(calls);
    expect(body.row).toMatchObject({ trace_id: 6, reasons: ['slot_disagreement'] });
    expect(body.row.gold.length).toBeGreaterThan(0);
    expect(body.by_step.steps).toHaveLength(trace!.steps.length);
    expect([...body.by_step.before, ...body.by_step.steps.flat(), ...body.by_step.after].sort()).toEqual(calls.map((_, i) => i));
    expect(await get('/api/traces/99')).toMatchObject({ status: 404 });
  });

  it('GET /api/report: the validation report of the run equal to validate’s; unknown run 404, none 400', async () => {
    const report = (await validateJob.run({ db: path })).report;
    const { status, body } = await get('/api/report?run=1');
    expect(status).toBe(200);
    expect(body).toMatchObject({ run: 1, config_hash: hash, report });
    expect(body.configs).toEqual([expect.objectContaining({ config_hash: hash, traces: 7 })]);
    expect((await get(`/api/report?run=1&config=${hash}`)).body.report).toEqual(report);
    expect((await get('/api/report?run=1&config=other')).body.report.traces).toBe(0);
    expect((await get('/api/report?run=5')).status).toBe(404);
    expect(await get('/api/report')).toMatchObject({ status: 400, body: { error: 'run: expected a run id (see /api/runs), got none' } });
  });

  it('GET /api/plots and /api/carg: turns and calls per trace, time series, failures; no CARG data here', async () => {
    const store = await openStore(path, { readonly: true });
    const status = await store.runs.status(1);
    await store.close();
    const { status: code, body } = await get('/api/plots?run=1');
    expect(code).toBe(200);
    expect(body.shapes.reduce((s: number, x: any) => s + x.traces, 0)).toBe(7);
    const finished = body.shapes.filter((x: any) => x.status === 'finished');
    expect(finished.reduce((s: number, x: any) => s + x.steps * x.traces, 0)).toBe(status.steps);
    expect(finished.reduce((s: number, x: any) => s + x.tool_calls * x.traces, 0)).toBe(status.tool_calls);
    expect(body.call_minutes.reduce((s: number, x: any) => s + x.calls, 0)).toBe(status.model_calls);
    expect(body.failures_by_code).toEqual(status.failures_by_code);
    expect((await get('/api/plots?run=3')).status).toBe(404);
    expect(await get('/api/carg')).toEqual({ status: 200, body: { carg: null } });
    expect(await get('/api/nothing')).toMatchObject({ status: 404, body: { error: expect.stringMatching(/^expected GET \/api\/runs/) } });
  });

  it('pages: built files by path, index.html for page paths, 503 naming the build when not built', async () => {
    const a = app();
    const page = await a.request('/runs/1/traces');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<title>mtr view</title>');
    const asset = await a.request('/assets/app-1.js');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(await asset.text()).toBe('console.log(1)');
    expect(await (await a.request('/assets/../../store.sqlite')).text()).toContain('<title>'); // never outside the root
    const bare = await createViewApp(service, { webRoot: join(tmp, 'none') }).request('/');
    expect(bare.status).toBe(503);
    expect(await bare.text()).toMatch(/npm run build:web/);
  });

  it('token: API and pages need it; ?token= sets a cookie for the browser; a header works too', async () => {
    const a = createViewApp(service, { webRoot: web, token: 's3cret' });
    expect((await a.request('/api/runs')).status).toBe(401);
    expect((await a.request('/')).status).toBe(401);
    expect((await a.request('/?token=wrong')).status).toBe(401);
    expect((await a.request('/api/runs', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    const login = await a.request('/runs/1?token=s3cret&x=1');
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/runs/1?x=1');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect((await a.request('/api/runs', { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200);
  });
});

/** The plots' reward progress once every finished trace of the run is scored (the viewer scores in the background). */
async function scoredPlots(a: ReturnType<typeof app>, run = 1): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const { body } = await get(`/api/plots?run=${run}`, a);
    if (body.rewards.complete) return body;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('rewards never complete');
}

describe('view app: rewards computed from the traces (none are stored)', () => {
  it('a trace page carries the reward and components mtr score gives its rendered text; plots histogram them; reward_min/max filter', async () => {
    const store = await openStore(path, { readonly: true });
    const traces = await store.traces.list(1);
    const items = new Map((await store.items.list(1)).map((i) => [i.id, i]));
    await store.close();
    // the same traces as rollouts through mtr score (its own file reader and scorer)
    const finished = traces.filter((t) => t.status === 'finished').sort((x, y) => x.id - y.id);
    const rollouts = join(tmp, 'rollouts.jsonl');
    writeFileSync(
      rollouts,
      finished.map((t) => JSON.stringify({ id: t.id, completion: renderTrace(t.steps), answers: items.get(t.item_id)!.answers })).join('\n'),
    );
    await scoreJob.run({ rollouts, out: join(tmp, 'scores.jsonl') });
    const scores = readFileSync(join(tmp, 'scores.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const byId = new Map(scores.map((s) => [s.id as number, s]));

    for (const t of traces) {
      const { body } = await get(`/api/traces/${t.id}`);
      if (t.status !== 'finished') expect(body.reward, `trace ${t.id}`).toBeNull();
      else
        expect(body.reward, `trace ${t.id}`).toEqual({ reward: byId.get(t.id).reward, components: byId.get(t.id).components, details: byId.get(t.id).details });
    }
    // the fixture's answers: trace 5 answers wrong (EM 0), the other finished ones right (EM 1)
    expect(finished.map((t) => byId.get(t.id).components.em)).toEqual([1, 1, 1, 1, 0, 1]);

    const a = app();
    const plots = await scoredPlots(a);
    expect(plots.rewards).toMatchObject({ scored: 6, total: 6, complete: true, config: 'default' });
    expect(plots.rewards.histograms.em).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
    const bins = Array(10).fill(0);
    for (const s of scores) bins[Math.min(9, Math.floor(s.reward * 10))]++;
    expect(plots.rewards.histograms.reward).toEqual(bins);

    const wrongReward = byId.get(5).reward;
    expect(wrongReward).toBeLessThan(Math.min(...scores.filter((s) => s.id !== 5).map((s) => s.reward)));
    const low = await get(`/api/traces?run=1&reward_max=${wrongReward}`, a);
    expect(low.body).toMatchObject({ total: 1, rewards: { scored: 6, total: 6, complete: true }, items: [{ trace_id: 5, reward: wrongReward }] });
    const high = await get(`/api/traces?run=1&reward_min=${wrongReward + 1e-9}&limit=2`, a);
    expect(high.body.total).toBe(5);
    expect(high.body.items.map((r: any) => r.trace_id)).toEqual([1, 2]);
    // beside another filter: the wrong answer's verdict reason, and the failed trace (no reward) matches no range
    expect((await get(`/api/traces?run=1&reward_max=${wrongReward}&reason=wrong_answer`, a)).body.total).toBe(1);
    expect((await get(`/api/traces?run=1&reward_min=${wrongReward + 1e-9}&reason=wrong_answer`, a)).body.total).toBe(0);
    expect((await get('/api/traces?run=1&reward_min=0&status=failed', a)).body.total).toBe(0);
    // paged beside another filter (walked once, then kept): the same pages as the plain reward filter
    for (const offset of [0, 2, 4])
      expect((await get(`/api/traces?run=1&reward_min=0&dataset=bamboogle&limit=2&offset=${offset}`, a)).body).toMatchObject({
        total: 6,
        items: [{ trace_id: offset + 1 }, { trace_id: offset + 2 }],
      });
  });

  it('--reward-config: the rewards follow the file (here EM alone); a bad file is a usage error naming the flag', async () => {
    const file = join(tmp, 'reward.json');
    writeFileSync(file, JSON.stringify({ weights: { em: 1, f1: 0, cover_em: 0, format: 0, consistency: 0, efficiency: 0 } }));
    const { service: em, summary } = await viewJob.run({ db: path, rewardConfig: file });
    try {
      expect(summary.runs).toBe(1);
      const a = createViewApp(em, { webRoot: web });
      expect((await get('/api/traces/5', a)).body.reward.reward).toBe(0);
      expect((await get('/api/traces/1', a)).body.reward.reward).toBe(1);
      expect((await scoredPlots(a)).rewards).toMatchObject({ config: file, histograms: { reward: [1, 0, 0, 0, 0, 0, 0, 0, 0, 5] } });
    } finally {
      await em.close();
    }
    writeFileSync(file, '{"weights": 3}');
    await expect(viewJob.run({ db: path, rewardConfig: file })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/^--reward-config: /),
    });
  });
});

describe('view app: every count of the report opens the traces behind it', () => {
  it('passed, validated, each reason, check and invalid_arguments error type: the linked list holds exactly the counted traces', async () => {
    // the validate fixture plus three traces whose calls break the task tool's schema in two ways, validated
    const dir = mkdtempSync(join(tmpdir(), 'mtr-view-counts-'));
    const { path: db, items } = await seededStore(dir);
    const writer = await openStore(db);
    const broken: [string, Record<string, unknown>][] = [
      ['missing-1', { attribute: 'answer' }],
      ['missing-2', { attribute: 'year' }],
      ['typed', { entity: 7, attribute: 'answer' }],
    ];
    for (const [id, args] of broken) {
      const item = { ...items[0]!, id };
      await writer.items.add(1, [item]);
      const steps = goodSteps(item);
      steps[0]!.call!.arguments = args;
      const trace = await writer.traces.begin(1, id);
      await writer.traces.finish(trace, { tools: TOOLS, rejected: [], steps, calls: [agentCall()] }, { stopReason: 'answer', answer: steps.at(-1)!.answer! });
    }
    await writer.close();
    const { report, config_hash } = await validateJob.run({ db });
    const reader = await openStore(db, { readonly: true });
    const verdicts = await reader.verdicts.list(1, config_hash);
    await reader.close();
    const viewer = viewService(await openViewStore(db));
    const a = createViewApp(viewer, { webRoot: web });
    try {
      expect(report.invalid_arguments_by_type).toMatchObject({ missing_required: { count: 2 }, type_error: { count: 1 } });
      const failing = (keep: (v: (typeof verdicts)[number]) => boolean) =>
        [...new Set(verdicts.filter((v) => !v.result.pass && keep(v)).map((v) => v.trace_id))].sort((x, y) => x - y);
      const listed = async (filter: string) => {
        const { status, body } = await get(`/api/traces?run=1&limit=500&${filter}`, a);
        expect(status, filter).toBe(200);
        expect(body.items, filter).toHaveLength(body.total);
        return body.items.map((r: any) => r.trace_id) as number[];
      };
      const everyTrace = [...new Set(verdicts.map((v) => v.trace_id))].sort((x, y) => x - y);
      expect(await listed('verdict=validated')).toEqual(everyTrace);
      expect(everyTrace).toHaveLength(report.traces);
      const failedAny = failing(() => true);
      const passed = await listed('verdict=passed');
      expect(passed).toEqual(everyTrace.filter((id) => !failedAny.includes(id)));
      expect(passed).toHaveLength(report.passed.count);
      expect(await listed('verdict=failed')).toEqual(failedAny);
      for (const [reason, c] of Object.entries(report.by_reason)) {
        const ids = await listed(`reason=${reason}`);
        expect(ids, reason).toHaveLength(c.count);
        expect(ids, reason).toEqual(failing((v) => !v.result.pass && v.result.reason === reason));
      }
      expect(Object.keys(report.by_check).length).toBeGreaterThan(3);
      for (const [check, c] of Object.entries(report.by_check)) {
        const ids = await listed(`check=${check}`);
        expect(ids, check).toHaveLength(c.count);
        expect(ids, check).toEqual(failing((v) => v.check === check));
      }
      for (const [type, c] of Object.entries(report.invalid_arguments_by_type)) {
        const ids = await listed(`error_type=${type}`);
        expect(ids, type).toHaveLength(c.count);
        expect(ids, type).toEqual(
          failing((v) => !v.result.pass && v.result.reason === 'invalid_arguments' && (v.result.details.error as { type: string }).type === type),
        );
      }
      // the trace of the wrong type, named by its item
      const typed = (await get('/api/traces?run=1&error_type=type_error', a)).body.items;
      expect(typed.map((r: any) => r.item_id)).toEqual(['typed']);
      expect(typed[0].reasons).toContain('invalid_arguments');
      expect((await listed('error_type=no_such_type')).length).toBe(0);
      expect((await listed('check=no_such_check')).length).toBe(0);
      expect(await get('/api/traces?verdict=maybe', a)).toMatchObject({
        status: 400,
        body: { error: 'verdict: expected one of validated, passed, failed, got "maybe"' },
      });
      // with a reward range (once every finished trace is scored): the same traces, all rewarded in [0, 1]
      await scoredPlots(a);
      const scored = (await get('/api/traces?run=1&reward_min=0&verdict=passed&limit=500', a)).body;
      expect(scored.items.map((r: any) => r.trace_id)).toEqual(passed);
    } finally {
      await viewer.close();
    }
  });
});

describe('view app over a store being written', () => {
  it('live: a trace another connection finishes shows in the next answer (WAL), and CARG tools are summarised by status, field and samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-view-live-'));
    const { path: live, items } = await seededStore(dir);
    const viewer = viewService(await openViewStore(live));
    const a = createViewApp(viewer, { webRoot: web });
    const writer = await openStore(live);
    try {
      expect((await get('/api/traces?run=1', a)).body.total).toBe(7);
      // the run's counts (kept while its counts by status hold) follow each trace that begins or ends
      const progress = async () => ((await get('/api/runs', a)).body.runs[0] as { progress: Record<string, number> }).progress;
      expect(await progress()).toMatchObject({ finished: 6, failed: 1, running: 0, pending: 0 });
      const shapes = async () => ((await get('/api/plots?run=1', a)).body.shapes as any[]).map((x) => `${x.status}:${x.steps}:${x.traces}`).sort();
      const before0 = await shapes();
      await writer.items.add(1, [{ ...items[0]!, id: 'late', question: 'A question added while the viewer is open?' }]);
      const id = await writer.traces.begin(1, 'late');
      expect(await progress()).toMatchObject({ finished: 6, failed: 1, running: 1, pending: 0 });
      expect((await get('/api/traces?run=1&status=running', a)).body.items.map((r: any) => r.trace_id)).toEqual([id]);
      expect(await shapes()).toEqual([...before0, 'running:0:1'].sort());
      await writer.traces.finish(id, { tools: [], rejected: [], steps: [], calls: [] }, { stopReason: 'answer', answer: 'late' });
      // an item whose gold is blank: the scorer refuses it (no reward), and the run's rewards still complete without it
      await writer.items.add(1, [{ ...items[0]!, id: 'blank', answers: [' '] }]);
      const blank = await writer.traces.begin(1, 'blank');
      await writer.traces.finish(blank, { tools: [], rejected: [], steps: [], calls: [] }, { stopReason: 'answer', answer: 'x' });
      expect((await get(`/api/traces/${blank}`, a)).body.reward).toBeNull();
      expect((await scoredPlots(a)).rewards).toMatchObject({ scored: 7, total: 8, complete: true });
      const after = await get('/api/traces?run=1&q=while the viewer', a);
      expect(after.body).toMatchObject({ total: 1, items: [{ trace_id: id, status: 'finished', answer: 'late' }] });
      expect((await get('/api/runs/1', a)).body.progress.finished).toBe(8);
      const fresh = await openStore(live, { readonly: true });
      expect((await get('/api/runs/1', a)).body.status).toEqual(await fresh.runs.status(1));
      await fresh.close();
      // the plots' series (kept per run while its counts by status stay) follow the trace that ended
      expect(await shapes()).toEqual([...before0, 'finished:0:2'].sort());
      // the report follows verdicts written after it was first read
      const before = (await get('/api/report?run=1', a)).body;
      expect(before.report.traces).toBe(0);
      await writer.verdicts.write('cfg', [{ trace_id: id, check: 'answer', result: { pass: false, reason: 'wrong_answer', details: {} } }]);
      const after1 = (await get('/api/report?run=1', a)).body;
      expect(after1).toMatchObject({ config_hash: 'cfg', report: { traces: 1, by_reason: { wrong_answer: { count: 1 } } } });
      await writer.verdicts.write('cfg', [{ trace_id: 1, check: 'answer', result: { pass: true } }]);
      expect((await get('/api/report?run=1', a)).body.report).toMatchObject({ traces: 2, passed: { count: 1 } });

      const tool = (name: string, field: string, status: 'accepted' | 'rejected' | 'duplicate') => ({
        name,
        field,
        source: 'test',
        template: { api_name: name },
        status,
        reasons: status === 'rejected' ? ['no description'] : [],
        notes: [],
      });
      const [first] = await writer.carg.insertTools([tool('a', 'travel', 'accepted'), tool('b', 'travel', 'rejected'), tool('c', 'finance', 'accepted')]);
      await writer.carg.saveJob('single', first!, {}, [
        { kind: 'single', round: 0, input: {}, output: {}, verdicts: {}, accepted: true },
        { kind: 'single', round: 0, input: {}, output: {}, verdicts: {}, accepted: false },
      ]);
      expect((await get('/api/carg', a)).body.carg).toMatchObject({
        tools: 3,
        by_status: { accepted: 2, incomplete: 0, rejected: 1, duplicate: 0 },
        by_field: { travel: { accepted: 1, rejected: 1 }, finance: { accepted: 1 } },
        samples: { single: { total: 2, accepted: 1 }, multi: { total: 0, accepted: 0 }, error: { total: 0, accepted: 0 } },
        evals: [],
      });
      // the rejected sample before the accepted one
      expect((await get('/api/carg', a)).body.carg.sample_verdicts.single.map((x: any) => x.accepted)).toEqual([false, true]);
    } finally {
      await writer.close();
      await viewer.close();
    }
  });
});

describe('view server over a real socket', () => {
  it('binds loopback, answers the API and the pages', async () => {
    const server = await startViewServer(service, { host: '127.0.0.1', port: 0, webRoot: web, maxBodyBytes: 1024 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const runs = (await (await fetch(`${server.url}/api/runs`)).json()) as { runs: { id: number }[] };
      expect(runs.runs.map((r) => r.id)).toEqual([1]);
      expect(await (await fetch(`${server.url}/`)).text()).toContain('mtr view');
      expect((await fetch(`${server.url}/api/runs`, { method: 'POST', body: 'x'.repeat(4096) })).status).toBe(413);
    } finally {
      await server.close();
    }
  });
});
