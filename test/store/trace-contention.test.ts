import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goodSteps, TOOLS } from '../../fakes/traces.js';
import type { DatasetItem } from '../../src/schema/item.js';
import { openStore, TraceDraft } from '../../src/store/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-contention-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const item: DatasetItem = { id: 'q1', dataset: 'toy', question: 'Who wrote it?', answers: ['Ann'] };

/**
 * Another process (validate writing verdicts, an export) holds the write lock for `ms`, then commits. Resolves once
 * it holds the lock; `done` resolves when it has committed and exited.
 */
async function otherWriter(path: string, ms: number): Promise<{ done: Promise<number | null> }> {
  const code = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare('UPDATE runs SET config = config').run();
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});
    db.exec('COMMIT');
    db.close();`;
  const child = spawn(process.execPath, ['-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('close', (c) => reject(new Error(`writer exited ${c} before taking the lock`)));
  });
  return { done };
}

describe('a trace finishing while another process writes the store', () => {
  it('waits for the other writer and lands whole (the read-then-write transaction takes the write lock first)', async () => {
    const path = join(tmp, 'store.sqlite');
    const store = await openStore(path, { create: true });
    const runId = await store.runs.upsert('run-1', 'toy', { k: 1 });
    await store.items.add(runId, [item]);
    const draft = new TraceDraft(await store.traces.begin(runId, item.id));
    draft.setTools(TOOLS, []);
    for (const s of goodSteps(item)) draft.step(s);

    const other = await otherWriter(path, 300);
    // before: the transaction read the trace's status, then met the other writer's commit when it wrote, and
    // failed at once with "database is locked" (SQLITE_BUSY on a stale snapshot is not retried by busy_timeout)
    await store.traces.finish(draft.id, draft, { stopReason: 'answer', answer: 'Ann' });
    expect(await other.done).toBe(0);

    const trace = await store.traces.get(draft.id);
    expect(trace).toMatchObject({ status: 'finished', answer: 'Ann' });
    expect(trace!.steps).toHaveLength(3);
    await store.close();
  });
});
