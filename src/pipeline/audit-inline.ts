import type { TraceSink } from '../../graphs/trace-graph.js';
import type { ToolRouting } from '../actor/routing.js';
import { callFidelity, fidelityGold } from '../reward/fidelity.js';
import { asMtrError } from '../schema/errors.js';
import type { CallAudit } from '../schema/fidelity.js';
import type { DatasetItem } from '../schema/item.js';
import type { ModelCall } from '../schema/model-call.js';
import type { RunTool, Step } from '../schema/trace.js';
import { sha256Unit } from '../text/hash.js';
import type { RealTool } from '../tools/real.js';
import { UTILITY_TOOLS } from '../tools/utility.js';

/**
 * `mtr generate --audit-rate R`: a share R of the simulated calls of tools with a real backend (wiki_search) is
 * also sent to that backend, and each such call is measured with `audit fidelity`'s per-call figures. The agent
 * and the trace keep the simulated answer; the audits ride along with the trace and are written in the
 * transaction that ends it.
 */

/**
 * Is this call audited? A hash of run key, item and step, not a random draw: a resumed run (or a second run of
 * the same command) audits the same calls. The same unit draw under a larger rate audits a superset.
 */
export const auditSampled = (rate: number, runKey: string, itemId: string, step: number): boolean =>
  rate > 0 && sha256Unit(JSON.stringify(['audit', runKey, itemId, step])) < rate;

export interface InlineAudit {
  rate: number;
  runKey: string;
  /** the run's real backends by tool name: only their tools are audited */
  realTools: Record<string, RealTool>;
}

/**
 * A trace's sink that passes everything through unchanged and starts an audit for each sampled simulated call.
 * `settled` waits for the audits started, each pushed to `put`; a failed real call is stored as failed, never thrown.
 */
export function auditingSink<S extends TraceSink>(
  sink: S,
  item: DatasetItem,
  o: InlineAudit,
  put: (a: CallAudit) => void,
): { sink: S; settled: () => Promise<void> } {
  let tools: readonly RunTool[] = [];
  // the graph runs one node at a time: the actor's model calls since the last step made the observation of the next one
  let actorMs = 0;
  const pending: Promise<void>[] = [];
  const audit = async (step: Step, simulatedMs: number): Promise<void> => {
    const call = step.call!;
    const observation = step.observation!;
    const tool = tools.find((t) => t.tool.api_name === call.name)?.tool ?? UTILITY_TOOLS[call.name]!;
    const started = performance.now();
    let real: unknown = null;
    let error: string | undefined;
    try {
      real = await o.realTools[call.name]!.call(call.arguments);
    } catch (e) {
      error = asMtrError(e, 'E_INPUT').message;
    }
    const failed = error !== undefined;
    put({
      step: step.index,
      tool: call.name,
      mode: observation.grounding?.mode ?? 'none',
      source: observation.source as CallAudit['source'],
      arguments: call.arguments,
      real,
      simulated: observation.content,
      ...(failed ? { error } : {}),
      failed,
      latency_ms_real: Math.round((performance.now() - started) * 10) / 10,
      latency_ms_simulated: simulatedMs,
      metrics: callFidelity(tool, failed ? undefined : real, observation.content, fidelityGold(item)),
    });
  };
  const wrapped: S = {
    ...sink,
    tools: (accepted, rejected, classification) => {
      tools = accepted;
      sink.tools(accepted, rejected, classification);
    },
    call: (c: ModelCall) => {
      if (c.role === 'actor') actorMs += c.latency_ms;
      sink.call(c);
    },
    step: (step: Step) => {
      sink.step(step);
      const simulatedMs = actorMs;
      actorMs = 0;
      const source = step.observation?.source;
      if (!step.call || !o.realTools[step.call.name] || (source !== 'simulated' && source !== 'cache')) return; // a real or pre-check answer has no simulation to audit
      if (auditSampled(o.rate, o.runKey, item.id, step.index)) pending.push(audit(step, simulatedMs));
    },
  };
  return { sink: wrapped, settled: async () => void (await Promise.all(pending)) };
}

/** Said once at the start when --audit-rate can audit nothing: every search is already answered by the real backend. */
export function inlineAuditNotice(rate: number, routing: ToolRouting): string | undefined {
  if (rate > 0 && routing.wiki_search?.mode === 'real')
    return '--audit-rate: nothing to audit, wiki_search is answered by the real backend (the default with --index/--retrieval-url); add --tool-routing wiki_search=simulated (or hybrid:N) to audit simulated searches';
  return undefined;
}
