import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadItems } from '../../src/data/index.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { BROKEN_TOOL, scriptedModel, TASK_TOOL } from '../support/scripted-roles.js';
import { SHARED_DATASETS } from '../support/paths.js';

const BAMBOOGLE = join(SHARED_DATASETS, 'bamboogle/bamboogle.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'mtr-cli-eval-toolset-'));
const TOOLS = join(tmp, 'tools.json');
writeFileSync(TOOLS, JSON.stringify([TASK_TOOL]));

describe('mtr eval / generate --toolset (CLI)', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeOpenAI({ respond: scriptedModel({ items: await loadItems(BAMBOOGLE, { limit: 2 }) }) });
  });
  afterAll(() => server.close());

  it('a missing file, a file with no usable tool, and --tools-from maker|none or --dialect search-r1 beside it: one line each, exit 2, no model call, nothing written', async () => {
    const noTool = join(tmp, 'no-tool.json');
    // every tool refused: one fails the tool check, the other is named like the utility wiki_search
    writeFileSync(noTool, JSON.stringify([BROKEN_TOOL, { ...TASK_TOOL, api_name: 'wiki_search' }]));
    const missing = join(tmp, 'missing.json');
    const cases: [string[], string][] = [
      [['--toolset', missing], `mtr eval: --toolset: expected an existing tool file, got "${missing}" (not found)`],
      [['--toolset', noTool], `mtr eval: --toolset: expected at least one usable tool in ${noTool}, got none (2 skipped)`],
      [
        ['--toolset', TOOLS, '--tools-from', 'maker'],
        "mtr eval: --toolset: expected --tools-from utility (the file's tools replace ToolMaker's), got --tools-from maker",
      ],
      [
        ['--toolset', TOOLS, '--tools-from', 'none'],
        "mtr eval: --toolset: expected --tools-from utility (the file's tools replace ToolMaker's), got --tools-from none",
      ],
      [['--toolset', TOOLS, '--dialect', 'search-r1'], 'mtr eval: --toolset: expected --dialect hermes (search-r1 offers only search), got search-r1'],
    ];
    const out = join(tmp, 'bad');
    for (const [flags, line] of cases) {
      const r = await runCli(['eval', '--dataset', BAMBOOGLE, '--limit', '2', '--base-url', server.url, '--out', out, ...flags]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      // the skipped tool's notice comes first (as serve tools reports it), then the error
      expect(lines.at(-1)).toBe(`${line} (see mtr eval --help)`);
      expect(lines.length).toBe(flags[1] === noTool ? 3 : 1);
    }
    expect(server.requests).toHaveLength(0);
    expect(existsSync(out)).toBe(false);
  });

  it('generate --toolset alone means --tools-from utility: traces with the file tool and wiki_search, no ToolMaker call; --tools-from maker beside it is refused', async () => {
    const db = join(tmp, 'gen.sqlite');
    const r = await runCli(['generate', '--dataset', BAMBOOGLE, '--limit', '2', '--toolset', TOOLS, '--base-url', server.url, '--db', db]);
    expect(r.stderr).not.toContain('mtr generate:');
    expect(r.code).toBe(0);
    expect(server.requests.some((q) => q.response_format?.json_schema?.name === 'tool_set')).toBe(false);
    const store = await openStore(db);
    try {
      const [run] = await store.runs.list();
      const traces = await store.traces.list(run!.id);
      expect(traces.map((t) => [t.status, t.tools.map((x) => `${x.origin}:${x.tool.api_name}`)])).toEqual([
        ['finished', ['user:lookup_entity_fact', 'utility:wiki_search']],
        ['finished', ['user:lookup_entity_fact', 'utility:wiki_search']],
      ]);
      expect(traces.map((t) => t.steps[0]!.call!.name)).toEqual(['lookup_entity_fact', 'lookup_entity_fact']);
    } finally {
      await store.close();
    }
    const maker = await runCli(['generate', '--dataset', BAMBOOGLE, '--toolset', TOOLS, '--tools-from', 'maker', '--base-url', server.url, '--db', db]);
    expect(maker.code).toBe(2);
    expect(maker.stderr.trim()).toBe(
      "mtr generate: --toolset: expected --tools-from utility (the file's tools replace ToolMaker's), got --tools-from maker (see mtr generate --help)",
    );
  });
});
