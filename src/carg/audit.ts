import { z } from 'zod';
import { type Exchange, observe } from '../actor/index.js';
import { type CallSink, jsonCall, type RoleModel } from '../llm/role.js';
import { fillPrompt, loadPrompt } from '../prompts/index.js';
import { validateJson } from '../schema/json-schema.js';
import type { ModelCall } from '../schema/model-call.js';
import { responsesJsonSchema } from '../schema/tool-convert.js';
import type { ToolTemplate } from '../schema/tool.js';
import type { Observation } from '../schema/trace.js';
import type { EvalCase } from '../schema/carg.js';
import type { CargRepository } from '../store/index.js';
import { invalidValueSample } from './error-data.js';
import { mutationSamples } from './errors.js';
import { exampleInput } from './example.js';
import { isModelOutputError } from './judge.js';

export const AUDIT_VERDICTS = ['correct', 'should_success_got_error', 'should_error_got_success', 'inappropriate_response'] as const;
export type AuditVerdict = (typeof AUDIT_VERDICTS)[number];

/** One labelled test call (SynthTools' env_audit kinds, plus a happy path pinned by a world state). */
export interface AuditCase {
  label: 'schema_violation' | 'semantic_violation' | 'happy_path' | 'pinned';
  input: Record<string, unknown>;
  expectError: boolean;
  /** a world state the simulator is shown as session memory, and the response values it implies */
  world?: unknown;
  pinned?: Record<string, unknown>;
}

const same = (a: unknown, b: unknown): boolean =>
  typeof a === 'string' && typeof b === 'string' ? a.trim().toLowerCase() === b.trim().toLowerCase() : JSON.stringify(a) === JSON.stringify(b);

/** The verdict for one answer, by code only: error or not, in-schema or not, pinned values equal or not. Pure. */
export function auditVerdict(tool: ToolTemplate, c: AuditCase, obs: Observation): { verdict: AuditVerdict; reason: string } {
  const content = obs.content as Record<string, unknown> | undefined;
  const isError = obs.error !== undefined || (content !== null && typeof content === 'object' && 'error' in content && Object.keys(content).length === 1);
  if (isError)
    return c.expectError
      ? { verdict: 'correct', reason: 'refused as expected' }
      : { verdict: 'should_success_got_error', reason: JSON.stringify(obs.error ?? content) };
  if (c.expectError) return { verdict: 'should_error_got_success', reason: `answered ${JSON.stringify(content).slice(0, 120)}` };
  if (!validateJson(responsesJsonSchema(tool), content).ok) return { verdict: 'inappropriate_response', reason: 'response breaks the responses schema' };
  for (const [field, want] of Object.entries(c.pinned ?? {})) {
    if (!same(content?.[field], want))
      return {
        verdict: 'inappropriate_response',
        reason: `${field}: expected ${JSON.stringify(want)} (pinned by the world state), got ${JSON.stringify(content?.[field])}`,
      };
  }
  return { verdict: 'correct', reason: c.pinned ? 'pinned values match' : 'in-schema response' };
}

const WorldSchema = z.object({
  world_state: z.record(z.string(), z.unknown()),
  input: z.record(z.string(), z.unknown()),
  expected: z.record(z.string(), z.unknown()),
});
const WORLD_JSON_SCHEMA = z.toJSONSchema(WorldSchema) as Record<string, unknown>;

export interface AuditOptions {
  /** the simulator audited, called through ToolActor's observe() */
  actor: RoleModel;
  /** writes semantic violations and pinned world states; absent → schema and plain happy-path cases only */
  generator?: RoleModel;
}

/** 5–10 labelled calls for a tool. */
async function auditCases(repo: CargRepository, toolId: number, tool: ToolTemplate, generator: RoleModel | undefined, sink: CallSink): Promise<AuditCase[]> {
  const base = exampleInput(tool);
  const happy = [base, ...(await repo.listSamples({ kinds: ['single'], acceptedOnly: true, toolId })).map((s) => s.input as Record<string, unknown>)].slice(
    0,
    3,
  );
  const cases: AuditCase[] = [
    ...mutationSamples(tool, base).map((s): AuditCase => ({ label: 'schema_violation', input: s.input, expectError: true })),
    ...happy.map((input): AuditCase => ({ label: 'happy_path', input, expectError: false })),
  ];
  if (generator) {
    const iv = await invalidValueSample(tool, base, generator, sink);
    if (iv) cases.push({ label: 'semantic_violation', input: iv.input, expectError: true });
    const prompt = loadPrompt('carg-audit-world');
    try {
      const w = WorldSchema.parse(
        await jsonCall(
          generator,
          prompt,
          [{ role: 'user', content: fillPrompt(prompt, { tool: JSON.stringify(tool, null, 2) }) }],
          'audit_world_state',
          WORLD_JSON_SCHEMA,
          sink,
        ),
      );
      const pinned = Object.fromEntries(Object.entries(w.expected).filter(([k]) => k in tool.responses));
      if (Object.keys(pinned).length) cases.push({ label: 'pinned', input: w.input, expectError: false, world: w.world_state, pinned });
    } catch (e) {
      if (!isModelOutputError(e)) throw e;
    }
  }
  return cases;
}

/**
 * Per-tool reliability audit (§7): each labelled call goes through observe() as an agent's would; verdicts
 * are decided by code; reliability = correct / total, stored with the cases.
 */
export async function auditTool(
  repo: CargRepository,
  job: string,
  toolId: number,
  tool: ToolTemplate,
  opts: AuditOptions,
): Promise<{ reliability: number; cases: number }> {
  const calls: ModelCall[] = [];
  const sink: CallSink = (c) => calls.push(c);
  const cases = await auditCases(repo, toolId, tool, opts.generator, sink);
  const results: EvalCase[] = [];
  for (const c of cases) {
    const history: Exchange[] = c.world ? [{ call: { name: 'world_state', arguments: {} }, observation: { content: c.world, source: 'real' } }] : [];
    const obs = await observe({ name: tool.api_name, arguments: c.input }, [{ origin: 'user', tool }], history, { model: opts.actor }, sink);
    const v = auditVerdict(tool, c, obs);
    results.push({
      scenario: c.label,
      input: c.input,
      output: { observation: obs.content, verdict: v.verdict, reason: v.reason, ...(c.pinned ? { pinned: c.pinned } : {}) },
      scores: { correct: v.verdict === 'correct' ? 1 : 0 },
      ...(results.length === 0 ? { calls } : {}),
    });
  }
  const reliability = results.length ? results.filter((r) => r.scores.correct === 1).length / results.length : 0;
  await repo.saveEvalCases(job, opts.actor.model.model, toolId, results, { reliability, cases: results.length });
  return { reliability, cases: results.length };
}
