import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/cli/command.js';
import generateCommand from '../../src/cli/generate.js';
import { resolveGenerateConfig as generateConfig } from '../../src/pipeline/generate.js';
import { loadItems } from '../../src/data/index.js';
import { storeStatus as statusOf, closedPort } from '../support/store.js';
import { openDb } from '../../src/store/index.js';
import { runCli, spawnCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel } from '../support/scripted-roles.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-cli-'));
const HOTPOT = join(SHARED_DATASETS, 'hotpotqa/hotpot_dev_qa_500.jsonl');
const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const fast = ['--retries', '2', '--timeout', '10'];

describe('mtr generate / status (the real binary)', () => {
  let server: FakeServer;
  beforeAll(async () => {
    const items = await loadItems(HOTPOT, { limit: 40 });
    server = await startFakeOpenAI({ respond: scriptedModel({ items }), latencyMs: 15 });
  });
  afterAll(() => server.close());

  it('survives SIGKILL mid-run: the re-run resumes and every item ends with exactly one finished trace', async () => {
    const db = join(tmp, 'killed.sqlite');
    const args = ['generate', '--dataset', HOTPOT, '--limit', '40', '--db', db, '--base-url', server.url, '--concurrency', '4', ...fast];
    const { child, done } = spawnCli(args);
    // Kill once some traces are finished and others are mid-flight.
    for (let i = 0; i < 400; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        if (statusOf(db).traces_finished >= 8) break;
      } catch {
        // the store may not exist yet
      }
    }
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    const mid = statusOf(db);
    expect(mid.traces_finished).toBeGreaterThanOrEqual(8);
    expect(mid.traces_finished).toBeLessThan(40);

    const rerun = await runCli([...args, '--json']);
    expect(rerun.stderr).not.toMatch(/error/i);
    expect(rerun.code).toBe(0);
    const summary = JSON.parse(rerun.stdout);
    expect(summary.already_finished).toBe(mid.traces_finished);
    expect(summary.finished).toBe(40 - mid.traces_finished);

    const status = await runCli(['status', '--db', db, '--json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ items_total: 40, traces_finished: 40, traces_failed: 0, traces_running: 0, duplicates: 0 });
    for (const key of ['items_total', 'traces_finished', 'traces_failed', 'duplicates', 'steps', 'model_calls', 'tokens_in', 'tokens_out'])
      expect(typeof s[key]).toBe('number');
    const store = openDb(db);
    const perItem = store.prepare(`SELECT item_id, SUM(status = 'finished') f, SUM(status = 'running') r FROM traces GROUP BY item_id`).all() as {
      f: number;
      r: number;
    }[];
    expect(perItem).toHaveLength(40);
    expect(perItem.every((x) => x.f === 1 && x.r === 0)).toBe(true);
    store.close();
  });

  describe('bad input: one clear error line, non-zero exit, the store untouched', () => {
    const db = join(tmp, 'precious.sqlite');
    let before: ReturnType<typeof statusOf>;
    beforeAll(async () => {
      const ok = await runCli(['generate', '--dataset', HOTPOT, '--limit', '3', '--db', db, '--base-url', server.url, ...fast]);
      expect(ok.code).toBe(0);
      before = statusOf(db);
      expect(before.traces_finished).toBe(3);
    });

    const expectOneLine = (r: { code: number | null; stderr: string }, pattern: RegExp) => {
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(statusOf(db)).toEqual(before);
    };

    it('malformed dataset line names file and line', async () => {
      const bad = join(tmp, 'bad.jsonl');
      writeFileSync(
        bad,
        ['{"idx": 0, "question": "Q one?", "answer": "A"}', '{"idx": 1, "question": "Q two?", "answer": "B"}', '{"idx": 2, "question": oops}'].join('\n'),
      );
      expectOneLine(await runCli(['generate', '--dataset', bad, '--db', db, '--base-url', server.url]), /bad\.jsonl:3: .*JSON/);
    });

    it('unknown dataset name lists the known ones', async () => {
      expectOneLine(
        await runCli(['generate', '--dataset', 'hotpotqq', '--db', db, '--base-url', server.url]),
        /unknown dataset "hotpotqq" \(did you mean hotpotqa or hotpot\?\).*bamboogle/,
      );
    });

    it('unreachable model server names the URL and the ways out', async () => {
      const url = `http://127.0.0.1:${await closedPort()}/v1`;
      const r = await runCli(['generate', '--dataset', HOTPOT, '--limit', '5', '--db', db, '--base-url', url, ...fast]);
      expectOneLine(r, new RegExp(`${url.replace(/[/.]/g, '\\$&')}.*--model-file`));
    });

    it('status of a missing store or an unknown run', async () => {
      expectOneLine(
        await runCli(['status', '--db', join(tmp, 'nope.sqlite')]),
        /nope\.sqlite: no such store \(create one with mtr generate --db .*nope\.sqlite\)$/,
      );
      expectOneLine(
        await runCli(['status', '--db', db, '--run', '99']),
        /--run: expected one of the runs in the store by name or id \(\S+ \(id 1\)\), got "99"/,
      );
    });

    it('bad flag and bad value', async () => {
      expectOneLine(await runCli(['generate', '--dataset', HOTPOT, '--db', db, '--concurrensy', '4']), /unknown option '--concurrensy'.*--help/i);
      expectOneLine(await runCli(['generate', '--dataset', HOTPOT, '--db', db, '--concurrency', 'many']), /--concurrency: expected a number, got "many"/);
      expectOneLine(await runCli(['generate', '--db', db]), /missing required option --dataset/);
    });
  });

  describe('reliability (the real binary)', () => {
    it('--timeout reaches every role: a slow server times out per request, is retried, and the stored config shows it', async () => {
      const items = await loadItems(BAMBOOGLE, { limit: 1 });
      const script = scriptedModel({ items });
      const seen = new Set<string>();
      // every distinct request is slow the first time (1.5 s) and prompt on its retry
      const slow = await startFakeOpenAI({
        respond: (req) => {
          const key = JSON.stringify(req.messages);
          const first = !seen.has(key);
          seen.add(key);
          return first ? { delayMs: 1500, then: script(req) } : script(req);
        },
      });
      try {
        const db = join(tmp, 'timeout.sqlite');
        const r = await runCli([
          'generate',
          '--dataset',
          BAMBOOGLE,
          '--limit',
          '1',
          '--db',
          db,
          '--base-url',
          slow.url,
          '--timeout',
          '0.3',
          '--retries',
          '2',
          '--json',
        ]);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ finished: 1, failed: 0 });
        const store = openDb(db);
        const timeouts = store
          .prepare(`SELECT role, COUNT(*) n FROM model_calls WHERE ok = 0 AND error LIKE '%no answer within 300 ms%' GROUP BY role ORDER BY role`)
          .all();
        const config = JSON.parse((store.prepare('SELECT config FROM runs').get() as { config: string }).config);
        store.close();
        expect(timeouts.map((t: any) => t.role)).toEqual(['actor', 'agent', 'maker']);
        expect(config.model.timeoutMs).toBe(300);
        for (const role of ['maker', 'agent', 'actor']) expect(config.roles[role]?.timeoutMs).toBeUndefined(); // no per-role value hides the run's
      } finally {
        await slow.close();
      }
    });

    it('a model server on a new address resumes the run and says so in one line', async () => {
      const db = join(tmp, 'moved.sqlite');
      const first = await runCli(['generate', '--dataset', HOTPOT, '--limit', '2', '--db', db, '--base-url', server.url, ...fast, '--json']);
      expect(first.code).toBe(0);
      const items = await loadItems(HOTPOT, { limit: 4 });
      const moved = await startFakeOpenAI({ respond: scriptedModel({ items }) });
      try {
        const r = await runCli(['generate', '--dataset', HOTPOT, '--limit', '4', '--db', db, '--base-url', moved.url, ...fast]);
        expect(r.code).toBe(0);
        expect(
          r.stderr
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('resuming run')),
        ).toEqual([expect.stringContaining(`model server moved from ${server.url} to ${moved.url}`)]);
        expect(r.stdout).toMatch(/2 traces finished, 0 failed, 2 already done of 4/);
        expect(statusOf(db)).toMatchObject({ runs: 1, items_total: 4, traces_finished: 4, duplicates: 0 });
      } finally {
        await moved.close();
      }
    });

    it('a dead --retrieval-url stops the run at once: one line naming it and the ways out, no store written', async () => {
      const db = join(tmp, 'dead-retrieval.sqlite');
      const url = `http://127.0.0.1:${await closedPort()}`;
      const before = server.stats().received;
      const r = await runCli(['generate', '--dataset', HOTPOT, '--limit', '5', '--db', db, '--base-url', server.url, '--retrieval-url', url, ...fast]);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`--retrieval-url: cannot use the retrieval server at ${url.replace(/[/.]/g, '\\$&')}/retrieve: .*ECONNREFUSED.*--index FILE`),
      );
      expect(existsSync(db)).toBe(false);
      expect(server.stats().received).toBe(before);
    });

    it('status shows failures by code and attempts; --retry-failed and --max-item-attempts are flags', async () => {
      const items = await loadItems(BAMBOOGLE, { limit: 3 });
      const script = scriptedModel({ items });
      let broken = true;
      const flaky = await startFakeOpenAI({
        respond: (req) => (broken && JSON.stringify(req.messages).includes(items[0]!.question) ? { status: 503 } : script(req)),
      });
      try {
        const db = join(tmp, 'failures.sqlite');
        const args = ['generate', '--dataset', BAMBOOGLE, '--limit', '3', '--db', db, '--base-url', flaky.url, '--retries', '1', '--max-item-attempts', '1'];
        expect((await runCli(args)).stdout).toMatch(/2 traces finished, 1 failed/);
        const text = await runCli(['status', '--db', db]);
        expect(text.stdout).toMatch(/^ {2}E_MODEL +1 items, 1 attempts/m);
        expect(JSON.parse((await runCli(['status', '--db', db, '--json'])).stdout)).toMatchObject({
          failures_by_code: { E_MODEL: { items: 1, attempts: 1 } },
          items_retried: 0,
        });
        broken = false;
        const kept = await runCli(args);
        expect(kept.stdout).toMatch(/1 failed items left failed .*--retry-failed/);
        const retried = await runCli([...args, '--retry-failed']);
        expect(retried.stdout).toMatch(/1 traces finished, 0 failed, 2 already done of 3/);
        expect(retried.stdout).toMatch(/1 failed items of earlier attempts retried/);
        expect(JSON.parse((await runCli(['status', '--db', db, '--json'])).stdout)).toMatchObject({
          traces_finished: 3,
          duplicates: 0,
          failures_by_code: {},
          items_retried: 1,
        });
      } finally {
        await flaky.close();
      }
    });

    it('a run where every trace failed exits 1 and says why, by failure code, with what to change', async () => {
      const down = await startFakeOpenAI({ respond: () => ({ status: 503 }) });
      try {
        const db = join(tmp, 'all-failed.sqlite');
        const r = await runCli([
          'generate',
          '--dataset',
          BAMBOOGLE,
          '--limit',
          '2',
          '--db',
          db,
          '--base-url',
          down.url,
          '--retries',
          '0',
          '--max-item-attempts',
          '1',
        ]);
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(/0 traces finished, 2 failed/);
        expect(r.stderr).toMatch(
          /nothing generated \(E_EMPTY\): all 2 traces failed; by cause: E_MODEL 2 \(the model server failed after --retries; re-run the command/,
        );
        expect(statusOf(db)).toMatchObject({ traces_failed: 2, duplicates: 0 });
      } finally {
        await down.close();
      }
    });
  });

  it('a bad per-role server URL is reported under its own flag', () => {
    const flags = (...extra: string[]) =>
      parseCommandArgs(generateCommand, ['--dataset', HOTPOT, '--db', join(tmp, 'x.sqlite'), ...extra], {}).options as Parameters<typeof generateConfig>[0];
    expect(() => generateConfig(flags('--actor-base-url', 'localhost:8001'))).toThrow(/^--actor-base-url: expected an http\(s\) URL.*got "localhost:8001"/);
    expect(() => generateConfig(flags('--base-url', 'localhost:8000'))).toThrow(/^--base-url: expected an http\(s\) URL/);
    expect(generateConfig(flags('--actor-base-url', 'http://127.0.0.1:8001/v1')).roles).toMatchObject({ actor: { baseUrl: 'http://127.0.0.1:8001/v1' } });
  });

  it('--dialect: hermes by default, search-r1 on request, anything else refused by the option layer', () => {
    const flags = (...extra: string[]) =>
      parseCommandArgs(generateCommand, ['--dataset', HOTPOT, '--db', join(tmp, 'x.sqlite'), ...extra], {}).options as Parameters<typeof generateConfig>[0];
    expect(generateConfig(flags()).dialect).toBe('hermes');
    expect(generateConfig(flags('--dialect', 'search-r1')).dialect).toBe('search-r1');
    expect(() => flags('--dialect', 'searchr1')).toThrow(/--dialect: expected one of hermes\|search-r1, got "searchr1"/);
  });

  it('--dialect search-r1 through the real binary: wiki_search steps stored, and --help says what the dialect does', async () => {
    const items = await loadItems(BAMBOOGLE, { limit: 3 });
    const sr1 = await startFakeOpenAI({ respond: scriptedModel({ items, format: 'search-r1' }) });
    const db = join(tmp, 'sr1.sqlite');
    const r = await runCli([
      'generate',
      '--dataset',
      BAMBOOGLE,
      '--limit',
      '3',
      '--db',
      db,
      '--base-url',
      sr1.url,
      '--dialect',
      'search-r1',
      '--max-turns',
      '4',
      '--json',
      ...fast,
    ]);
    await sr1.close();
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/error/i);
    expect(JSON.parse(r.stdout)).toMatchObject({ finished: 3, failed: 0 });
    expect(statusOf(db)).toMatchObject({ traces_finished: 3, answers: 3, steps: 9, tool_calls: 6 });
    const help = await runCli(['generate', '--help']);
    expect(help.stdout).toMatch(/--dialect[\s\S]*search-r1[\s\S]*ToolMaker is skipped/);
  });

  it('--help explains every command with an example', async () => {
    const top = await runCli(['--help']);
    const commands = [...top.stdout.split('Commands:\n')[1]!.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['generate', 'status', 'score', 'serve']));
    for (const cmd of commands) {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Examples:\\n  mtr ${cmd}`));
    }
  });
});
