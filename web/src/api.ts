/** The viewer's JSON API (src/server/view-app.ts), as the pages read it. */

export interface Provenance {
  role: string;
  model: string;
  prompt_file: string;
  prompt_hash: string;
  calls: number;
}

export interface RunView {
  id: number;
  key: string;
  dataset: string;
  config: unknown;
  status: {
    items_total: number;
    traces_finished: number;
    traces_failed: number;
    traces_running: number;
    steps: number;
    tool_calls: number;
    model_calls: number;
    model_calls_failed: number;
    tokens_in: number;
    tokens_out: number;
    tools_accepted: number;
    tools_rejected: number;
    failures_by_code: Record<string, { items: number; attempts: number }>;
    by_role: Record<string, { calls: number; tokens_in: number; tokens_out: number; mean_latency_ms: number }>;
  };
  models: Provenance[];
  progress: { finished: number; failed: number; running: number; pending: number; per_minute: number | null; eta_minutes: number | null };
}

/** GET /api/runs?brief=1: a run as a run select names it. */
export type RunName = Pick<RunView, 'id' | 'key' | 'dataset'>;

export interface TraceRow {
  trace_id: number;
  run_id: number;
  item_id: string;
  dataset: string;
  question: string;
  gold: string[];
  status: string;
  answer: string | null;
  error_code: string | null;
  reasons: string[];
}

export interface Observation {
  content: unknown;
  error?: { type: string; parameter?: string; message: string };
  source: string;
  grounding?: { mode: string; useful: boolean; p_noisy?: number; material?: string };
}

export interface Step {
  index: number;
  think: string;
  call?: { name: string; arguments: Record<string, unknown> };
  observation?: Observation;
  answer?: string;
  raw: string;
}

export interface ModelCall {
  role: string;
  model: string;
  prompt_file: string;
  prompt_hash: string;
  params: unknown;
  tokens_in: number;
  tokens_out: number;
  latency_ms: number;
  attempt: number;
  ok: boolean;
  error?: string;
  raw?: string;
}

export interface ToolTemplate {
  api_name: string;
  api_description?: string;
  [k: string]: unknown;
}

export interface TraceView {
  row: TraceRow;
  trace: {
    id: number;
    run_id: number;
    status: string;
    stop_reason: string | null;
    answer: string | null;
    error: string | null;
    tools: { origin: string; tool: ToolTemplate }[];
    rejected_tools: { tool: unknown; reasons: string[]; attempt: number }[];
    steps: Step[];
  };
  calls: ModelCall[];
  by_step: { before: number[]; steps: number[][]; after: number[] };
  config_hash: string | null;
  /** computed by the viewer with mtr score's scorer; null unless the trace finished */
  reward: { reward: number; components: Record<string, number>; details: Record<string, unknown> } | null;
}

/** How far the run's rewards are computed (in the background, once per run). */
export interface RewardsState {
  scored: number;
  total: number;
  complete: boolean;
}

export interface Count {
  count: number;
  pct: number;
}
export interface ReportView {
  run: number;
  config_hash: string | null;
  configs: { config_hash: string; traces: number; last_at: string }[];
  report: {
    traces: number;
    passed: Count;
    by_check: Record<string, Count>;
    by_reason: Record<string, Count>;
    invalid_arguments_by_type: Record<string, Count>;
    malformed_pct: number;
    slot_disagreement_pct: number;
  };
}

export interface PlotsView {
  run: number;
  shapes: { status: string; steps: number; tool_calls: number; traces: number }[];
  trace_minutes: { minute: string; finished: number; failed: number }[];
  call_minutes: { minute: string; role: string; calls: number; failed: number; tokens_in: number; tokens_out: number; mean_latency_ms: number }[];
  failures_by_code: Record<string, { items: number; attempts: number }>;
  /** ten bins over [0, 1] for the reward and each component */
  rewards: RewardsState & { config: string; histograms: Record<string, number[]> };
}

export interface CargSample {
  id: number;
  tool_id: number;
  job: string;
  round: number;
  error_type: string | null;
  input: unknown;
  output: unknown;
  verdicts: Record<string, { pass: boolean; reason?: string } | null>;
  accepted: boolean;
}

export interface CargView {
  tools: number;
  by_status: Record<string, number>;
  by_field: Record<string, Record<string, number>>;
  samples: Record<string, { total: number; accepted: number }>;
  sample_verdicts: Record<string, CargSample[]>;
  evals: { job: string; model: string; cases: number; table: { scenario: string; cases: number; scores: Record<string, number | null> }[] }[];
}

export class ApiError extends Error {}

/** GET a JSON route; an error answer becomes an ApiError with the server's message. */
export async function api<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as T & { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `${res.status}`);
  return body;
}
