import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { SHARED_DATASETS } from '../support/paths.js';
import { scriptedModel } from '../support/scripted-roles.js';

// `mtr generate` (the real binary) on a Bamboogle file with bad records spliced in: lines 3 and 5.
const tmp = mkdtempSync(join(tmpdir(), 'mtr-limits-cli-'));
const good = readFileSync(join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 3);
const LONG = JSON.stringify({ idx: 900, question: `${'Who is it? '.repeat(500)}`, answer: 'x' });
const BROKEN = '{"idx": 901, "question": "cut off';
const DATASET = join(tmp, 'bamboogle-bad.jsonl');
writeFileSync(DATASET, [good[0], good[1], LONG, good[2], BROKEN, ''].join('\n'));

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOpenAI({ respond: scriptedModel({ items: await loadItems(join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl'), { limit: 3 }) }) });
});
afterAll(() => server.close());

describe('mtr generate: dataset limits', () => {
  it('a question over --max-question-chars stops the run with file:line: question, before the store or any model is touched', async () => {
    const db = join(tmp, 'refused.sqlite');
    const r = await runCli(['generate', '--dataset', DATASET, '--db', db, '--base-url', server.url, '--retries', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `${DATASET}:3: question: expected at most 4000 characters, got 5500 (--max-question-chars raises the limit, or --skip-bad to skip such records)`,
    );
    expect(existsSync(db)).toBe(false);
    expect(server.requests).toHaveLength(0);
    const small = await runCli(['generate', '--dataset', DATASET, '--db', db, '--base-url', server.url, '--max-record-bytes', '1000']);
    expect(small.stderr).toContain(
      `${DATASET}:3: expected a record of at most 1000 bytes, got ${Buffer.byteLength(LONG)} (--max-record-bytes raises the limit`,
    );
    expect(existsSync(db)).toBe(false);
    const flag = await runCli(['generate', '--dataset', DATASET, '--db', db, '--max-question-chars', '0']);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/--max-question-chars/);
  }, 30_000);

  it('--skip-bad runs the good records and counts the skipped ones in the summary, with their reasons', async () => {
    const db = join(tmp, 'skipped.sqlite');
    const r = await runCli(['generate', '--dataset', DATASET, '--db', db, '--base-url', server.url, '--skip-bad', '--retries', '0']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 traces finished, 0 failed, 0 already done of 3/);
    expect(r.stdout).toContain(`2 dataset records skipped (--skip-bad):\n  skipped ${DATASET}:3: question: expected at most 4000 characters, got 5500`);
    expect(r.stdout).toMatch(new RegExp(`  skipped ${DATASET}:5: invalid JSON: `));

    const again = await runCli(['generate', '--dataset', DATASET, '--db', db, '--base-url', server.url, '--skip-bad', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({
      items: 3,
      already_finished: 3,
      finished: 0,
      records_skipped: 2,
      skipped: [{ where: `${DATASET}:3` }, { where: `${DATASET}:5` }],
    });
  }, 60_000);
});
