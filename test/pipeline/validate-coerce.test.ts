import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportJob } from '../../src/pipeline/export.js';
import { formatReport, validateJob } from '../../src/pipeline/validate.js';
import type { DatasetItem } from '../../src/schema/item.js';
import { openStore } from '../../src/store/index.js';
import { CheckConfigSchema, checkConfigHash } from '../../src/validate/index.js';
import { runCli } from '../support/cli.js';
import { agentCall, bamboogle, goodSteps, TOOLS } from '../validate/fixtures.js';

/** A store of 3 real Bamboogle traces: one well-typed, one whose wiki_search top_k is "3", one whose top_k is "three". */
async function storeWithStringArguments(dir: string, config: Record<string, unknown> = {}, name = 'store.sqlite'): Promise<string> {
  const items = await bamboogle(3);
  const path = join(dir, name);
  const store = await openStore(path, { create: true });
  const runId = await store.runs.upsert('strings', 'bamboogle', { maxTurns: 6, format: 'text', ...config });
  await store.items.add(runId, items);
  const write = async (item: DatasetItem, topK?: string) => {
    const id = await store.traces.begin(runId, item.id);
    const steps = goodSteps(item);
    if (topK !== undefined) steps[1]!.call!.arguments = { query: item.question, top_k: topK };
    await store.traces.finish(id, { tools: TOOLS, rejected: [], steps, calls: [agentCall()] }, { stopReason: 'answer', answer: steps.at(-1)!.answer });
  };
  await write(items[0]!);
  await write(items[1]!, '3');
  await write(items[2]!, 'three');
  await store.close();
  return path;
}

let db: string;
beforeAll(async () => {
  db = await storeWithStringArguments(mkdtempSync(join(tmpdir(), 'mtr-validate-coerce-')));
});

describe('validate --coerce', () => {
  it('strict (the default) fails "3" for an integer as invalid_arguments, counted by the pre-check error type', async () => {
    const s = await validateJob.run({ db });
    expect(s.config_hash).toBe(checkConfigHash(CheckConfigSchema.parse({})));
    expect(s.config_hash).toBe('6a63c52c74ede25d'); // the default's pinned hash (test/pipeline/validate.test.ts): --coerce strict changes nothing
    expect(s.report.passed.count).toBe(1);
    expect(s.report.by_check.tool_calls?.count).toBe(2);
    expect(s.report.invalid_arguments_by_type).toEqual({ type_error: { count: 2, pct: 66.67 } });
    expect(formatReport(s.report)).toMatch(/invalid_arguments\s+2 .*\n\s+type_error\s+2 /);
    expect((await validateJob.run({ db, coerce: 'strict' })).config_hash).toBe(s.config_hash); // strict said aloud: the same verdicts
  });

  it('strings validates the way a run made with --coerce strings was pre-checked: "3" passes, "three" still fails', async () => {
    const s = await validateJob.run({ db, coerce: 'strings' });
    expect(s.config).toMatchObject({ coerce: 'strings' });
    expect(s.config_hash).not.toBe(checkConfigHash(CheckConfigSchema.parse({})));
    expect(s.checked).toBe(3); // its own verdicts, not the strict ones
    expect(s.report.passed.count).toBe(2);
    expect(s.report.invalid_arguments_by_type).toEqual({ type_error: { count: 1, pct: 33.33 } });
  });

  it('is a flag of mtr validate', async () => {
    const r = await runCli(['validate', '--db', db, '--coerce', 'strings', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).report.passed.count).toBe(2);
  });

  it("without the flag, a run's own policy (generate --coerce strings, stored with the run) is the one validate and export read calls with", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-validate-coerce-run-'));
    const made = await storeWithStringArguments(dir, { coerce: 'strings' });
    const s = await validateJob.run({ db: made });
    expect(s.config).toMatchObject({ coerce: 'strings' });
    expect(s.report.passed.count).toBe(2);
    expect((await validateJob.run({ db: made, coerce: 'strict' })).report.passed.count).toBe(1); // the flag wins
    const out = join(dir, 'sft');
    const exported = await exportJob.run({ db: made, out, stage: 'sft', format: 'jsonl' });
    expect(exported.train + exported.validation).toBe(2);
  });

  it('runs made under two policies need --coerce (one check config is one verdict hash)', async () => {
    const mixed = await storeWithStringArguments(mkdtempSync(join(tmpdir(), 'mtr-validate-coerce-mixed-')), { coerce: 'strings' });
    const store = await openStore(mixed);
    await store.runs.upsert('strict-run', 'bamboogle', { maxTurns: 6, format: 'text' });
    await store.close();
    await expect(validateJob.run({ db: mixed })).rejects.toThrow(
      /--coerce: expected one pre-check policy for runs strings, strict-run, got strings and strict; name it with --coerce/,
    );
    expect((await validateJob.run({ db: mixed, coerce: 'strings' })).report.passed.count).toBe(2);
  });
});
