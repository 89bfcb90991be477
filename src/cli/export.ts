import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { searchR1Prompt } from '../agent/search-r1-prompt.js';
import { DATA_SOURCE_NAMES } from '../data/index.js';
import { type GrpoExample, SEARCH_R1_DATA_SOURCES, searchR1GrpoRow, trlGrpoRow, verlRow } from '../export/grpo.js';
import { rowsToParquet } from '../export/parquet.js';
import { isSearchR1Trace, SFT_FORMATS, type SftExample, type SftFormat, searchR1SftRow, sharegptDatasetInfo } from '../export/sft.js';
import { type SplitName, splitExamples } from '../export/split.js';
import { configTools, MTR_TOOL_AGENT, toolSetKey, VERL_TOOL_AGENT, verlToolConfig, verlTools } from '../export/verl.js';
import { ExportFolder } from '../export/folder.js';
import { toJsonl } from '../export/write.js';
import { DIALECTS, type Dialect, SEARCH_R1_TOOL } from '../grammar/index.js';
import { loadPrompt } from '../prompts/index.js';
import { MtrError } from '../schema/errors.js';
import { listRuns, runProvenance } from '../store/verdicts.js';
import { CHECK_NAMES, solvedItemIds } from '../validate/index.js';
import { defineCommand } from './command.js';
import { collectGrpo, collectSft, exportCauses, type SystemChoice } from './export-collect.js';
import { openStore, selectRuns, STORE_OPTIONS } from './stores.js';
import { CHECK_OPTIONS, checkConfigFrom, formatCauses } from './validate.js';

const FORMATS = { sft: ['trl', 'openai', 'sharegpt', 'jsonl'], grpo: ['verl', 'trl', 'jsonl'] } as const;

/** Where the tool list goes for each choice: once, in the prompt (`text`) or in the trainer's tools channel. */
function systemFor(o: { stage: string; format: string; system: string | undefined; dialect: Dialect }): SystemChoice {
  if (o.dialect === 'search-r1') {
    if (o.system) throw new MtrError('E_USAGE', `--system: expected none with --dialect search-r1 (its instruction is the user turn), got "${o.system}"`);
    return 'none';
  }
  // verl's agent loops hand the tool schemas to the chat template: a prompt listing them too would list them twice
  if (o.format === 'verl' && o.system === 'text') throw new MtrError('E_USAGE', '--system: expected native or none with --format verl (its agent loop puts the tools into the chat template), got "text"');
  return (o.system ?? (o.format === 'jsonl' ? 'text' : 'native')) as SystemChoice;
}

function readSolved(file: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MtrError('E_INPUT', `${file}: expected a readable score file, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return solvedItemIds(text, file);
}

/** The dialect every selected run was generated in (`mtr generate --dialect`), else hermes. */
const runsDialect = (runs: readonly { config: unknown }[]): Dialect =>
  runs.length > 0 && runs.every((r) => (r.config as { dialect?: unknown }).dialect === 'search-r1') ? 'search-r1' : 'hermes';

/** LLaMA-Factory dataset names: the export folder's name (e.g. `sft-lf_train`), usable as `dataset:` with `dataset_dir:` = the folder. */
const lfName = (out: string, split: SplitName) => `${basename(resolve(out)).replace(/[^A-Za-z0-9_.-]+/g, '_')}_${split}`;

export default defineCommand({
  name: 'export',
  summary: 'Export Stage-1 SFT data (valid, correct traces) or Stage-2 GRPO prompts in the trainers\' formats, with a manifest',
  examples: [
    'mtr export --db runs/hotpot.sqlite --stage sft --format trl --out data/sft-trl',
    'mtr export --db runs/hotpot.sqlite --stage sft --format sharegpt --out data/sft-lf --val-ratio 0.1 --seed 1',
    'mtr export --db runs/hotpot.sqlite --stage grpo --format verl --out data/grpo --unsolved-by sft-rollouts.scores.jsonl',
    'mtr export --db runs/hotpot.sqlite --stage grpo --format trl --out data/grpo-trl',
    'mtr export --db runs/sr1.sqlite --stage grpo --format verl --dialect search-r1 --out data/search-r1',
  ],
  options: {
    db: STORE_OPTIONS.db,
    stage: { type: 'string', required: true, choices: ['sft', 'grpo'], description: 'sft: kept traces as conversations; grpo: prompts with tools and gold answers' },
    format: {
      type: 'string',
      required: true,
      choices: ['trl', 'openai', 'sharegpt', 'verl', 'jsonl'],
      description:
        'sft: trl (messages, object arguments, tools as JSON text) | openai (string arguments, tool_call_id) | sharegpt (LLaMA-Factory, dataset_info.json) | jsonl (prompt + completion); grpo: verl (parquet + tool config YAML) | trl (GRPOTrainer: prompt, answers, data_source, id) | jsonl (verl rows)',
    },
    out: { type: 'string', required: true, placeholder: 'DIR', description: 'directory for train/validation files, manifest.json (dataset_info.json for sharegpt, tool_config.yaml for verl); replaced whole, never mixed with an earlier export' },
    overwrite: { type: 'boolean', description: 'replace --out even when it holds files that are not an mtr export (no manifest.json)' },
    dialect: {
      type: 'string',
      choices: DIALECTS,
      description: 'search-r1: Search-R1\'s prompt as the user turn and its <search>/<information> trace (sft), its nq_search.py rows (grpo); traces calling other tools are skipped (default: the dialect the runs were generated in)',
    },
    dataSource: { type: 'string', choices: DATA_SOURCE_NAMES, placeholder: 'NAME', description: 'data_source of every row (default: the canonical benchmark of each item, from its dataset name or layout)' },
    valRatio: { type: 'number', default: 0.05, placeholder: 'X', description: 'share of items (by id hash) in the validation split, at least one item when there are two or more; 0 = train only' },
    seed: { type: 'number', default: 0, placeholder: 'N', description: 'seed of the split hash' },
    dropThink: { type: 'boolean', description: 'sft: leave <think> out of assistant content' },
    system: {
      type: 'string',
      choices: ['native', 'text', 'none'],
      description: 'system prompt: the agent\'s native prompt (tools only in the tools column / chat template), the text prompt listing the tools (then no tools column), or none (default: text for jsonl, native otherwise; verl refuses text)',
    },
    toolsUrl: { type: 'string', default: 'http://127.0.0.1:8788', placeholder: 'URL', description: 'verl: the `mtr serve tools` URL written into tool_config.yaml' },
    toolsTimeout: { type: 'number', default: 60, min: 1, placeholder: 'S', description: 'verl: seconds per tool call, written into tool_config.yaml' },
    unsolvedBy: { type: 'string', placeholder: 'FILE', description: 'grpo: leave out items any of whose rollouts in this mtr score output has em = 1' },
    ...CHECK_OPTIONS,
  },
  async run(o) {
    const stage = o.stage as keyof typeof FORMATS;
    if (!(FORMATS[stage] as readonly string[]).includes(o.format)) throw new MtrError('E_USAGE', `--format: expected one of ${FORMATS[stage].join('|')} for --stage ${stage}, got "${o.format}"`);
    if (!(o.valRatio >= 0 && o.valRatio < 1)) throw new MtrError('E_USAGE', `--val-ratio: expected a number in [0, 1), got ${o.valRatio}`);
    if (o.unsolvedBy && stage !== 'grpo') throw new MtrError('E_USAGE', '--unsolved-by: expected only with --stage grpo');
    const config = checkConfigFrom(o);
    const solved = o.unsolvedBy ? readSolved(o.unsolvedBy) : undefined;
    const db = openStore(o.db);
    let folder: ExportFolder | undefined;
    try {
      folder = new ExportFolder(o.out, { overwrite: Boolean(o.overwrite), keep: { 'the store (--db)': o.db } });
      for (const line of folder.recovered) process.stderr.write(`mtr export: ${line} (left by an export that was killed)\n`);
      const runIds = selectRuns(db, o.run);
      const dialect = (o.dialect ?? runsDialect(listRuns(db).filter((r) => runIds.includes(r.id)))) as Dialect;
      const system = systemFor({ stage, format: o.format, system: o.system, dialect });
      const searchR1 = dialect === 'search-r1';
      const opts = { system, dataSource: o.dataSource };
      const collected = stage === 'sft' ? collectSft(db, runIds, config, opts) : collectGrpo(db, runIds, solved, { ...opts, needTools: !searchR1 });
      let examples: (SftExample | GrpoExample)[] = collected.examples;
      const counts: Record<string, number> = { ...collected.counts };
      if (searchR1 && stage === 'sft') {
        examples = (examples as SftExample[]).filter((e) => isSearchR1Trace(e.trace, SEARCH_R1_TOOL));
        counts.not_search_r1 = collected.examples.length - examples.length;
      }
      if (searchR1 && stage === 'grpo') {
        const bad = examples.find((e) => !(SEARCH_R1_DATA_SOURCES as readonly string[]).includes(e.dataSource));
        if (bad) throw new MtrError('E_USAGE', `data_source: expected one Search-R1 scores (${SEARCH_R1_DATA_SOURCES.join(', ')}) for item ${bad.item.id}, got "${bad.dataSource}"; name it with --data-source`);
      }
      const splits = splitExamples(examples, o.seed, o.valRatio);
      const unit = stage === 'sft' ? 'traces' : 'items';
      const causes = exportCauses({ ...counts, duplicates: splits.duplicates }, 'reasons' in collected ? collected.reasons : [], config, o);
      const rowCount = splits.train.length + splits.validation.length;
      const total = counts[unit] ?? 0;
      if (rowCount === 0) {
        const why = total === 0 ? `runs ${runIds.join(', ')} hold no ${unit}; run mtr generate first` : `removed by: ${formatCauses(causes)}`;
        throw new MtrError('E_EMPTY', `nothing to export (E_EMPTY): 0 of ${total} ${unit} kept, ${o.out} left as it was; ${why}`);
      }
      if (rowCount < 0.1 * total) process.stderr.write(`mtr export: kept only ${rowCount} of ${total} ${unit}; removed by: ${formatCauses(causes)}\n`);
      const names: SplitName[] = o.valRatio > 0 ? ['train', 'validation'] : ['train'];
      const files: Record<string, { file: string; rows: number }> = {};
      const write = (name: string, file: string, rows: readonly Record<string, unknown>[], parquet = false) => {
        folder!.write(file, parquet ? new Uint8Array(rowsToParquet(rows)) : toJsonl(rows));
        files[name] = { file, rows: rows.length };
      };
      const sftOpts = { keepThink: !o.dropThink, toolsColumn: system !== 'text' };
      const grpo = stage === 'grpo' ? (splits.train.concat(splits.validation) as GrpoExample[]) : [];
      const perItemTools = new Set(grpo.map((e) => toolSetKey(e.tools))).size > 1;
      for (const split of names) {
        const list = splits[split];
        let rows: Record<string, unknown>[];
        if (stage === 'sft') {
          const prefixed = (e: SftExample) => searchR1SftRow(e, searchR1Prompt(e.item.question), o.format as SftFormat, sftOpts);
          rows = (list as SftExample[]).map((e) => (searchR1 ? prefixed(e) : SFT_FORMATS[o.format as SftFormat](e, sftOpts)));
        } else if (searchR1) rows = (list as GrpoExample[]).map((e, i) => {
            const prefix = searchR1Prompt(e.item.question);
            return o.format === 'trl' ? trlGrpoRow(e, [{ role: 'user', content: prefix }]) : searchR1GrpoRow(e, prefix, split, i);
          });
        else if (o.format === 'trl') rows = (list as GrpoExample[]).map((e) => trlGrpoRow(e));
        else rows = (list as GrpoExample[]).map((e, i) => verlRow(e, split, i, { perItemTools }));
        write(split, `${split}.jsonl`, rows);
        if (o.format === 'verl' && rows.length) write(`${split}_parquet`, `${split}.parquet`, rows, true);
      }
      const toolNames = [...new Set(grpo.flatMap((e) => e.tools.map((t) => t.tool.api_name)))];
      const listed = configTools(grpo.map((e) => e.tools), perItemTools);
      if (stage === 'grpo' && o.format === 'verl' && !searchR1) {
        folder.write('tool_config.yaml', verlToolConfig(verlTools(listed), { url: o.toolsUrl, timeout: o.toolsTimeout }));
        files.tool_config = { file: 'tool_config.yaml', rows: listed.length };
      }
      if (o.format === 'sharegpt') {
        const info = Object.fromEntries(names.map((s) => [lfName(o.out, s), sharegptDatasetInfo(`${s}.jsonl`, { system: system !== 'none' && !searchR1, tools: sftOpts.toolsColumn && !searchR1 })]));
        folder.write('dataset_info.json', `${JSON.stringify(info, null, 2)}\n`);
      }
      const prompt = searchR1 ? loadPrompt('search-r1') : system === 'none' ? undefined : loadPrompt(system === 'text' ? 'agent-text' : 'agent-native');
      const byDataSource: Record<string, number> = {};
      for (const e of [...splits.train, ...splits.validation]) byDataSource[e.dataSource] = (byDataSource[e.dataSource] ?? 0) + 1;
      const manifest = {
        stage,
        format: o.format,
        dialect,
        source: { db: resolve(o.db), runs: listRuns(db).filter((r) => runIds.includes(r.id)).map((r) => ({ id: r.id, key: r.key, dataset: r.dataset })) },
        filters:
          stage === 'sft'
            ? { rule: 'finished and every check passed (answer correct included)', checks: CHECK_NAMES, check_config: config, config_hash: 'hash' in collected ? collected.hash : undefined, ...(searchR1 ? { search_r1: `every call is ${SEARCH_R1_TOOL}` } : {}) }
            : { rule: searchR1 ? 'every item (Search-R1 needs no tools)' : 'items with tool schemas', unsolved_by: o.unsolvedBy ?? null, solved_when: o.unsolvedBy ? 'any rollout with em = 1' : null },
        split: { by: 'sha256(seed, item id)', seed: o.seed, val_ratio: o.valRatio, at_least_one: 'with val_ratio > 0 and two or more items, each split gets one', dedup: 'normalised question, first kept' },
        think: stage === 'sft' ? (o.dropThink ? 'dropped' : 'kept in assistant content') : null,
        system_prompt: prompt ? { choice: searchR1 ? 'search-r1 (user turn)' : system, file: prompt.file, hash: prompt.hash } : { choice: 'none' },
        tools_listed_in: searchR1 ? 'the Search-R1 instruction' : system === 'text' ? 'system prompt' : stage === 'grpo' ? 'the trainer\'s chat template (tool config / tools= callables)' : 'tools column',
        data_source: byDataSource,
        ...(stage === 'grpo' && o.format === 'verl' && !searchR1 ? {
              verl: {
                agent_name: perItemTools ? MTR_TOOL_AGENT : VERL_TOOL_AGENT,
                // parquet structs span every key of every row; datasets >= 4.7 loads JSONL's differing keys as JSON
                data_files: perItemTools ? 'jsonl: each row keeps exactly its own tools_kwargs (datasets >= 4.7)' : 'parquet',
                tool_config: 'tool_config.yaml',
                tools: toolNames,
                tool_config_tools: listed.map((t) => t.tool.api_name),
              },
            } : {}),
        ...(o.format === 'sharegpt' ? { llamafactory: { dataset_dir: resolve(o.out), datasets: names.map((s) => lfName(o.out, s)), templates: 'qwen (Qwen2.5), qwen3 / qwen3_nothink (Qwen3), llama3 (Llama 3.1)' } } : {}),
        counts: { ...counts, duplicates: splits.duplicates, train: splits.train.length, validation: splits.validation.length },
        files,
        removed: causes,
        provenance: runIds.map((id) => ({ run: id, calls: runProvenance(db, id) })),
      };
      folder.write('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
      folder.commit();
      folder = undefined;
      process.stdout.write(`exported ${splits.train.length} train + ${splits.validation.length} validation ${stage} rows (${o.format}${searchR1 ? ', search-r1' : ''}) → ${o.out} (${JSON.stringify(manifest.counts)})\n`);
    } finally {
      folder?.abort(); // an export that did not finish leaves --out as it was
      db.close();
    }
  },
});
