/**
 * Ordered schema migrations; `PRAGMA user_version` records how many have run. Append only: never edit a
 * migration that has shipped, add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    dataset TEXT NOT NULL,
    config TEXT NOT NULL,
    owner_pid INTEGER,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    updated_at TEXT NOT NULL DEFAULT (datetime('now'))
  );
  CREATE TABLE items (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    item_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    dataset TEXT NOT NULL,
    question TEXT NOT NULL,
    answers TEXT NOT NULL,
    context TEXT,
    decomposition TEXT,
    meta TEXT,
    PRIMARY KEY (run_id, item_id)
  );
  CREATE TABLE traces (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    item_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    stop_reason TEXT CHECK (stop_reason IN ('answer', 'max_turns')),
    answer TEXT,
    classification TEXT,
    error TEXT,
    error_code TEXT,
    started_at TEXT NOT NULL DEFAULT (datetime('now')),
    finished_at TEXT,
    FOREIGN KEY (run_id, item_id) REFERENCES items(run_id, item_id)
  );
  -- The no-duplicate invariant lives in the database, not only in the code.
  CREATE UNIQUE INDEX traces_one_finished ON traces(run_id, item_id) WHERE status = 'finished';
  CREATE INDEX traces_by_item ON traces(run_id, item_id, status);
  CREATE TABLE tools (
    id INTEGER PRIMARY KEY,
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    origin TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    schema TEXT NOT NULL,
    reasons TEXT,
    attempt INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX tools_by_trace ON tools(trace_id);
  CREATE TABLE steps (
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    think TEXT NOT NULL,
    call TEXT,
    observation TEXT,
    answer TEXT,
    raw TEXT NOT NULL,
    PRIMARY KEY (trace_id, idx)
  );
  CREATE TABLE model_calls (
    id INTEGER PRIMARY KEY,
    trace_id INTEGER REFERENCES traces(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_file TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    params TEXT NOT NULL,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    attempt INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT,
    raw TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
  );
  CREATE INDEX model_calls_by_trace ON model_calls(trace_id);
  `,
  // 2 — validation verdicts (issue 4: validate, filters, export)
  `
  CREATE TABLE verdicts (
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    check_name TEXT NOT NULL,
    pass INTEGER NOT NULL,
    reason TEXT,
    details TEXT,
    config_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (trace_id, check_name, config_hash)
  );
  CREATE INDEX verdicts_by_config ON verdicts(config_hash, trace_id);
  `,
  // 3 — ToolActor observation cache (issue 6: identical calls replay deterministically)
  `
  CREATE TABLE actor_cache (
    key TEXT PRIMARY KEY,
    tool TEXT NOT NULL,
    arguments TEXT NOT NULL,
    grounding TEXT NOT NULL,
    observation TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
  );
  `,
  // 4 — CARG tool repository, simulator training samples, finished work per stage, eval/audit cases, field taxonomy (issue 7)
  `
  CREATE TABLE carg_tools (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    field TEXT,
    subfield TEXT,
    source TEXT NOT NULL,
    template TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'incomplete', 'rejected', 'duplicate')),
    reasons TEXT,
    notes TEXT,
    duplicate_of INTEGER REFERENCES carg_tools(id),
    similarity REAL,
    calls TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
  );
  CREATE INDEX carg_tools_by_name ON carg_tools(name);
  -- names are unique among the tools in use (validation rule), enforced by the database
  CREATE UNIQUE INDEX carg_tools_live_name ON carg_tools(name) WHERE status IN ('accepted', 'incomplete');
  CREATE TABLE carg_samples (
    id INTEGER PRIMARY KEY,
    tool_id INTEGER NOT NULL REFERENCES carg_tools(id),
    kind TEXT NOT NULL CHECK (kind IN ('single', 'multi', 'error')),
    job TEXT NOT NULL,
    error_type TEXT,
    round INTEGER NOT NULL DEFAULT 0,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    history TEXT,
    context TEXT,
    verdicts TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0,
    calls TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
  );
  CREATE INDEX carg_samples_by_tool ON carg_samples(tool_id, kind);
  -- one row per (stage key, tool) written in the same transaction as its samples: what a resume skips
  CREATE TABLE carg_jobs (
    job TEXT NOT NULL,
    tool_id INTEGER NOT NULL REFERENCES carg_tools(id),
    stats TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (job, tool_id)
  );
  CREATE TABLE carg_evals (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    model TEXT NOT NULL,
    tool_id INTEGER NOT NULL REFERENCES carg_tools(id),
    scenario TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    scores TEXT NOT NULL,
    calls TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
  );
  CREATE INDEX carg_evals_by_job ON carg_evals(job);
  -- the field taxonomy tools are generated from: seed rows and model-written ones; subfield '' is the field itself
  CREATE TABLE carg_fields (
    field TEXT NOT NULL,
    subfield TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL CHECK (origin IN ('seed', 'model')),
    tools_done INTEGER NOT NULL DEFAULT 0,
    calls TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (field, subfield)
  );
  `,
  // 5 — CARG: the last failure of a tool in a stage (issue 14: failures stored; cleared when the tool is finished)
  `
  CREATE TABLE carg_failures (
    job TEXT NOT NULL,
    tool_id INTEGER NOT NULL REFERENCES carg_tools(id),
    code TEXT NOT NULL,
    error TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (job, tool_id)
  );
  `,
  // 6 — the server that answered each model call: one of a --base-url pool (issue 19); NULL for the embedded model and older rows
  `
  ALTER TABLE model_calls ADD COLUMN server TEXT;
  `,
  // 7 — the trace list filtered by a verdict reason (mtr view, issue 18): the failing traces of a reason under one check config
  `
  CREATE INDEX verdicts_failed_by_reason ON verdicts(config_hash, reason, trace_id) WHERE pass = 0;
  `,
  // 8 — mtr view's pages: a run's traces in id order (all, or of one status) and the items' dataset and question, read
  // from indexes instead of sorting the run or reading whole item rows (their context can be kilobytes)
  `
  CREATE INDEX traces_by_run ON traces(run_id, id, item_id);
  CREATE INDEX traces_by_run_status ON traces(run_id, status, id, item_id);
  CREATE INDEX items_browse ON items(run_id, item_id, dataset, question);
  `,
  // 9 — workers (issue 19): an item's lease lives on its row, so the transaction that finishes its trace also
  // frees it; times are the database's clock in ms since the epoch (hosts' clocks may differ)
  `
  ALTER TABLE items ADD COLUMN lease_owner INTEGER;
  ALTER TABLE items ADD COLUMN lease_until INTEGER;
  CREATE INDEX items_by_lease ON items(lease_owner);
  CREATE TABLE workers (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_ms INTEGER NOT NULL,
    heartbeat_ms INTEGER NOT NULL,
    stopped_ms INTEGER,
    items_done INTEGER NOT NULL DEFAULT 0,
    items_failed INTEGER NOT NULL DEFAULT 0,
    items_lost INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX workers_by_run ON workers(run_id);
  `,
  // 10 — workers at scale: an item finished through a lease is marked settled, so a lease reads only the open
  // items (an index), not every item of the run checked against its traces
  `
  ALTER TABLE items ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX items_unsettled ON items(run_id, ord) WHERE settled = 0;
  `,
  // 11 — generate --audit-rate: simulated calls also sent to the real backend, one row per audited call, written
  // with its trace (so a dropped trace takes its audits along)
  `
  CREATE TABLE call_audits (
    id INTEGER PRIMARY KEY,
    trace_id INTEGER NOT NULL REFERENCES traces(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    tool TEXT NOT NULL,
    mode TEXT NOT NULL,
    source TEXT NOT NULL,
    arguments TEXT NOT NULL,
    real TEXT,
    simulated TEXT,
    error TEXT,
    failed INTEGER NOT NULL,
    latency_ms_real REAL NOT NULL,
    latency_ms_simulated REAL NOT NULL,
    metrics TEXT NOT NULL
  );
  CREATE INDEX call_audits_by_trace ON call_audits(trace_id);
  `,
  // 12 — a run's status (mtr status, mtr view's run pages) read from indexes, not the step and call rows (a call's
  // row holds its raw output): the steps that call a tool, and the indexes by trace widened to cover the columns
  // counted, replacing the narrower ones. Not the calls' model and prompt file (provenance): those text columns in
  // the index made a trace's writes some 10% slower. IF (NOT) EXISTS: applied again to a store whose version was
  // set back past it (a test ages a store to before call audits), it changes nothing.
  `
  CREATE INDEX IF NOT EXISTS steps_with_call ON steps(trace_id) WHERE call IS NOT NULL;
  CREATE INDEX IF NOT EXISTS tools_by_trace_accepted ON tools(trace_id, accepted);
  DROP INDEX IF EXISTS tools_by_trace;
  CREATE INDEX IF NOT EXISTS model_calls_by_trace_totals ON model_calls(trace_id, role, ok, tokens_in, tokens_out, latency_ms, server);
  DROP INDEX IF EXISTS model_calls_by_trace;
  `,
];
