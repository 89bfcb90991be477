import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolTemplate } from '../../src/schema/tool.js';
import { runCli, serveCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { promptOf, simulated } from './tools-fixture.js';

/** A tool file whose data would send numbers and booleans as strings. */
const BOOK: ToolTemplate = {
  api_name: 'book_rooms',
  api_description: 'Books hotel rooms.',
  parameters: {
    rooms: { type: 'integer', description: 'How many rooms.' },
    refundable: { type: 'boolean', description: 'Only refundable rates.' },
  },
  required: ['rooms'],
  responses: { confirmation: { type: 'string', description: 'The booking code.' } },
};

let fake: FakeServer;
let file: string;
beforeAll(async () => {
  fake = await startFakeOpenAI({ respond: simulated });
  file = join(mkdtempSync(join(tmpdir(), 'mtr-serve-coerce-')), 'tools.json');
  writeFileSync(file, JSON.stringify([BOOK]));
});
afterAll(() => fake.close());

/** `mtr serve tools` (the real binary) over the tool file, with the fake model as simulator. */
const serve = (args: string[]) => serveCli('tools', ['--toolset', file, '--base-url', fake.url, '--model', 'fake-model', ...args]);
const call = async (url: string, args: unknown) =>
  (await (await fetch(`${url}/v1/tools/book_rooms`, { method: 'POST', body: JSON.stringify(args) })).json()) as {
    source: string;
    error?: { type: string; parameter: string };
  };
const precheckStats = async (url: string) => ((await (await fetch(`${url}/health`)).json()) as { precheck: unknown }).precheck;

describe('serve tools --coerce', () => {
  it('by default (strict) answers "3" for an integer with a type_error and no model call; /health counts it', async () => {
    const server = await serve([]);
    try {
      const before = fake.requests.length;
      expect(await call(server.url, { rooms: '3' })).toMatchObject({ source: 'precheck', error: { type: 'type_error', parameter: 'rooms' } });
      expect(await call(server.url, {})).toMatchObject({ source: 'precheck', error: { type: 'missing_required', parameter: 'rooms' } });
      expect(await call(server.url, { rooms: 3 })).toMatchObject({ source: 'simulated' });
      expect(fake.requests.length).toBe(before + 1); // only the well-typed call reached the model
      expect(await precheckStats(server.url)).toEqual({ rejected: { type_error: 1, missing_required: 1 }, coerced: 0 });
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  it('with strings simulates the same call with 3 (and "true" as true); what coercion cannot fix is still rejected', async () => {
    const server = await serve(['--coerce', 'strings']);
    try {
      const before = fake.requests.length;
      expect(await call(server.url, { rooms: '3', refundable: 'true' })).toMatchObject({ source: 'simulated' });
      expect(fake.requests.length).toBe(before + 1);
      const prompt = promptOf(fake.requests.at(-1)!);
      expect(prompt).toMatch(/"rooms":\s*3\b/);
      expect(prompt).toMatch(/"refundable":\s*true\b/);
      expect(prompt).not.toMatch(/"rooms":\s*"3"/);
      expect(await call(server.url, { rooms: '2.5' })).toMatchObject({ source: 'precheck', error: { type: 'type_error', parameter: 'rooms' } });
      expect(await call(server.url, { rooms: ' 3' })).toMatchObject({ source: 'precheck', error: { type: 'type_error' } });
      expect(fake.requests.length).toBe(before + 1);
      expect(await precheckStats(server.url)).toEqual({ rejected: { type_error: 2 }, coerced: 1 });
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  it('refuses an unknown policy, naming the flag', async () => {
    const r = await runCli(['serve', 'tools', '--toolset', file, '--coerce', 'loose']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--coerce/);
  });
});
