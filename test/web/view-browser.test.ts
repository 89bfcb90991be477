import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { openViewStore, viewService } from '../../src/pipeline/view.js';
import type { RunningServer } from '../../src/server/listen.js';
import { startViewServer } from '../../src/server/view-app.js';
import type { ModelCall } from '../../src/schema/model-call.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { REPO_ROOT, SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel } from '../support/scripted-roles.js';

/**
 * `mtr view` in Debian's Chromium (never a downloaded browser): a run made by `generate` against the scripted local
 * model server and checked by `validate`, then browsed by clicking — run list → run → traces → a trace, a reason
 * filter, the report and the plots — with what the pages show compared to the store. MTR_SCREENSHOTS=1 copies
 * the screenshots to docs/img/ (the README shows them).
 */
const CHROMIUM = '/usr/bin/chromium';
const HOTPOT = join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_qa_500.jsonl');
const N = 12;
const GARBLED = 'Sure! Here are some tools: lookup (not JSON)';
const tmp = mkdtempSync(join(tmpdir(), 'mtr-view-browser-'));
const db = join(tmp, 'run.sqlite');
const shots = join(tmp, 'shots');
const web = join(tmp, 'web'); // the pages built from web/ as they are now, with the project's vite config

let model: FakeServer;
let server: RunningServer;
let browser: Browser;
let page: Page;
let close: () => Promise<void>;
/** every URL the page asked for, and the origins of the viewers it was pointed at: nothing else may be asked */
const requested: string[] = [];
const origins = new Set<string>();
let wrongAnswers: number;
/** validate's report of the run (what the report page shows) */
let report: { traces: number; passed: { count: number }; by_check: Record<string, { count: number }> };
/** items whose gold the scripted agent does not answer */
let wrongItems: Set<string>;

/** A screenshot; a whole page (`full`) where its README caption promises more than the first screen holds. */
const shot = async (name: string, full = false) => {
  const file = join(shots, `view-${name}.png`);
  await page.screenshot({ path: file, fullPage: full });
  expect(existsSync(file)).toBe(true);
  if (process.env.MTR_SCREENSHOTS === '1') copyFileSync(file, join(REPO_ROOT, 'docs/img', `view-${name}.png`));
};
const cellTexts = (selector: string) => page.locator(selector).allInnerTexts();

// skipped only off CI on a machine without Chromium; CI installs it (.ci/run) and must run this
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('mtr view in Chromium', () => {
  beforeAll(async () => {
    const items = await loadItems(HOTPOT, { limit: N });
    // every third item's "gold" is wrong for the scripted agent, so validate finds wrong answers to filter by
    const misled = items.map((it, i) => (i % 3 === 0 ? { ...it, answers: ['Nobody In Particular'] } : it));
    wrongItems = new Set(items.filter((_, i) => i % 3 === 0).map((it) => it.id));
    // ToolMaker's first answer carries a broken tool (rejected with its reasons, then repaired), and the first
    // item's first tool set is not JSON at all: a failed model call whose raw text the trace page shows
    const script = scriptedModel({ items: misled, needsRepair: true });
    let garbled = false;
    model = await startFakeOpenAI({
      respond: (req) => {
        if (!garbled && req.response_format?.json_schema?.name === 'tool_set' && req.messages.some((m) => String(m.content).includes(items[0]!.question))) {
          garbled = true;
          return { content: GARBLED };
        }
        return script(req);
      },
      latencyMs: 5,
    });
    const gen = await runCli([
      'generate',
      '--dataset',
      HOTPOT,
      '--limit',
      String(N),
      '--db',
      db,
      '--base-url',
      model.url,
      '--concurrency',
      '4',
      '--retries',
      '2',
      '--grounding',
      'gold',
    ]);
    expect(gen.code, gen.stderr).toBe(0);
    const val = await runCli(['validate', '--db', db, '--json']);
    report = JSON.parse(val.stdout).report;
    wrongAnswers = JSON.parse(val.stdout).report.by_reason.wrong_answer.count;
    expect(wrongAnswers).toBeGreaterThan(0);

    await build({ configFile: join(REPO_ROOT, 'vite.config.ts'), root: join(REPO_ROOT, 'web'), build: { outDir: web, emptyOutDir: true }, logLevel: 'error' });
    const service = viewService(await openViewStore(db));
    server = await startViewServer(service, { host: '127.0.0.1', port: 0, webRoot: web });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1240, height: 860 } });
    page.on('request', (r) => requested.push(r.url()));
    origins.add(new URL(server.url).origin);
    close = async () => {
      await browser.close();
      await server.close();
      await service.close();
      await model.close();
    };
    mkdirSync(shots, { recursive: true });
  }, 120_000);

  afterAll(async () => close?.());

  it('run list → run → traces → a trace: counts equal the store, steps in order', async () => {
    const store = await openStore(db, { readonly: true });
    const [run] = await store.runs.list();
    const status = await store.runs.status(run!.id);
    const traces = await store.traces.list(run!.id);
    await store.close();

    await page.goto(`${server.url}/`);
    await page.locator('#runs').waitFor();
    expect(await cellTexts('#runs tbody tr td:nth-child(3)')).toEqual([String(status.items_total)]);
    await shot('runs');

    await page.getByRole('link', { name: `${run!.key} (#${run!.id})` }).click();
    await page.locator('#progress').waitFor();
    const facts = Object.fromEntries((await page.locator('#progress dt').allInnerTexts()).map((k, i) => [k, i] as const));
    const values = await page.locator('#progress dd').allInnerTexts();
    expect(values[facts.finished!]).toBe(String(status.traces_finished));
    expect(values[facts.failed!]).toBe(String(status.traces_failed));
    expect(values[facts.items!]).toBe(String(status.items_total));
    // per role: calls, tokens and mean latency, as the store counts them
    const n = (x: number) => x.toLocaleString('en-US');
    const byRole = await page.locator('#by-role tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(byRole).toEqual(Object.entries(status.by_role).map(([role, x]) => [role, n(x.calls), n(x.tokens_in), n(x.tokens_out), `${x.mean_latency_ms} ms`]));
    expect(byRole.map((r) => r[0])).toEqual(expect.arrayContaining(['agent', 'actor', 'maker']));
    await shot('run');

    await page.locator('.tabs').getByRole('link', { name: 'Traces' }).click();
    await page.locator('#traces').waitFor();
    expect(await page.locator('#count').textContent()).toBe(`1–${traces.length} of ${traces.length}`);
    expect(await page.locator('#traces tbody tr').count()).toBe(traces.length);
    await shot('traces');

    const trace = traces.find((t) => t.steps.length >= 3)!;
    await page.getByRole('link', { name: `#${trace.id}`, exact: true }).click();
    await page.locator('.steps').waitFor();
    expect(await page.locator('.steps > li').count()).toBe(trace.steps.length);
    expect(await page.locator('.steps > li').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-index'))))).toEqual(
      trace.steps.map((s) => s.index),
    );
    const thinks = await cellTexts('.steps > li > .think');
    expect(thinks).toEqual(trace.steps.map((s) => `think ${s.think}`));
    const calls = await cellTexts('.steps > li > .call code');
    expect(calls).toEqual(trace.steps.filter((s) => s.call).map((s) => `${s.call!.name}(${JSON.stringify(s.call!.arguments)})`));
    expect(await page.locator('.steps > li .observation .source').first().textContent()).toBe(trace.steps.find((s) => s.observation)!.observation!.source);
    // the model calls behind each step: the agent's turn, and ToolActor's when it simulated the observation
    const behind = await page
      .locator('.steps > li')
      .evaluateAll((els) => els.map((e) => e.querySelector(':scope > details:last-of-type summary')?.textContent ?? ''));
    trace.steps.forEach((s, i) => {
      expect(behind[i], `step ${i}`).toMatch(s.observation?.source === 'simulated' ? /^2 model calls \(agent, actor\)$/ : /^1 model call \(agent\)$/);
    });
    // a finished trace's reward, computed by the viewer: EM is 1 exactly when the scripted agent answered the gold
    const em = await page.locator('#reward table.components').evaluate((t) => {
      const head = [...t.querySelectorAll('th')].map((x) => x.textContent);
      return t.querySelectorAll('td')[head.indexOf('em')]?.textContent;
    });
    expect(em).toBe(trace.status === 'finished' ? String(wrongItems.has(trace.item_id) ? 0 : 1) : undefined);
    await page.locator('.steps > li').first().locator('details summary', { hasText: 'raw agent text' }).click();
    expect(await page.locator('.steps > li').first().locator('details pre').first().textContent()).toBe(trace.steps[0]!.raw);
  });

  it('a trace page whole: rejected tools with reasons, grounding, each model call (prompt hash, tokens, latency, attempt, a failure’s raw text)', async () => {
    const store = await openStore(db, { readonly: true });
    const [run] = await store.runs.list();
    let found: { id: number; calls: ModelCall[] } | undefined;
    for (const t of await store.traces.list(run!.id)) {
      const calls = await store.modelCalls.list(t.id);
      if (calls.some((c) => !c.ok && c.raw === GARBLED)) found = { id: t.id, calls };
    }
    const trace = (await store.traces.get(found!.id))!;
    await store.close();
    const view = (await (await fetch(`${server.url}/api/traces/${trace.id}`)).json()) as { by_step: { before: number[] } };

    await page.goto(`${server.url}/traces/${trace.id}`);
    await page.locator('.steps').waitFor();
    // the broken tool ToolMaker first wrote, rejected with its reasons
    expect(trace.rejected_tools.length).toBeGreaterThan(0);
    const rejected = page.locator('.tools li.rejected');
    expect(await rejected.count()).toBe(trace.rejected_tools.length);
    for (const [i, t] of trace.rejected_tools.entries()) {
      expect(await rejected.nth(i).locator('code').first().textContent()).toBe((t.tool as { api_name: string }).api_name);
      expect(await rejected.nth(i).locator('.reasons').textContent()).toBe(t.reasons.join('; '));
    }
    // each simulated observation's grounding (--grounding gold: the useful material)
    const grounded = trace.steps.filter((s) => s.observation?.grounding);
    expect(grounded.length).toBeGreaterThan(0);
    for (const s of grounded)
      expect(await page.locator(`.steps > li[data-index="${s.index}"] .observation .grounding`).textContent()).toBe(
        ` grounding ${s.observation!.grounding!.mode}${s.observation!.grounding!.useful ? '' : ' (noisy)'}`,
      );
    // ToolMaker's calls before the steps, the garbled one among them: every detail of each, and its raw text
    const before = page.locator('#calls-before');
    await before.locator('summary').first().click();
    const rows = before.locator('table.calls tbody tr');
    expect(await rows.count()).toBe(view.by_step.before.length);
    for (const [row, i] of view.by_step.before.entries()) {
      const c = found!.calls[i]!;
      const cells = await rows.nth(row).locator(':scope > td').allInnerTexts();
      expect(cells.slice(0, 6)).toEqual([
        c.role,
        c.model,
        `${c.prompt_file} ${c.prompt_hash.slice(0, 10)}`,
        `${c.tokens_in} → ${c.tokens_out}`,
        `${Math.round(c.latency_ms)} ms`,
        String(c.attempt),
      ]);
      if (c.ok) expect(cells[6]).toBe('ok');
      else {
        expect(cells[6]!.startsWith(c.error!)).toBe(true);
        await rows.nth(row).locator('summary', { hasText: 'raw text' }).click();
        expect(await rows.nth(row).locator('pre').textContent()).toBe(GARBLED);
      }
    }
    expect(found!.calls.filter((c, i) => !c.ok && view.by_step.before.includes(i))).toHaveLength(1);
    // the screenshot: ToolMaker's calls open (above), and the calls behind the first step, its agent text and ToolActor's
    await page.locator('.steps > li').first().locator(':scope > details:last-of-type summary').click();
    await shot('trace', true);
  });

  it('the trace list’s status, text and dataset filters: counts equal the store’s', async () => {
    const store = await openStore(db, { readonly: true });
    const [run] = await store.runs.list();
    const traces = await store.traces.list(run!.id);
    const items = new Map((await store.items.list(run!.id)).map((i) => [i.id, i]));
    await store.close();
    const count = async (n: number) => page.locator('#count', { hasText: n ? new RegExp(` of ${n}$`) : 'no traces match' }).waitFor();
    const filter = () => page.getByRole('button', { name: 'Filter' }).click();

    await page.goto(`${server.url}/traces?run=${run!.id}`);
    await page.locator('#filters').waitFor();
    const finished = traces.filter((t) => t.status === 'finished');
    await page.locator('select[name=status]').selectOption('finished');
    await page.waitForURL(/status=finished/);
    await count(finished.length);
    const word = items
      .get(finished[0]!.item_id)!
      .question.split(/\W+/)
      .find((w) => w.length > 5)!;
    await page.locator('input[name=q]').fill(word.toUpperCase());
    await filter();
    await page.waitForURL(/q=/);
    const matching = finished.filter((t) => items.get(t.item_id)!.question.toLowerCase().includes(word.toLowerCase()));
    await count(matching.length);
    expect(await cellTexts('#traces tbody tr td:nth-child(2)')).toEqual(matching.map((t) => t.item_id));
    await page.locator('input[name=dataset]').fill('no-such-dataset');
    await filter();
    await count(0);
    await page.locator('input[name=dataset]').fill(run!.dataset);
    await filter();
    await page.waitForURL(new RegExp(`dataset=${run!.dataset}`));
    await count(matching.length);
  });

  it('filters by a reason code, opens the report and clicks through, opens the plots', async () => {
    const store = await openStore(db, { readonly: true });
    const [run] = await store.runs.list();
    await store.close();
    await page.goto(`${server.url}/traces?run=${run!.id}`);
    await page.locator('#filters').waitFor();
    await page.locator('select[name=reason]').selectOption('wrong_answer');
    await page.waitForURL(/reason=wrong_answer/);
    await page.locator('#count', { hasText: `of ${wrongAnswers}` }).waitFor();
    expect(await page.locator('#traces tbody tr').count()).toBe(wrongAnswers);
    for (const reasons of await cellTexts('#traces tbody tr td:nth-child(6)')) expect(reasons).toContain('wrong_answer');

    await page.goto(`${server.url}/report?run=${run!.id}`);
    await page.locator('#by-reason').waitFor();
    await shot('report');
    await page
      .locator('#by-reason')
      .getByRole('link', { name: String(wrongAnswers), exact: true })
      .click();
    await page.waitForURL(/\/traces\?.*reason=wrong_answer/);
    await page.locator('#count', { hasText: `of ${wrongAnswers}` }).waitFor();
    // the other counts open their traces too: "passed every check", and a check's failures
    await page.goBack();
    await page.locator('#passed a').click();
    await page.waitForURL(/\/traces\?.*verdict=passed/);
    await page.locator('#count', { hasText: report.passed.count ? `of ${report.passed.count}` : 'no traces match' }).waitFor();
    expect(await page.locator('.narrowed').textContent()).toMatch(/^passed every check/);
    for (const reasons of await cellTexts('#traces tbody tr td:nth-child(6)')) expect(reasons).toBe('');
    await page.goBack();
    const [check, failedIt] = Object.entries(report.by_check).find(([, c]) => c.count > 0)!;
    const row = page.locator('#by-check tbody tr', { has: page.locator('td:first-child', { hasText: new RegExp(`^${check}$`) }) });
    expect(await row.locator('td:nth-child(2)').textContent()).toBe(String(failedIt.count));
    await row.getByRole('link').click();
    await page.waitForURL(new RegExp(`/traces\\?.*check=${check}`));
    await page.locator('#count', { hasText: `of ${failedIt.count}` }).waitFor();
    expect(await page.locator('#traces tbody tr').count()).toBe(failedIt.count);

    await page.goto(`${server.url}/runs/${run!.id}`);
    await page.locator('.tabs').getByRole('link', { name: 'Plots' }).click();
    await page.locator('#plot-steps svg').first().waitFor();
    for (const id of ['plot-steps', 'plot-calls', 'plot-reasons', 'plot-latency', 'plot-tokens'])
      expect(await page.locator(`#${id} svg`).count(), id).toBeGreaterThan(0);
    expect(await cellTexts('#reason-links li')).toContain(`wrong_answer: ${wrongAnswers}`);
    // the reward histograms: computed in the background from the first ask, so reload until every finished trace is in
    const finished = (await openStore(db, { readonly: true }).then(async (s) => [await s.runs.status(run!.id), await s.close()] as const))[0].traces_finished;
    for (let i = 0; !(await page.locator('#rewards-progress').textContent())!.includes(`for ${finished} of ${finished} finished traces`) && i < 50; i++) {
      await page.waitForTimeout(100);
      await page.reload();
      await page.locator('#rewards-progress').waitFor();
    }
    expect(await page.locator('#rewards-progress').textContent()).toBe(
      `computed with mtr score's scorer (reward config: default) for ${finished} of ${finished} finished traces`,
    );
    expect(await page.locator('#plot-reward svg').count()).toBeGreaterThan(0);
    expect(await page.locator('#plot-em svg').count()).toBeGreaterThan(0);
    await shot('plots', true);
    // the reward's top bar opens the traces rewarded in its range, with their rewards
    const bars = page.locator('#plot-reward svg rect');
    await bars.nth((await bars.count()) - 1).click();
    await page.waitForURL(/reward_max=1/);
    await page.locator('#traces').waitFor();
    const rewards = await cellTexts('#traces tbody tr td:nth-child(6)');
    expect(rewards.length).toBeGreaterThan(0);
    for (const r of rewards) expect(Number(r)).toBeGreaterThanOrEqual(0.9);
  });
  it('the trace list opened directly: a run select from /api/runs narrows it, and then offers the reward range', async () => {
    // a second, smaller run in the same store, so narrowing to a run shows in the count
    const gen = await runCli(['generate', '--dataset', HOTPOT, '--limit', '3', '--run', 'second', '--db', db, '--base-url', model.url, '--retries', '2']);
    expect(gen.code, gen.stderr).toBe(0);
    const store = await openStore(db, { readonly: true });
    const runs = await store.runs.list();
    const sizes = await Promise.all(runs.map(async (r) => (await store.traces.list(r.id)).length));
    await store.close();
    expect(runs).toHaveLength(2);

    const from = requested.length;
    await page.goto(`${server.url}/traces`);
    await page.locator('#traces').waitFor();
    // the select asks for the runs' names only (their counts read every trace: seconds at 100k)
    const asked = requested.slice(from).map((u) => new URL(u));
    expect(asked.filter((u) => u.pathname === '/api/runs').map((u) => u.search)).toEqual(['?brief=1']);
    expect(await page.locator('#count').textContent()).toBe(`1–${sizes[0]! + sizes[1]!} of ${sizes[0]! + sizes[1]!}`);
    expect(await page.locator('select[name=run] option').allInnerTexts()).toEqual(['any run', ...runs.map((r) => `${r.key} (#${r.id})`)]);
    expect(await page.locator('input[name=reward_min]').count()).toBe(0);
    for (const [i, r] of runs.entries()) {
      await page.locator('select[name=run]').selectOption(String(r.id));
      await page.waitForURL(new RegExp(`/traces\\?run=${r.id}$`));
      await page.locator('#count', { hasText: `of ${sizes[i]}` }).waitFor();
      expect(await page.locator('#traces tbody tr').count()).toBe(sizes[i]);
      expect(await page.locator('input[name=reward_min]').count()).toBe(1);
    }
    // a range set for one run is dropped when another (or none) is chosen: rewards are per run
    await page.locator('input[name=reward_min]').fill('0.5');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/reward_min=0.5/);
    await page.locator('select[name=run]').selectOption('');
    await page.waitForURL(/\/traces$/);
    await page.locator('#count', { hasText: `of ${sizes[0]! + sizes[1]!}` }).waitFor();
  });

  it('the CARG page: tools by status, sample verdicts, the eval table of a simulator', async () => {
    // written through the store interface as the CARG stages write (test/server/view-carg.test.ts runs the stages themselves)
    const dbCarg = join(tmp, 'carg.sqlite');
    const writer = await openStore(dbCarg, { create: true });
    const tool = (name: string, status: 'accepted' | 'rejected') => ({
      name,
      field: 'sports',
      source: 'test',
      template: { api_name: name },
      status,
      reasons: [],
      notes: [],
    });
    const [a] = await writer.carg.insertTools([tool('getTeamInfo', 'accepted'), tool('getScores', 'rejected')]);
    const sample = (accepted: boolean) => ({
      kind: 'single' as const,
      round: 0,
      input: { team: 'x' },
      output: { name: 'x' },
      verdicts: { format: { pass: accepted, reason: accepted ? 'ok' : 'not JSON' } },
      accepted,
    });
    await writer.carg.saveJob('single', a!, {}, [sample(true), sample(false)]);
    const scored = (scenario: string, format: number) => ({ scenario, input: {}, output: {}, scores: { format, comp: 1 } });
    await writer.carg.saveEvalCases('eval:sim', 'sim', a!, [scored('single', 1), scored('single', 0), scored('error', 1)]);
    await writer.close();
    const service = viewService(await openViewStore(dbCarg));
    const cargServer = await startViewServer(service, { host: '127.0.0.1', port: 0, webRoot: web });
    origins.add(new URL(cargServer.url).origin);
    try {
      await page.goto(`${cargServer.url}/carg`);
      await page.locator('.eval-table').waitFor();
      expect(await page.locator('h1').textContent()).toBe('CARG: 2 tools');
      const rows = await page
        .locator('.eval-table tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
      expect(rows).toEqual([
        ['error', '1'],
        ['single', '2'],
        ['All', '3'],
      ]);
      // Format of single: one case of two passes
      expect(await page.locator('.eval-table tbody tr').nth(1).locator('td').nth(2).textContent()).toBe('50.0');
      // a rejected sample is shown first, with its failed verdict
      const first = page.locator('#samples-single tbody tr').first();
      expect(await first.locator('td').nth(3).textContent()).toBe('no');
      expect(await first.locator('td').nth(4).textContent()).toContain('format: fail');
      await shot('carg');
    } finally {
      await cargServer.close();
      await service.close();
    }
  });

  it('the pages ask nothing outside the local server (no CDN, works offline)', () => {
    expect(requested.length).toBeGreaterThan(20);
    expect(requested.filter((url) => !origins.has(new URL(url).origin))).toEqual([]);
    expect([...origins].every((o) => o.startsWith('http://127.0.0.1:'))).toBe(true);
  });
});
