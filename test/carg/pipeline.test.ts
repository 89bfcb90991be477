import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTool, auditVerdict } from '../../src/carg/audit.js';
import { errorDataForTool } from '../../src/carg/error-data.js';
import { groupFor } from '../../src/carg/groups.js';
import { groupsOfRepository, multiTurnForTool } from '../../src/carg/multi.js';
import { evalTable, evalTool, renderEvalTable } from '../../src/carg/eval.js';
import { sftRow, simulatorMessages } from '../../src/carg/export.js';
import { importTools } from '../../src/carg/repository.js';
import { formatVerdict, singleTurnForTool } from '../../src/carg/single.js';
import type { RoleModel } from '../../src/llm/role.js';
import type { RoleModels } from '../../src/pipeline/models.js';
import { runCargStage, type StageRun } from '../../src/pipeline/carg/stage.js';
import { validateJson } from '../../src/schema/json-schema.js';
import { parametersJsonSchema } from '../../src/schema/tool-convert.js';
import { openDb } from '../../src/store/db.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startFakeOpenAI, type FakeServer } from '../support/openai-server.js';
import { sealTools } from '../support/seal-tools.js';
import { cargTestRoles, tempDir } from './helpers.js';
import { scriptedCarg } from './scripted-carg.js';

const tools = sealTools().slice(0, 4);
const tmp = tempDir('pipeline');

describe('CARG end to end through the real client (scripted generator, judge and simulator)', () => {
  let server: FakeServer;
  let models: RoleModels<'maker' | 'judge' | 'actor'>;
  let generator: RoleModel;
  let judge: RoleModel;
  let store: Store;
  let repo: Store['carg'];
  /** the same file through SQL, for what the repository does not read back (stored model calls) */
  let raw: ReturnType<typeof openDb>;
  /** the stage loop as the jobs run it (one runner, failures stored) */
  const stage = (name: string, job: string, split: StageRun['split'] = 'all', holdout = 0) => ({ stage: name, job, split, holdout, concurrency: 4 });
  beforeAll(async () => {
    server = await startFakeOpenAI({ respond: scriptedCarg(tools) });
    models = await cargTestRoles(['maker', 'judge', 'actor'], { baseUrl: server.url, model: 'fake-model', maxRetries: 0 });
    ({ maker: generator, judge } = models.roles);
    const file = join(tmp.dir, 'pipeline.sqlite');
    store = await openStore(file, { create: true });
    repo = store.carg;
    raw = openDb(file);
    await importTools(repo, [tmp.write('tools.json', tools)]);
  });
  afterAll(async () => {
    raw.close();
    await store.close();
    await models.close();
    await server.close();
  });

  it('single: V_format fails the broken sample, the low pass rate triggers one refined round, verdicts and calls stored', async () => {
    const s = await runCargStage(repo, stage('single', 'single'), (tool, row) =>
      singleTurnForTool(repo, 'single', row.id, tool, { generator, judge, count: 2, minPassRate: 0.9, maxRefines: 2 }),
    );
    expect(s).toMatchObject({ tools: 4, done: 4, failed: 0 });
    const samples = await repo.listSamples({ kinds: ['single'] });
    expect(samples).toHaveLength(16); // 2 rounds × 2 samples × 4 tools
    const rejected = samples.filter((x) => !x.accepted);
    expect(rejected).toHaveLength(4);
    for (const r of rejected) expect(r).toMatchObject({ round: 0, verdicts: { format: { pass: false }, logic: { reason: 'not judged: V_format failed' } } });
    expect(samples.filter((x) => x.round === 1).every((x) => x.accepted)).toBe(true);
    const calls = raw.prepare(`SELECT calls FROM carg_samples WHERE calls IS NOT NULL`).all() as { calls: string }[];
    const roles = calls.flatMap((c) => JSON.parse(c.calls).map((m: any) => `${m.role}:${m.prompt_file}`));
    expect(new Set(roles)).toEqual(new Set(['maker:carg-single.md', 'maker:carg-single-refine.md', 'judge:carg-judge-logic.md', 'judge:carg-judge-sem.md']));
    const refineRequest = server.requests.find((r) => r.messages.length === 3)!;
    expect(refineRequest.messages[2].content).toContain('output/: must have required property');
  });

  it('single resumes: a re-run skips every stored tool and calls no model', async () => {
    const before = server.requests.length;
    const s = await runCargStage(repo, stage('single', 'single'), () => Promise.reject(new Error('must not run')));
    expect(s).toMatchObject({ tools: 4, already_done: 4, done: 0 });
    expect(server.requests.length).toBe(before);
  });

  it("sample filters: toolId selects one tool's samples in SQL; counts agree with the lists", async () => {
    const all = await repo.listSamples({ kinds: ['single'] });
    const toolIds = [...new Set(all.map((x) => x.tool_id))];
    expect(toolIds.length).toBeGreaterThan(1);
    for (const toolId of toolIds) {
      const own = await repo.listSamples({ kinds: ['single'], acceptedOnly: true, toolId });
      expect(own.map((x) => x.id)).toEqual(all.filter((x) => x.tool_id === toolId && x.accepted).map((x) => x.id));
      expect(await repo.countSamples({ kinds: ['single'], acceptedOnly: true, toolId })).toBe(own.length);
    }
    expect(await repo.countSamples({ kinds: ['single'] })).toBe(all.length);
    expect(await repo.countSamples({ kinds: ['single'], acceptedOnly: true })).toBe(all.filter((x) => x.accepted).length);
    expect(await repo.countSamples({ kinds: ['multi'] })).toBe(0);
  });

  it('errors: mutations of accepted inputs fail ajv, invalid values come from the model, every kind judged', async () => {
    await runCargStage(repo, stage('errors', 'errors'), (tool, row) => errorDataForTool(repo, 'errors', row.id, tool, { generator, judge, bases: 1 }));
    const errors = await repo.listSamples({ kinds: ['error'] });
    expect(new Set(errors.map((e) => e.error_type))).toEqual(new Set(['type_error', 'missing_required', 'excess_parameter', 'invalid_value']));
    for (const e of errors) {
      expect(e.verdicts).toMatchObject({ format: { pass: true }, existence: { pass: true }, message: { pass: true } });
    }
    const byTool = new Map((await repo.listSamples({ kinds: ['single'], acceptedOnly: true })).map((s) => [s.tool_id, s.input]));
    for (const e of errors.filter((x) => x.error_type !== 'invalid_value')) {
      const t = tools[e.tool_id - 1]!;
      expect(validateJson(parametersJsonSchema(t), e.input).ok).toBe(false);
      expect((e.context as any).base).toEqual(byTool.get(e.tool_id));
    }
  });

  it('multi: a group per tool ending with it, each turn a sample with its history, coherence judged and stored', async () => {
    const { byName, groupOf } = await groupsOfRepository(repo, 0, 2);
    await runCargStage(repo, stage('multi', 'multi'), (_t, row) =>
      multiTurnForTool(repo, 'multi', row.id, groupOf(row.name), byName, { generator, judge, turns: 3 }),
    );
    const multi = await repo.listSamples({ kinds: ['multi'] });
    expect(multi).toHaveLength(12);
    const finalTurns = multi.filter((m) => (m.history as unknown[]).length === 2);
    expect(finalTurns.map((m) => (m.context as any).tool).sort()).toEqual(tools.map((t) => t.api_name).sort());
    for (const m of multi) {
      expect(m.accepted).toBe(true);
      expect((m.context as any).group).toHaveLength(2);
      expect((m.context as any).group.at(-1)).toBe(tools[finalTurns.find((f) => f.job === m.job && f.id >= m.id)!.tool_id - 1]!.api_name);
      expect(tools[m.tool_id - 1]!.api_name).toBe((m.context as any).tool);
    }
    expect(multi[1]!.verdicts).toMatchObject({ coherence: { pass: true, reason: 'reuses the session values' }, final_api: { pass: true } });
  });

  it('groupFor: greedy from the target, every member above τ with every other, target last', () => {
    const m = [
      [1, 0.9, 0.5, 0.1],
      [0.9, 1, 0.6, 0.1],
      [0.5, 0.6, 1, 0.1],
      [0.1, 0.1, 0.1, 1],
    ];
    const sim = (i: number, j: number) => m[i]![j]!;
    expect(groupFor(0, 4, sim, 0.4, 3, ['a', 'b', 'c', 'd'])).toEqual({ names: ['b', 'c', 'a'], coherence: (0.9 + 0.5 + 0.6) / 3 });
    expect(groupFor(3, 4, sim, 0.4, 3, ['a', 'b', 'c', 'd'])).toEqual({ names: ['d'], coherence: 1 });
    expect(groupFor(0, 4, sim, 0.55, 3, ['a', 'b', 'c', 'd']).names).toEqual(['b', 'a']);
  });

  it('errors without a model: the three deterministic kinds only, accepted on the ajv check alone', async () => {
    const bare = await openStore(':memory:');
    await importTools(bare.carg, [tmp.write('one.json', [tools[0]])]);
    const r = await errorDataForTool(bare.carg, 'errors', 1, tools[0]!, { bases: 1 });
    expect(r).toEqual({ samples: 3, accepted: 3 });
    expect((await bare.carg.listSamples({ kinds: ['error'] })).map((e) => [e.error_type, (e.verdicts as any).message])).toEqual([
      ['type_error', null],
      ['missing_required', null],
      ['excess_parameter', null],
    ]);
    await bare.close();
  });

  it('export rows: system is the tool, user the call, assistant the response or error', async () => {
    const s = (await repo.listSamples({ kinds: ['error'], acceptedOnly: true }))[0]!;
    const tool = tools[s.tool_id - 1]!;
    const row = sftRow(simulatorMessages(tool, s.input), s.output, 'sharegpt') as any;
    expect(row.conversations.map((c: any) => c.from)).toEqual(['human', 'gpt']);
    expect(row.system).toContain(`"api_name": "${tool.api_name}"`);
    expect(JSON.parse(row.conversations[0].value)).toEqual({ name: tool.api_name, arguments: s.input });
    expect(JSON.parse(row.conversations[1].value)).toEqual(s.output);
    const history = [{ input: { a: 1 }, output: { b: 2 } }];
    expect(sftRow(simulatorMessages(tool, s.input, history), s.output, 'openai').messages).toMatchObject([
      { role: 'system' },
      { role: 'user', content: JSON.stringify({ name: tool.api_name, arguments: { a: 1 } }) },
      { role: 'assistant', content: '{"b":2}' },
      { role: 'user' },
      { role: 'assistant', content: JSON.stringify(s.output) },
    ]);
  });

  it('eval: Format/Comp by code, judge scores stored, GTM table per scenario and All', async () => {
    const simulator = models.roles.actor;
    const s = await runCargStage(repo, stage('eval', 'eval:fake', 'eval', 1), (tool, row) =>
      evalTool(repo, 'eval:fake', row.id, tool, { simulator, judge, perTool: 2 }),
    );
    expect(s).toMatchObject({ tools: 4, done: 4 });
    const cases = await repo.listEvalCases('eval:fake');
    expect(cases.length).toBe(4 * 6); // 2 single + 2 multi + 2 error cases per tool
    const table = evalTable(cases);
    expect(table.map((r) => r.scenario)).toEqual(['error', 'multi', 'single', 'All']);
    const expected = { format: 1, comp: 1, logic: 0.8, sem: 0.9, cons: 1, det: 0.6, help: 0.7 };
    for (const [k, v] of Object.entries(expected)) expect(table.at(-1)!.scores[k as keyof typeof expected], k).toBeCloseTo(v, 9);
    const text = renderEvalTable('fake-model', table);
    expect(text.split('\n')[1]).toMatch(/^Scenario\s+N\s+Format\s+Comp\s+Logic\s+Sem\s+Cons\s+Det\s+Help$/);
    expect(text.split('\n').at(-1)).toMatch(/^All\s+24\s+100\.0\s+100\.0\s+80\.0\s+90\.0\s+100\.0\s+60\.0\s+70\.0$/);
  });

  it('audit: labelled calls through observe(), verdicts by code, reliability stored per tool', async () => {
    const actor = models.roles.actor;
    await runCargStage(repo, stage('audit', 'audit:fake'), (tool, row) => auditTool(repo, 'audit:fake', row.id, tool, { actor, generator }));
    const cases = await repo.listEvalCases('audit:fake');
    const labels = new Set(cases.map((c) => c.scenario));
    expect(labels).toEqual(new Set(['schema_violation', 'happy_path', 'semantic_violation', 'pinned']));
    const pinned = cases.filter((c) => c.scenario === 'pinned').map((c) => [c.tool_id, (c.output as any).verdict]);
    expect(pinned).toEqual([
      [1, 'correct'],
      [2, 'inappropriate_response'],
      [3, 'inappropriate_response'],
      [4, 'inappropriate_response'],
    ]);
    const stats = await repo.jobStats('audit:fake');
    for (const [toolId, s] of stats) {
      const mine = cases.filter((c) => c.tool_id === toolId);
      expect(mine.length).toBeGreaterThanOrEqual(5);
      expect(mine.length).toBeLessThanOrEqual(10);
      expect(s.reliability).toBeCloseTo(mine.filter((c) => c.scores.correct === 1).length / mine.length, 12);
    }
    expect(stats.get(1)!.reliability).toBe(1);
  });

  it('auditVerdict: the four verdicts', () => {
    const t = tools[0]!;
    const ok = { content: { ...Object.fromEntries(Object.keys(t.responses).map((k) => [k, 'x'])) }, source: 'simulated' as const };
    const err = {
      content: { error: { type: 'invalid_value' as const, message: 'no' } },
      error: { type: 'invalid_value' as const, message: 'no' },
      source: 'simulated' as const,
    };
    expect(auditVerdict(t, { label: 'happy_path', input: {}, expectError: false }, ok).verdict).toBe('correct');
    expect(auditVerdict(t, { label: 'happy_path', input: {}, expectError: false }, err).verdict).toBe('should_success_got_error');
    expect(auditVerdict(t, { label: 'semantic_violation', input: {}, expectError: true }, ok).verdict).toBe('should_error_got_success');
    expect(auditVerdict(t, { label: 'happy_path', input: {}, expectError: false }, { content: {}, source: 'simulated' }).verdict).toBe(
      'inappropriate_response',
    );
    expect(auditVerdict(t, { label: 'pinned', input: {}, expectError: false, pinned: { [Object.keys(t.responses)[0]!]: 'Y' } }, ok).reason).toMatch(
      /expected "Y" \(pinned by the world state\), got "x"/,
    );
  });

  it('V_format names the failing field', () => {
    const t = tools[0]!;
    expect(formatVerdict(t, {}, {}).reason).toMatch(/^input\/: must have required property/);
  });
});
