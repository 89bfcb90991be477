import { auditTool } from '../carg/audit.js';
import { openAIEmbedder } from '../carg/embed.js';
import { errorDataForTool } from '../carg/error-data.js';
import { evalTable, evalTool, renderEvalTable } from '../carg/eval.js';
import { SIM_SFT_FORMATS, type HistoryTurn, type SimSftFormat, sftRow, simulatorMessages } from '../carg/export.js';
import { cargRole } from '../carg/models.js';
import { importTools, readToolFiles } from '../carg/repository.js';
import { runStage, type StageProgress, type StageSummary } from '../carg/run.js';
import { groupsOfRepository, multiTurnForTool } from '../carg/multi.js';
import { singleTurnForTool } from '../carg/single.js';
import { expandTaxonomy } from '../carg/taxonomy.js';
import { toJsonl, writeAtomic } from '../export/write.js';
import { isHeldOut } from '../carg/split.js';
import type { ModelConfigInput } from '../llm/config.js';
import type { RoleModel } from '../llm/role.js';
import { MtrError } from '../schema/errors.js';
import { ToolTemplateSchema } from '../schema/tool.js';
import { type CargSampleKind, countSamples, jobStats, listCargTools, listEvalCases, listSamples } from '../store/carg.js';
import { type Db, openDb } from '../store/db.js';
import { defineCommand, forSubcommands, type OptionSpecs, type ParsedOptions } from './command.js';
import { withInterrupt } from './interrupt.js';
import { MODEL_OPTIONS, modelConfigInput } from './model-options.js';

const { baseUrl, model, apiKey, modelFile, temperature, maxTokens, timeout, retries, structured } = MODEL_OPTIONS;

const SUBCOMMANDS = {
  'tools import': 'Import tool files (Seal-Tools JSONL, ToolEyes, OpenAI function lists, OpenAPI 3 / ToolAlpaca, MCP tools/list) into the repository: normalise, check, dedup',
  'tools expand': 'Grow the field taxonomy with the model (new fields from random exemplar pairs, subfields), then generate tools per (field, subfield), checked and deduplicated like an import',
  single: 'Single-turn (input, output) pairs per tool, checked by V_format (ajv), V_logic and V_sem (judge); low pass rates retried with a refined prompt',
  multi: 'Multi-turn dialogues per tool: a group of similar APIs (cosine > τ), L calls with accumulated context ending at the tool; turn checks plus coherence with the history',
  errors: 'Error samples per tool: type error, missing required, excess parameter (mutations checked by ajv), invalid value (model); message quality judged',
  export: 'Simulator SFT rows (system: the tool, user: the call, assistant: the response or error) as JSONL',
  audit: 'Per-tool reliability audit of a simulator: labelled calls (schema violation, semantic violation, happy path, happy path pinned by a world state) through ToolActor, verdicts by code',
  eval: 'Evaluate a simulator model on held-out tools: Format and Comp by code, Logic, Sem, Cons, Det, Help by a judge; GTM Table 1 layout',
} as const;
type Sub = keyof typeof SUBCOMMANDS;

const baseOptions = {
  db: { type: 'string', placeholder: 'FILE', description: 'SQLite store holding the tool repository and the data (required)' },
  json: { type: 'boolean', description: 'Print the summary as JSON on stdout' },
  threshold: { type: 'number', min: 0, max: 1, default: 0.8, placeholder: 'COS', description: 'Name cosine similarity at or above which a tool is a near duplicate' },
  complete: { type: 'boolean', description: 'Ask the model to fill missing response schemas and parameter types (otherwise such tools stay "incomplete")' },
  embedBaseUrl: { type: 'string', placeholder: 'URL', description: 'OpenAI-compatible /v1/embeddings server for dedup (unset: offline char n-gram TF-IDF)' },
  embedModel: { type: 'string', default: 'text-embedding-3-small', placeholder: 'NAME', description: 'Embedding model name' },
  seedFields: { type: 'string', placeholder: 'FILE', description: 'Field taxonomy to start from (Seal-Tools field.jsonl layout: {"Field": ["subfield", …]} per line)' },
  fieldRounds: { type: 'number', integer: true, min: 0, default: 1, placeholder: 'N', description: 'Rounds of new-field proposals, each from a random pair of existing fields' },
  fieldsPerRound: { type: 'number', integer: true, min: 1, default: 5, placeholder: 'N', description: 'New fields asked for per round' },
  subfields: { type: 'number', integer: true, min: 1, default: 5, placeholder: 'N', description: 'Subfields asked for each field that has none' },
  toolsPer: { type: 'number', integer: true, min: 1, default: 3, placeholder: 'N', description: 'Tools asked for per (field, subfield)' },
  pairs: { type: 'number', integer: true, min: 0, default: 10, placeholder: 'N', description: 'Most (field, subfield) pairs to generate tools for in this run' },
  seed: { type: 'number', integer: true, min: 0, default: 0, placeholder: 'N', description: 'Seed of the exemplar-pair draws' },
  count: { type: 'number', integer: true, min: 1, default: 5, placeholder: 'N', description: 'Samples asked for per tool and round' },
  minPassRate: { type: 'number', min: 0, max: 1, default: 0.6, placeholder: 'R', description: 'Below this share of accepted samples a tool gets a refined round' },
  maxRefines: { type: 'number', integer: true, min: 0, default: 2, placeholder: 'N', description: 'Refined rounds at most per tool' },
  turns: { type: 'number', integer: true, min: 2, default: 3, placeholder: 'L', description: 'Calls per dialogue' },
  tau: { type: 'number', min: 0, max: 1, default: 0.2, placeholder: 'COS', description: 'Least cosine (name + description + field) between the APIs of a group' },
  groupSize: { type: 'number', integer: true, min: 1, default: 3, placeholder: 'N', description: 'Most APIs per group' },
  bases: { type: 'number', integer: true, min: 1, default: 1, placeholder: 'N', description: 'Valid inputs per tool to derive errors from' },
  perTool: { type: 'number', integer: true, min: 1, default: 5, placeholder: 'N', description: 'Most cases per tool and scenario' },
  job: { type: 'string', placeholder: 'NAME', description: 'Job name; a re-run with the same name resumes (default: the subcommand, eval: eval:<model>)' },
  holdout: { type: 'number', min: 0, max: 1, default: 0.1, placeholder: 'FRACTION', description: 'Share of tools held out for eval (by name hash): export leaves them out, eval uses only them' },
  limit: { type: 'number', integer: true, min: 0, placeholder: 'N', description: 'Most tools this run' },
  concurrency: { type: 'number', integer: true, min: 1, default: 4, placeholder: 'N', description: 'Tools in flight at once' },
  maxAttempts: { type: 'number', integer: true, min: 1, default: 3, placeholder: 'N', description: 'Attempts per structured output' },
  minReliability: { type: 'number', min: 0, max: 1, placeholder: 'R', description: 'Write the tools whose reliability is at least R to --out (a unified-template JSON array, importable again)' },
  out: { type: 'string', placeholder: 'FILE', description: 'Output file' },
  format: { type: 'string', default: 'openai', choices: SIM_SFT_FORMATS, description: 'Row format' },
  kinds: { type: 'string', default: 'single,multi,error', placeholder: 'LIST', description: 'Sample kinds to export' },
  judgeModel: { type: 'string', placeholder: 'NAME', description: 'Judge model, also the audit case writer (default: --model)' },
  judgeBaseUrl: { type: 'string', placeholder: 'URL', description: 'Judge server (default: --base-url)' },
  baseUrl,
  model,
  apiKey,
  modelFile,
  temperature,
  maxTokens,
  timeout,
  retries,
  structured,
} as const satisfies OptionSpecs;

const MODEL_KEYS = ['baseUrl', 'model', 'apiKey', 'modelFile', 'temperature', 'maxTokens', 'timeout', 'retries', 'structured', 'maxAttempts'] as const;
const JUDGE_KEYS = ['judgeModel', 'judgeBaseUrl'] as const;
const STAGE_KEYS = ['job', 'limit', 'concurrency'] as const;
type Key = keyof typeof baseOptions;

/** Which options each subcommand reads (besides --db and --json): help is tagged from it, and other flags are refused. */
const READS: Record<Sub, readonly Key[]> = {
  'tools import': ['threshold', 'complete', 'embedBaseUrl', 'embedModel', 'concurrency', ...MODEL_KEYS],
  'tools expand': ['seedFields', 'fieldRounds', 'fieldsPerRound', 'subfields', 'toolsPer', 'pairs', 'seed', 'threshold', 'embedBaseUrl', 'embedModel', 'concurrency', ...MODEL_KEYS],
  single: [...STAGE_KEYS, 'count', 'minPassRate', 'maxRefines', ...MODEL_KEYS, ...JUDGE_KEYS],
  multi: [...STAGE_KEYS, 'turns', 'tau', 'groupSize', ...MODEL_KEYS, ...JUDGE_KEYS],
  errors: [...STAGE_KEYS, 'bases', ...MODEL_KEYS, ...JUDGE_KEYS],
  export: ['out', 'format', 'kinds', 'holdout'],
  audit: [...STAGE_KEYS, 'minReliability', 'out', ...MODEL_KEYS, ...JUDGE_KEYS],
  eval: [...STAGE_KEYS, 'perTool', 'holdout', ...MODEL_KEYS, ...JUDGE_KEYS],
};

/** The options tagged with their subcommands ("[single, multi] Samples asked for …" in help); others are refused when given. */
const options = forSubcommands(baseOptions, READS, ['db', 'json']);
type Opts = ParsedOptions<typeof options>;

/** The shared model flags as a config; the judge's own --judge-model / --judge-base-url override them. */
function modelConfig(o: Opts, over: { model?: string | undefined; baseUrl?: string | undefined } = {}): ModelConfigInput {
  // carg declares only the shared model flags, not generate's per-role ones, which modelConfigInput reads as absent
  return modelConfigInput({ ...o, baseUrl: over.baseUrl ?? o.baseUrl, model: over.model ?? o.model } as unknown as Parameters<typeof modelConfigInput>[0]);
}

const settings = (o: Opts) => ({ concurrency: o.concurrency * 2, maxAttempts: o.maxAttempts });
const judgeRole = (o: Opts): Promise<RoleModel> => cargRole('judge', modelConfig(o, { model: o.judgeModel, baseUrl: o.judgeBaseUrl }), settings(o));

/** One line per update on a TTY, else a plain line at most every 2 s and at the end. */
function stageReporter(): (p: StageProgress) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    const line = `${p.stage}: ${p.done + p.failed}/${p.total} tools (${p.failed} failed)`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}${p.done + p.failed === p.total ? '\n' : ''}`);
    else if (now - last >= 2000 || p.done + p.failed === p.total) {
      process.stderr.write(`${line}\n`);
      last = now;
    }
  };
}

function printStage(o: Opts, s: StageSummary, extra: Record<string, unknown> = {}): number {
  if (o.json) process.stdout.write(`${JSON.stringify({ ...s, ...extra })}\n`);
  else {
    process.stdout.write(`${s.job}: ${s.done} tools done, ${s.failed} failed, ${s.already_done} already done of ${s.tools}${s.aborted ? ' (stopped early; re-run to resume)' : ''}\n`);
    for (const f of s.failures.slice(0, 5)) process.stdout.write(`  failed ${f.tool}: ${f.error}\n`);
  }
  return s.aborted ? 130 : s.failed ? 1 : 0;
}

/** What a generation stage leaves in the store: its samples, and how many were accepted. */
const sampleCounts = (db: Db, kind: CargSampleKind) => ({ samples: countSamples(db, { kinds: [kind] }), accepted: countSamples(db, { kinds: [kind], acceptedOnly: true }) });

/**
 * Every file is read and the model set up before the store is opened: a refused import leaves no (empty) --db
 * behind. An unreadable file does not stop the others; each is named at the end and the exit is non-zero.
 */
async function importCommand(o: Opts, dbPath: string, files: string[]): Promise<number> {
  if (!files.length) throw new MtrError('E_USAGE', 'tools import: expected one or more tool files');
  const input = readToolFiles(files);
  const why = input.failed.map((f) => `\n  ${f.error}`).join('');
  if (!input.read.length) throw new MtrError('E_INPUT', `tools import: expected a readable tool file, got none (nothing written):${why}`);
  const completer = o.complete ? await cargRole('maker', modelConfig(o), settings(o)) : undefined;
  const onProgress = stageReporter();
  const db = openDb(dbPath);
  try {
    const summary = await importTools(db, input, {
      threshold: o.threshold,
      ...(o.embedBaseUrl ? { embedder: openAIEmbedder({ baseUrl: o.embedBaseUrl, model: o.embedModel, ...(o.apiKey ? { apiKey: o.apiKey } : {}) }) } : {}),
      ...(completer ? { completer } : {}),
      onProgress: (p) => onProgress({ stage: p.stage, done: p.done, failed: 0, total: p.total }),
    });
    if (o.json) {
      const { problems, ...rest } = summary;
      process.stdout.write(`${JSON.stringify({ ...rest, problems: problems.filter((p) => p.status === 'rejected') })}\n`);
    } else {
      process.stdout.write(`${summary.imported} imported, ${summary.incomplete} incomplete (use --complete), ${summary.rejected} rejected, ${summary.duplicates} duplicates${summary.unchanged ? `, ${summary.unchanged} unchanged (already imported)` : ''}${summary.completed ? `, ${summary.completed} completed by the model` : ''}\n`);
      for (const [k, n] of Object.entries(summary.by_reason)) process.stdout.write(`  ${k}: ${n}\n`);
      for (const p of summary.problems.filter((x) => x.status === 'rejected').slice(0, 10)) process.stdout.write(`  rejected ${p.name} (${p.source}): ${p.reasons.join('; ')}\n`);
    }
  } finally {
    db.close();
  }
  if (input.failed.length) throw new MtrError('E_INPUT', `tools import: ${input.failed.length} of ${files.length} tool files not imported (the tools of the others were):${why}`);
  return 0;
}

async function run(sub: Sub, o: Opts, files: string[]): Promise<number> {
  if (!o.db) throw new MtrError('E_USAGE', 'missing required option --db');
  if (sub === 'tools import') return importCommand(o, o.db, files);
  const db = openDb(o.db);
  try {
    const stage = { concurrency: o.concurrency, holdout: o.holdout, ...(o.limit === undefined ? {} : { limit: o.limit }), onProgress: stageReporter() };
    switch (sub) {
      case 'tools expand': {
        const model = await cargRole('maker', modelConfig(o), settings(o));
        const summary = await withInterrupt('tools', (signal) =>
          expandTaxonomy(db, {
            model,
            ...(o.seedFields ? { seedFile: o.seedFields } : {}),
            fieldRounds: o.fieldRounds,
            fieldsPerRound: o.fieldsPerRound,
            subfields: o.subfields,
            toolsPer: o.toolsPer,
            pairLimit: o.pairs,
            seed: o.seed,
            threshold: o.threshold,
            ...(o.embedBaseUrl ? { embedder: openAIEmbedder({ baseUrl: o.embedBaseUrl, model: o.embedModel, ...(o.apiKey ? { apiKey: o.apiKey } : {}) }) } : {}),
            onProgress: stage.onProgress,
            signal,
          }),
        );
        process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : `${summary.new_fields} new fields, ${summary.new_subfields} new subfields; ${summary.pairs} (field, subfield) pairs: ${summary.imported} tools imported, ${summary.rejected} rejected, ${summary.duplicates} duplicates\n`);
        return 0;
      }
      case 'single': {
        const generator = await cargRole('maker', modelConfig(o), settings(o));
        const judge = await judgeRole(o);
        const opts = { generator, judge, count: o.count, minPassRate: o.minPassRate, maxRefines: o.maxRefines };
        const job = o.job ?? 'single';
        const s = await withInterrupt('tools', (signal) => runStage(db, 'single', job, 'all', { ...stage, signal }, (tool, row) => singleTurnForTool(db, job, row.id, tool, opts).then(() => undefined)));
        return printStage(o, s, sampleCounts(db, 'single'));
      }
      case 'multi': {
        const generator = await cargRole('maker', modelConfig(o), settings(o));
        const judge = await judgeRole(o);
        const { byName, groupOf } = await groupsOfRepository(db, o.tau, o.groupSize);
        const opts = { generator, judge, turns: o.turns };
        const job = o.job ?? 'multi';
        const s = await withInterrupt('tools', (signal) => runStage(db, 'multi', job, 'all', { ...stage, signal }, (_tool, row) => multiTurnForTool(db, job, row.id, groupOf(row.name), byName, opts).then(() => undefined)));
        return printStage(o, s, sampleCounts(db, 'multi'));
      }
      case 'errors': {
        const needsModel = Boolean(o.baseUrl || o.modelFile || o.model);
        const opts = { bases: o.bases, ...(needsModel ? { generator: await cargRole('maker', modelConfig(o), settings(o)), judge: await judgeRole(o) } : {}) };
        const job = o.job ?? 'errors';
        const s = await withInterrupt('tools', (signal) => runStage(db, 'errors', job, 'all', { ...stage, signal }, (tool, row) => errorDataForTool(db, job, row.id, tool, opts).then(() => undefined)));
        return printStage(o, s, sampleCounts(db, 'error'));
      }
      case 'export': {
        if (!o.out) throw new MtrError('E_USAGE', 'export: missing required option --out');
        const kinds = o.kinds.split(',').map((k) => k.trim()) as CargSampleKind[];
        const tools = new Map(listCargTools(db, ['accepted']).filter((t) => !isHeldOut(t.name, o.holdout)).map((t) => [t.id, ToolTemplateSchema.parse(t.template)]));
        const rows = listSamples(db, { kinds, acceptedOnly: true }).flatMap((s) => {
          const tool = tools.get(s.tool_id);
          return tool ? [sftRow(simulatorMessages(tool, s.input, (s.history ?? []) as HistoryTurn[]), s.output, o.format as SimSftFormat)] : [];
        });
        writeAtomic(o.out, toJsonl(rows));
        process.stdout.write(o.json ? `${JSON.stringify({ out: o.out, rows: rows.length, format: o.format })}\n` : `${rows.length} rows written to ${o.out} (${o.format})\n`);
        return 0;
      }
      case 'audit': {
        const actor = await cargRole('actor', modelConfig(o), settings(o));
        const generator = await judgeRole(o);
        const job = o.job ?? `audit:${actor.model.model}`;
        const s = await withInterrupt('tools', (signal) => runStage(db, 'audit', job, 'all', { ...stage, signal }, (tool, row) => auditTool(db, job, row.id, tool, { actor, generator }).then(() => undefined)));
        const stats = jobStats(db, job);
        const rows = listCargTools(db, ['accepted']).filter((t) => stats.has(t.id)).map((t) => ({ name: t.name, template: t.template, reliability: Number(stats.get(t.id)!.reliability) }));
        const min = o.minReliability === undefined ? undefined : o.minReliability;
        const kept = min === undefined ? rows : rows.filter((r) => r.reliability >= min);
        if (min !== undefined) {
          if (!o.out) throw new MtrError('E_USAGE', 'audit: --min-reliability needs --out FILE for the reliable tools');
          writeAtomic(o.out, `${JSON.stringify(kept.map((r) => r.template), null, 2)}\n`);
        }
        const mean = rows.length ? rows.reduce((a, r) => a + r.reliability, 0) / rows.length : 0;
        if (o.json) process.stdout.write(`${JSON.stringify({ ...s, mean_reliability: mean, kept: kept.length, reliability: Object.fromEntries(rows.map((r) => [r.name, r.reliability])) })}\n`);
        else {
          printStage(o, s);
          process.stdout.write(`mean reliability ${(mean * 100).toFixed(1)}% over ${rows.length} tools${min === undefined ? '' : `; ${kept.length} at or above ${min} written to ${o.out}`}\n`);
          for (const r of rows.filter((x) => x.reliability < (min ?? 1)).slice(0, 10)) process.stdout.write(`  ${r.name}: ${(r.reliability * 100).toFixed(0)}%\n`);
        }
        return s.aborted ? 130 : s.failed ? 1 : 0;
      }
      case 'eval': {
        const simulator = await cargRole('actor', modelConfig(o), settings(o));
        const judge = await judgeRole(o);
        const job = o.job ?? `eval:${simulator.model.model}`;
        const perTool = o.perTool;
        const s = await withInterrupt('tools', (signal) => runStage(db, 'eval', job, 'eval', { ...stage, signal }, (tool, row) => evalTool(db, job, row.id, tool, { simulator, judge, perTool }).then(() => undefined)));
        const table = evalTable(listEvalCases(db, job));
        if (o.json) process.stdout.write(`${JSON.stringify({ ...s, model: simulator.model.model, table })}\n`);
        else {
          printStage(o, s);
          process.stdout.write(`${renderEvalTable(simulator.model.model, table)}\n`);
        }
        return s.aborted ? 130 : s.failed ? 1 : 0;
      }
    }
  } finally {
    db.close();
  }
}

export default defineCommand({
  name: 'carg',
  summary: [
    'CARG: data for a generalist tool simulator (GTM), and its evaluation. Subcommands:',
    ...Object.entries(SUBCOMMANDS).map(([k, v]) => `  ${k.padEnd(14)}${v}`),
    'Options tagged [sub, …] are read by those subcommands only; giving one to another subcommand is an error. Model work is stored per tool as it finishes; re-running resumes.',
  ].join('\n'),
  examples: [
    'mtr carg tools import ../shared/datasets/tools/seal-tools/tool.jsonl ../shared/datasets/tools/tooleyes_tool_library.json --db carg.sqlite --json',
    'mtr carg tools import tools.json --complete --db carg.sqlite --base-url http://localhost:8000/v1',
    'mtr carg tools expand --seed-fields ../shared/datasets/tools/seal-tools/field.jsonl --field-rounds 3 --pairs 20 --db carg.sqlite --base-url http://localhost:8000/v1',
    'mtr carg single --db carg.sqlite --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-72B-Instruct --limit 100',
    'mtr carg multi --db carg.sqlite --base-url http://localhost:8000/v1 --turns 3',
    'mtr carg errors --db carg.sqlite --base-url http://localhost:8000/v1',
    'mtr carg export --db carg.sqlite --out data/simulator.jsonl --format sharegpt',
    'mtr carg audit --db carg.sqlite --base-url http://localhost:8001/v1 --model gtm-1.5b --min-reliability 0.8 --out reliable-tools.json',
    'mtr carg eval --db carg.sqlite --base-url http://localhost:8001/v1 --model gtm-1.5b --judge-base-url http://localhost:8000/v1 --judge-model Qwen/Qwen2.5-72B-Instruct',
  ],
  positionals: '<tools import FILE…|tools expand|single|multi|errors|export|audit|eval>',
  options,
  subcommandOf([first, second]) {
    const two = `${first} ${second}`;
    return two in SUBCOMMANDS ? two : first && first in SUBCOMMANDS ? first : undefined;
  },
  async run(o, positionals) {
    const [first, second, ...rest] = positionals;
    const two = `${first} ${second}`;
    if (two in SUBCOMMANDS) {
      if (two !== 'tools import' && rest.length) throw new MtrError('E_USAGE', `carg ${two}: expected no further arguments, got "${rest[0]}"`);
      return run(two as Sub, o, rest);
    }
    if (first && first in SUBCOMMANDS) {
      if (second !== undefined) throw new MtrError('E_USAGE', `carg ${first}: expected no further arguments, got "${second}"`);
      return run(first as Sub, o, []);
    }
    throw new MtrError('E_USAGE', `expected a subcommand (${Object.keys(SUBCOMMANDS).join(', ')}), got "${positionals.join(' ')}"`);
  },
});
