import { DEFAULT_MAX_QUESTION_CHARS, DEFAULT_MAX_RECORD_BYTES, KNOWN_DATASETS } from '../data/index.js';
import { parseToolRouting } from '../actor/routing.js';
import { generate, GENERATE_ROLES, type GenerateConfigInput } from '../pipeline/generate.js';
import { DEFAULT_DIALECT, type Dialect, DIALECTS } from '../grammar/tags.js';
import { type ErrorCode, MtrError } from '../schema/errors.js';
import { UTILITY_TOOL_NAMES } from '../tools/utility.js';
import { defineCommand, type ParsedOptions } from './command.js';
import { withInterrupt } from './interrupt.js';
import { ACTOR_OPTIONS } from './actor-options.js';
import { MODEL_OPTIONS, modelConfigInput } from './model-options.js';
import { progressReporter } from './progress.js';

const options = {
  dataset: { type: 'string', required: true, placeholder: 'NAME|FILE', description: `Registry name (${KNOWN_DATASETS.join(', ')}; downloaded once and cached) or a local file in any supported layout` },
  split: { type: 'string', placeholder: 'SPLIT', description: 'Split of a registry dataset (default: its evaluation split)' },
  limit: { type: 'number', integer: true, min: 0, placeholder: 'N', description: 'Use the first N items (after --offset)' },
  offset: { type: 'number', integer: true, min: 0, default: 0, placeholder: 'N', description: 'Skip the first N items' },
  maxQuestionChars: { type: 'number', integer: true, min: 1, default: DEFAULT_MAX_QUESTION_CHARS, placeholder: 'N', description: 'Longest question accepted, in characters; a longer one stops the run before anything is written (file:line: question), or is skipped with --skip-bad' },
  maxRecordBytes: { type: 'number', integer: true, min: 1, default: DEFAULT_MAX_RECORD_BYTES, placeholder: 'N', description: "Largest dataset record accepted, in bytes (a JSON line, or a JSON-array record's compact JSON); a larger one stops the run before anything is written, or is skipped with --skip-bad" },
  skipBad: { type: 'boolean', description: 'Skip dataset records over a limit or unreadable as items (invalid JSON, missing fields, duplicate ids) instead of stopping; the summary counts them' },
  db: { type: 'string', required: true, placeholder: 'FILE', description: 'SQLite store; created if missing, resumed if it holds this run' },
  run: { type: 'string', placeholder: 'NAME', description: 'Run name (default: derived from dataset, models and settings)' },
  concurrency: { type: 'number', integer: true, min: 1, default: 8, placeholder: 'N', description: 'Traces in flight at once' },
  roleConcurrency: { type: 'number', integer: true, min: 1, placeholder: 'N', description: 'Model calls in flight per role (default: --concurrency)' },
  maxTurns: { type: 'number', integer: true, min: 1, default: 8, placeholder: 'N', description: "Most agent turns per trace; with --dialect search-r1, Search-R1's max_turns: N rounds of search, then one final turn whose search is not run" },
  format: { type: 'string', default: 'text', choices: ['text', 'native'], description: 'Agent format: Qwen/Hermes <tool_call> text, or native OpenAI tool_calls' },
  dialect: {
    type: 'string',
    default: DEFAULT_DIALECT,
    choices: DIALECTS,
    description:
      "Agent dialect: hermes (ToolMaker's tools, <tool_call>/<tool_response>), or search-r1 (Search-R1's rollout: its instruction as the one user turn, <search> query </search> answered by <information>Doc i(Title: t) text</information>; ToolMaker is skipped, the one tool is wiki_search, real with --index/--retrieval-url or simulated by ToolActor)",
  },
  utilityTools: { type: 'string', default: 'wiki_search', placeholder: 'LIST', description: `Predefined tools added to every trace, comma-separated (${UTILITY_TOOL_NAMES.join(', ')}) or "none"` },
  maxTools: { type: 'number', integer: true, min: 1, max: 8, default: 4, placeholder: 'N', description: 'Most task-specific tools ToolMaker keeps per question' },
  maxRepairs: { type: 'number', integer: true, min: 0, default: 2, placeholder: 'N', description: 'Rounds of validation feedback for invalid tool schemas' },
  maxAttempts: { type: 'number', integer: true, min: 1, default: 3, placeholder: 'N', description: 'Attempts per structured output before it is recorded as failed' },
  maxItemAttempts: { type: 'number', integer: true, min: 1, default: 3, placeholder: 'N', description: 'Traces per item, across resumes: re-running the command retries an item that failed transiently (the model server failed after --retries) until it has failed N times' },
  retryFailed: { type: 'boolean', description: 'Retry every failed item of the run, whatever its failure and attempts' },
  ...ACTOR_OPTIONS,
  noActorCache: { type: 'boolean', description: 'Always ask the actor model, instead of replaying identical tool calls from the cache in the database' },
  json: { type: 'boolean', description: 'Print the final summary as JSON on stdout' },
  ...MODEL_OPTIONS,
} as const;

type Opts = ParsedOptions<typeof options>;

const positive = (flag: string, v: number): number => {
  if (!(v > 0)) throw new MtrError('E_USAGE', `--${flag}: expected a number > 0, got ${v}`);
  return v;
};

/** Flags → the pipeline's config (validated there by zod; range errors are named by flag here). */
export function generateConfig(o: Opts): GenerateConfigInput {
  const pick = (key: string) => (o as Record<string, unknown>)[key] as string | undefined;
  const roles = Object.fromEntries(
    GENERATE_ROLES.map((r) => [r, { ...(pick(`${r}Model`) ? { model: pick(`${r}Model`) } : {}), ...(pick(`${r}BaseUrl`) ? { baseUrl: pick(`${r}BaseUrl`) } : {}) }]),
  );
  const urls: [string, string | undefined][] = [['base-url', o.baseUrl], ...GENERATE_ROLES.map((r): [string, string | undefined] => [`${r}-base-url`, pick(`${r}BaseUrl`)])];
  for (const [flag, url] of urls) {
    if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) throw new MtrError('E_USAGE', `--${flag}: expected an http(s) URL such as http://localhost:8000/v1, got "${url}"`);
  }
  return {
    dataset: o.dataset,
    ...(o.split ? { split: o.split } : {}),
    ...(o.limit === undefined ? {} : { limit: o.limit }),
    offset: o.offset,
    maxQuestionChars: o.maxQuestionChars,
    maxRecordBytes: o.maxRecordBytes,
    skipBad: o.skipBad === true,
    db: o.db,
    ...(o.run ? { run: o.run } : {}),
    concurrency: o.concurrency,
    ...(o.roleConcurrency === undefined ? {} : { roleConcurrency: o.roleConcurrency }),
    maxTurns: o.maxTurns,
    format: o.format as 'text' | 'native',
    dialect: o.dialect as Dialect,
    utilityTools: o.utilityTools === 'none' ? [] : o.utilityTools.split(',').map((s) => s.trim()).filter(Boolean),
    maxTools: o.maxTools,
    maxRepairs: o.maxRepairs,
    maxAttempts: o.maxAttempts,
    maxItemAttempts: o.maxItemAttempts,
    retryFailed: o.retryFailed === true,
    grounding: { mode: o.grounding as 'none', noiseStart: o.noiseStart, noiseEnd: o.noiseEnd, noiseBase: positive('noise-base', o.noiseBase) },
    ...(o.toolRouting ? { toolRouting: parseToolRouting(o.toolRouting) } : {}),
    ...(o.index ? { index: o.index } : {}),
    ...(o.retrievalUrl ? { retrievalUrl: o.retrievalUrl } : {}),
    actorCache: !o.noActorCache,
    model: modelConfigInput(o),
    roles,
  };
}

/** What each failure code means for the user, and what to change (the flag that relaxes it). */
const FAILURE_HINTS: Partial<Record<ErrorCode, string>> = {
  E_MODEL: 'the model server failed after --retries; re-run the command (transient failures are retried), or raise --retries / --timeout',
  E_MODEL_OUTPUT: 'the model never answered in the required shape; raise --max-attempts, try --structured json_object, or a stronger model',
  E_TOOL_SCHEMA: 'ToolMaker never wrote valid tools; raise --max-repairs, or a stronger --maker-model',
  E_INPUT: 'a real tool failed; check --index / --retrieval-url',
};

/** `E_MODEL_OUTPUT 20 (hint), E_MODEL 3 (hint)`: failures grouped by code, most first. */
export function failureCauses(failures: readonly { code: ErrorCode }[]): string {
  const counts = new Map<ErrorCode, number>();
  for (const f of failures) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n} (${FAILURE_HINTS[code] ?? 'see mtr status'})`).join(', ');
}

export default defineCommand({
  name: 'generate',
  summary: 'Generate one trace per dataset item: ToolMaker designs tools, AutoAgent thinks and calls them, ToolActor simulates each result. Everything is stored in SQLite as it happens; re-running the same command resumes.',
  examples: [
    'mtr generate --dataset bamboogle --limit 20 --db runs/bamboogle.sqlite',
    'mtr generate --dataset ../shared/datasets/hotpotqa/hotpot_dev_distractor_300.jsonl --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --concurrency 64 --db runs/hotpot.sqlite',
    'mtr generate --dataset musique --db runs/mq.sqlite --base-url http://localhost:8000/v1 --actor-base-url http://localhost:8001/v1 --actor-model gtm-1.5b',
    'mtr generate --dataset ../shared/datasets/hotpotqa/hotpot_dev_distractor_300.jsonl --db runs/hp.sqlite --grounding noisy --noise-start 0 --noise-end 0.75',
    'mtr generate --dataset hotpotqa --db runs/hp.sqlite --index corpus.sqlite --tool-routing wiki_search=hybrid:50',
    'mtr generate --dataset hotpotqa --dialect search-r1 --retrieval-url http://127.0.0.1:8000/retrieve --max-turns 4 --db runs/hp-sr1.sqlite',
  ],
  options,
  async run(o) {
    const config = generateConfig(o);
    const progress = progressReporter();
    try {
      const s = await withInterrupt('traces', (signal) => generate(config, { onProgress: progress.update, onNotice: (line) => process.stderr.write(`${line}\n`), signal }));
      progress.done(); // end the progress line before the summary
      if (o.json) {
        process.stdout.write(`${JSON.stringify(s)}\n`);
      } else {
        process.stdout.write(
          `run ${s.run_key} (#${s.run_id}) on ${s.dataset}: ${s.finished} traces finished, ${s.failed} failed, ${s.already_finished} already done of ${s.items}` +
            `${s.aborted ? ' (stopped early; re-run to resume)' : ''}\n` +
            `${s.model_calls} model calls, ${s.tokens_in} tokens in, ${s.tokens_out} tokens out, ${s.elapsed_s}s, ${s.calls_per_s} calls/s\n`,
        );
        for (const f of s.failures.slice(0, 5)) process.stdout.write(`  failed ${f.item}: ${f.error}\n`);
        if (s.records_skipped > 0) process.stdout.write(`${s.records_skipped} dataset records skipped (--skip-bad)${s.records_skipped > 5 ? ', the first 5' : ''}:\n${s.skipped.slice(0, 5).map((r) => `  skipped ${r.reason}\n`).join('')}`);
        if (s.failures.length > 5) process.stdout.write(`  … and ${s.failures.length - 5} more (mtr status --db ${o.db})\n`);
        if (s.retried > 0) process.stdout.write(`${s.retried} failed items of earlier attempts retried\n`);
        if (s.failed_kept > 0) process.stdout.write(`${s.failed_kept} failed items left failed (lasting failure or --max-item-attempts reached; --retry-failed retries them; mtr status --db ${o.db} lists why)\n`);
      }
      if (s.aborted) return 130;
      if (s.failed > 0 && s.finished === 0 && s.already_finished === 0) {
        process.stderr.write(`mtr generate: nothing generated (E_EMPTY): all ${s.failed} traces failed; by cause: ${failureCauses(s.failures)}\n`);
        return 1;
      }
      return 0;
    } finally {
      progress.done();
    }
  },
});
