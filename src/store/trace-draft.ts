import type { CallAudit } from '../schema/fidelity.js';
import type { ModelCall } from '../schema/model-call.js';
import type { Classification, RejectedTool, RunTool, Step } from '../schema/trace.js';
import type { TracePieces } from './store.js';

/**
 * A trace being made, held in memory: the graph's sink (tools, steps and model calls as they happen). When the
 * trace ends, `store.traces.finish(id, draft, …)` or `fail(id, draft, …)` writes it whole, in one transaction —
 * so a crash mid-trace leaves only the 'running' row, which the resume drops.
 */
export class TraceDraft implements TracePieces {
  tools: RunTool[] = [];
  rejected: RejectedTool[] = [];
  classification: Classification | undefined;
  readonly steps: Step[] = [];
  readonly calls: ModelCall[] = [];
  /** `generate --audit-rate`: audits of this trace's simulated calls, written with it */
  readonly audits: CallAudit[] = [];

  constructor(readonly id: number) {}

  /** The graph's sink (graphs/trace-graph.ts TraceSink): where the pieces go as they are made. */
  readonly sink = {
    tools: (accepted: readonly RunTool[], rejected: readonly RejectedTool[], classification?: Classification): void =>
      this.setTools(accepted, rejected, classification),
    step: (step: Step): void => this.step(step),
    call: (call: ModelCall): void => this.call(call),
  };

  /** ToolMaker's outcome (replaces an earlier one: the graph sets the tool set once). */
  setTools(accepted: readonly RunTool[], rejected: readonly RejectedTool[], classification?: Classification): void {
    this.tools = [...accepted];
    this.rejected = [...rejected];
    if (classification) this.classification = classification;
  }

  step(step: Step): void {
    this.steps.push(step);
  }

  call(call: ModelCall): void {
    this.calls.push(call);
  }
}
