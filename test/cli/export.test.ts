import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DatasetItem } from '../../src/schema/item.js';
import { searchR1Prompt } from '../../src/agent/search-r1.js';
import { runCli } from '../support/cli.js';
import { TOOLS } from '../validate/fixtures.js';
import { seededStore } from '../validate/store-fixture.js';
import { perItemStore, searchStore } from '../export/stores.js';

const tmp = mkdtempSync(join(tmpdir(), 'mtr-export-'));
let store: Awaited<ReturnType<typeof seededStore>>;
beforeAll(async () => {
  store = await seededStore(tmp);
});

const readJsonl = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const exportTo = async (name: string, args: string[], db = store.path) => {
  const out = join(tmp, name);
  const r = await runCli(['export', '--db', db, '--out', out, '--val-ratio', '0', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { out, manifest: JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')), train: readJsonl(join(out, 'train.jsonl')) };
};
const itemByQuestion = (q: string): DatasetItem => store.items.find((i) => i.question === q)!;
/** The independent reader (parquet-wasm + arrow, not src/export): rows as plain JSON. */
const readParquet = (file: string): Record<string, unknown>[] =>
  tableFromIPC(parquetWasm.readParquet(readFileSync(file)).intoIPCStream())
    .toArray()
    .map((r) => JSON.parse(JSON.stringify(r.toJSON())));
interface ToolConfig {
  tools: {
    class_name: string;
    config: Record<string, unknown>;
    tool_schema: { type: string; function: { name: string; parameters: { properties: Record<string, unknown> } } };
  }[];
}
/** The YAML is YAML's JSON subset after its comment line, so JSON.parse reads what PyYAML/OmegaConf read. */
const readToolConfig = (file: string): ToolConfig => {
  const [comment, ...rest] = readFileSync(file, 'utf8').split('\n');
  expect(comment).toMatch(/^# /);
  return JSON.parse(rest.join('\n')) as ToolConfig;
};
const functionSchema = z.object({
  name: z.string(),
  description: z.string(),
  parameters: z.object({ type: z.literal('object'), properties: z.record(z.string(), z.unknown()), required: z.array(z.string()) }),
});
const toolList = z.array(z.strictObject({ type: z.literal('function'), function: functionSchema }));

// Target formats, written from the trainers' docs, independent of src/export.
// TRL reads a string `tools` with json.loads (trl ≥ 0.29, sft_trainer.py tokenize_fn)
const toolListText = z.string().transform((t) => toolList.parse(JSON.parse(t)));
const TrlRow = z.strictObject({
  messages: z.array(
    z.union([
      z.strictObject({ role: z.enum(['system', 'user']), content: z.string() }),
      z.strictObject({
        role: z.literal('assistant'),
        content: z.string(),
        tool_calls: z
          .array(z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string(), arguments: z.record(z.string(), z.unknown()) }) }))
          .length(1)
          .optional(),
      }),
      z.strictObject({ role: z.literal('tool'), name: z.string(), content: z.string() }),
    ]),
  ),
  tools: toolListText.optional(),
});
const OpenAIRow = z.strictObject({
  messages: z.array(
    z.union([
      z.strictObject({ role: z.enum(['system', 'user']), content: z.string() }),
      z.strictObject({
        role: z.literal('assistant'),
        content: z.string(),
        tool_calls: z
          .array(z.strictObject({ id: z.string(), type: z.literal('function'), function: z.strictObject({ name: z.string(), arguments: z.string() }) }))
          .optional(),
      }),
      z.strictObject({ role: z.literal('tool'), tool_call_id: z.string(), content: z.string() }),
    ]),
  ),
  tools: toolList,
});
const ShareGptRow = z.strictObject({
  conversations: z.array(z.strictObject({ from: z.enum(['human', 'gpt', 'function_call', 'observation']), value: z.string() })),
  system: z.string().optional(),
  tools: z.string(),
});
const CreateKwargs = z.strictObject({
  item_id: z.string(),
  item: z.strictObject({ question: z.string(), answers: z.array(z.string()).min(1) }),
  tool: z.string().optional(),
});
const VerlRow = z.strictObject({
  data_source: z.string(),
  agent_name: z.enum(['tool_agent', 'mtr_tool_agent']),
  prompt: z.array(z.strictObject({ role: z.enum(['system', 'user']), content: z.string() })),
  ability: z.string(),
  reward_model: z.strictObject({ style: z.literal('rule'), ground_truth: z.strictObject({ target: z.array(z.string()).min(1) }) }),
  extra_info: z.strictObject({
    split: z.enum(['train', 'validation']),
    index: z.number().int(),
    id: z.string(),
    question: z.string(),
    need_tools_kwargs: z.literal(true),
    tools_kwargs: z.record(z.string(), z.strictObject({ create_kwargs: CreateKwargs })),
    tools: z.string(),
  }),
});

describe('mtr export --stage sft', () => {
  it('trl: exactly the valid traces (failed, invalid and duplicate questions left out), manifest counts agree', async () => {
    const { train, manifest } = await exportTo('trl', ['--stage', 'sft', '--format', 'trl']);
    const rows = train.map((r) => TrlRow.parse(r));
    expect(rows.map((r) => itemByQuestion(r.messages[1]!.content as string).id)).toEqual(store.valid);
    expect(manifest.counts).toEqual({ traces: 7, failed: 1, running: 0, invalid: 2, kept: 4, duplicates: 1, train: 3, validation: 0 });
    expect(manifest.files.train.rows).toBe(rows.length);
    expect(manifest.provenance[0].calls).toEqual([
      { role: 'agent', model: 'fake-model', prompt_file: 'agent-text.md', prompt_hash: '0123456789abcdef', calls: 7 },
    ]);
    expect(manifest.system_prompt).toMatchObject({ choice: 'native', file: 'agent-native.md' });
    const [row] = rows;
    const item = store.items.find((i) => i.id === store.valid[0])!;
    expect(row!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
    expect(row!.messages[2]).toEqual({
      role: 'assistant',
      content: '<think>Look the entity up.</think>',
      tool_calls: [{ type: 'function', function: { name: 'lookup_entity_fact', arguments: { entity: item.question, attribute: 'answer' } } }],
    });
    expect(row!.messages[3]).toMatchObject({ role: 'tool', name: 'lookup_entity_fact' });
    expect(JSON.parse(row!.messages[3]!.content as string)).toEqual({ value: `The record says ${item.answers[0]}.`, source: 'encyclopedia' });
    expect(row!.messages[6]!.content).toBe(`<think>Both agree.</think>\n<answer>${item.answers[0]}</answer>`);
    expect(row!.tools!.map((t) => t.function.name)).toEqual(TOOLS.map((t) => t.tool.api_name));
    expect(row!.messages[0]!.content).not.toContain('lookup_entity_fact'); // native: the tools column alone lists the tools
  });

  it('trl --system text: the prompt lists the tools once and no tools column lists them again', async () => {
    const { train, manifest } = await exportTo('trl-text', ['--stage', 'sft', '--format', 'trl', '--system', 'text']);
    for (const raw of train) {
      const row = TrlRow.parse(raw);
      expect(row.tools).toBeUndefined();
      expect(row.messages[0]!.content.split('"name":"lookup_entity_fact"')).toHaveLength(2);
    }
    expect(manifest.tools_listed_in).toBe('system prompt');
  });

  it('trl: rows whose tools differ in shape keep every tool list whole (a JSON string per row)', async () => {
    const per = await perItemStore(join(tmp, 'per-trl'), { count: 4 });
    const { train } = await exportTo('trl-per-item', ['--stage', 'sft', '--format', 'trl'], per.path);
    const rows = train.map((r) => TrlRow.parse(r));
    expect(rows.map((r) => r.tools!.map((t) => t.function.name))).toEqual(per.items.map((_, k) => [`lookup_fact_${k}`, 'wiki_search']));
    expect(rows.map((r) => Object.keys(r.tools![0]!.function.parameters.properties))).toEqual(
      per.items.map((_, k) => (k % 2 ? ['entity', 'attribute', 'year'] : ['entity', 'attribute'])),
    );
  });

  it('openai: string arguments that parse back, tool_call_id pairing; --drop-think leaves no <think>', async () => {
    const { train } = await exportTo('openai', ['--stage', 'sft', '--format', 'openai', '--drop-think']);
    for (const raw of train) {
      const row = OpenAIRow.parse(raw);
      const calls = row.messages.flatMap((m) => ('tool_calls' in m ? (m.tool_calls ?? []) : []));
      const toolMsgs = row.messages.filter((m) => m.role === 'tool');
      expect(calls).toHaveLength(2);
      expect(toolMsgs.map((m) => ('tool_call_id' in m ? m.tool_call_id : ''))).toEqual(calls.map((c) => c.id));
      for (const c of calls) expect(typeof JSON.parse(c.function.arguments)).toBe('object');
      expect(JSON.stringify(row.messages.filter((m) => m.role === 'assistant'))).not.toContain('<think>');
      expect(row.messages.filter((m) => m.role === 'assistant').at(-1)!.content).toMatch(/^<answer>.+<\/answer>$/);
    }
  });

  it('sharegpt: roles alternate as LLaMA-Factory requires, tools is a JSON string, dataset_info.json written beside', async () => {
    const { out, train } = await exportTo('sharegpt', ['--stage', 'sft', '--format', 'sharegpt']);
    expect(train).toHaveLength(3);
    for (const raw of train) {
      const row = ShareGptRow.parse(raw);
      row.conversations.forEach((turn, i) => expect(i % 2 === 0 ? ['human', 'observation'] : ['gpt', 'function_call'], `turn ${i}`).toContain(turn.from));
      expect(row.conversations.map((c) => c.from)).toEqual(['human', 'function_call', 'observation', 'function_call', 'observation', 'gpt']);
      // LLaMA-Factory's thought words (qwen, qwen3, llama3 templates), then the bare call JSON its FunctionFormatter parses
      const call = row.conversations[1]!.value;
      expect(call.startsWith('<think>\nLook the entity up.\n</think>\n\n{')).toBe(true);
      expect(JSON.parse(call.slice(call.indexOf('\n</think>\n\n') + 11))).toMatchObject({ name: 'lookup_entity_fact', arguments: { attribute: 'answer' } });
      expect(row.conversations.at(-1)!.value).toMatch(/^<think>\nBoth agree.\n<\/think>\n\n<answer>.+<\/answer>$/);
      expect(
        z
          .array(functionSchema)
          .parse(JSON.parse(row.tools))
          .map((f) => f.name),
      ).toEqual(['lookup_entity_fact', 'wiki_search']);
    }
    // named after the export folder; file_name relative to it, so dataset_dir = the folder works as written
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8'));
    const tags = {
      role_tag: 'from',
      content_tag: 'value',
      user_tag: 'human',
      assistant_tag: 'gpt',
      observation_tag: 'observation',
      function_tag: 'function_call',
      system_tag: 'system',
    };
    expect(info).toEqual({
      sharegpt_train: { file_name: 'train.jsonl', formatting: 'sharegpt', columns: { messages: 'conversations', system: 'system', tools: 'tools' }, tags },
    });
    expect(readdirSync(out)).toContain(info.sharegpt_train.file_name);
  });

  it('sharegpt --system text --drop-think: no tools column (the system prompt lists them), calls are bare JSON', async () => {
    const { out, train } = await exportTo('lf-text', ['--stage', 'sft', '--format', 'sharegpt', '--system', 'text', '--drop-think', '--val-ratio', '0.3']);
    for (const raw of train) {
      const row = ShareGptRow.omit({ tools: true }).parse(raw); // strict: a tools column fails here
      expect(row.system!.split('"name":"wiki_search"')).toHaveLength(2);
      expect(JSON.parse(row.conversations[1]!.value)).toMatchObject({ name: 'lookup_entity_fact' });
    }
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8'));
    expect(Object.keys(info)).toEqual(['lf-text_train', 'lf-text_validation']);
    expect(info['lf-text_validation']).toMatchObject({ file_name: 'validation.jsonl', columns: { messages: 'conversations', system: 'system' } });
    expect(info['lf-text_validation'].columns.tools).toBeUndefined();
  });

  it('splits by item id without leaking a question into both splits, deterministically for a seed', async () => {
    const a = await exportTo('split-a', ['--stage', 'sft', '--format', 'jsonl', '--val-ratio', '0.5', '--seed', '3']);
    const b = await exportTo('split-b', ['--stage', 'sft', '--format', 'jsonl', '--val-ratio', '0.5', '--seed', '3']);
    const val = readJsonl(join(a.out, 'validation.jsonl')) as { id: string; completion: string }[];
    expect(readFileSync(join(a.out, 'train.jsonl'), 'utf8')).toBe(readFileSync(join(b.out, 'train.jsonl'), 'utf8'));
    const trainIds = (a.train as { id: string }[]).map((r) => r.id);
    expect([...trainIds, ...val.map((r) => r.id)].sort()).toEqual([...store.valid].sort());
    expect(a.manifest.counts).toMatchObject({ train: trainIds.length, validation: val.length });
    expect(val[0]?.completion ?? (a.train[0] as { completion: string }).completion).toMatch(/^<think>.*<\/think>\n<tool_call>\n\{/);
  });

  it('refuses a GRPO-only format for SFT', async () => {
    const r = await runCli(['export', '--db', store.path, '--out', join(tmp, 'x'), '--stage', 'sft', '--format', 'verl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format: expected one of trl\|openai\|sharegpt\|jsonl for --stage sft, got "verl"/);
  });
});

describe('mtr export --stage grpo', () => {
  it('verl: agent_name, tools_kwargs never null after the parquet round trip, a tool config naming every tool of the set', async () => {
    const { out, train, manifest } = await exportTo('verl', ['--stage', 'grpo', '--format', 'verl']);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'tool_config.yaml', 'train.jsonl', 'train.parquet']);
    const rows = train.map((r) => VerlRow.parse(r));
    expect(manifest.counts).toEqual({ items: 7, no_tools: 0, solved: 0, kept: 7, duplicates: 1, train: 6, validation: 0 });
    expect(manifest.verl).toEqual({
      agent_name: 'tool_agent',
      data_files: 'parquet',
      tool_config: 'tool_config.yaml',
      tools: ['lookup_entity_fact', 'wiki_search'],
      tool_config_tools: ['lookup_entity_fact', 'wiki_search'],
    });
    const fromParquet = readParquet(join(out, 'train.parquet'));
    expect(fromParquet).toHaveLength(rows.length);
    for (const [i, row] of rows.entries()) {
      const p = VerlRow.parse(fromParquet[i]); // strict: a null tools_kwargs entry fails here
      expect(p).toEqual(row);
      expect(p.data_source).toBe('bamboogle');
      expect(p.agent_name).toBe('tool_agent'); // one tool set for every row: verl's own loop
      const item = itemByQuestion(row.extra_info.question);
      expect(p.reward_model.ground_truth.target).toEqual(item.answers);
      expect(Object.keys(p.extra_info.tools_kwargs)).toEqual(['lookup_entity_fact', 'wiki_search']);
      for (const kw of Object.values(p.extra_info.tools_kwargs))
        expect(kw.create_kwargs).toEqual({ item_id: item.id, item: { question: item.question, answers: item.answers } });
      expect(p.extra_info.index).toBe(i);
      expect(p.prompt[0]!.content).not.toContain('lookup_entity_fact'); // native: the chat template lists the tools once
    }
    const config = readToolConfig(join(out, 'tool_config.yaml'));
    expect(config.tools.map((t) => t.tool_schema.function.name)).toEqual(['lookup_entity_fact', 'wiki_search']);
    for (const t of config.tools) {
      expect(t.class_name).toBe('mtr_tool.MtrTool');
      expect(t.config).toEqual({ type: 'native', url: 'http://127.0.0.1:8788', token: '${oc.env:MTR_SERVE_TOKEN,null}', timeout: 60 });
    }
    expect(JSON.parse(rows[0]!.extra_info.tools)).toEqual(config.tools.map((t) => t.tool_schema));
  });

  it('verl with per-item tools: mtr_tool_agent rows, each offering its own tools with real create_kwargs; a short tool config', async () => {
    const per = await perItemStore(join(tmp, 'per-verl'));
    const { out, train, manifest } = await exportTo(
      'verl-per-item',
      ['--stage', 'grpo', '--format', 'verl', '--tools-url', 'http://10.0.0.5:9000', '--tools-timeout', '30'],
      per.path,
    );
    expect(manifest.verl).toMatchObject({ agent_name: 'mtr_tool_agent', data_files: expect.stringMatching(/^jsonl/) });
    const fromParquet = readParquet(join(out, 'train.parquet'));
    for (const [i, raw] of train.entries()) {
      const row = VerlRow.parse(raw);
      const k = per.items.findIndex((it) => it.id === row.extra_info.id);
      const offered = (JSON.parse(row.extra_info.tools) as { function: { name: string } }[]).map((f) => f.function.name);
      expect(offered).toEqual([`lookup_fact_${k}`, 'wiki_search']);
      expect(Object.keys(row.extra_info.tools_kwargs)).toEqual(offered); // the JSONL row: exactly its own tools
      expect(row.agent_name).toBe('mtr_tool_agent');
      const back = fromParquet[i] as typeof row;
      for (const name of offered) {
        expect(back.extra_info.tools_kwargs[name]).toEqual(row.extra_info.tools_kwargs[name]);
        expect(JSON.parse(back.extra_info.tools_kwargs[name]!.create_kwargs.tool!)).toMatchObject({ api_name: name });
      }
    }
    // the loop loads the tool config per sample: it lists the shared tool (server settings), not every item's tools
    const config = readToolConfig(join(out, 'tool_config.yaml'));
    expect(config.tools.map((t) => t.tool_schema.function.name)).toEqual(['wiki_search']);
    expect(manifest.verl.tools.sort()).toEqual([...per.items.map((_, k) => `lookup_fact_${k}`), 'wiki_search'].sort());
    expect(config.tools[0]!.config).toMatchObject({ url: 'http://10.0.0.5:9000', timeout: 30 });
    // verl's OpenAIFunctionToolSchema: every parameter has a string type; enums only of strings
    for (const t of config.tools)
      for (const p of Object.values(t.tool_schema.function.parameters.properties)) expect(typeof (p as { type: unknown }).type).toBe('string');
  });

  it('verl: the default split gives a validation file (verl needs data.val_files); text prompts are refused', async () => {
    const out = join(tmp, 'verl-split');
    const r = await runCli(['export', '--db', store.path, '--out', out, '--stage', 'grpo', '--format', 'verl']);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.counts).toMatchObject({ train: 5, validation: 1 });
    expect(readParquet(join(out, 'validation.parquet')).map((r) => VerlRow.parse(r).extra_info.split)).toEqual(['validation']);
    const text = await runCli(['export', '--db', store.path, '--out', join(tmp, 'z'), '--stage', 'grpo', '--format', 'verl', '--system', 'text']);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('--system: expected native or none with --format verl');
  });

  it('trl: GRPOTrainer rows, a conversational prompt and the gold columns reward functions get as kwargs', async () => {
    const { train } = await exportTo('grpo-trl', ['--stage', 'grpo', '--format', 'trl']);
    const Row = z.strictObject({
      prompt: z.array(z.strictObject({ role: z.enum(['system', 'user']), content: z.string() })),
      answers: z.array(z.string()).min(1),
      data_source: z.literal('bamboogle'),
      id: z.string(),
    });
    for (const raw of train) {
      const row = Row.parse(raw);
      const item = store.items.find((i) => i.id === row.id)!;
      expect(row.prompt.map((m) => m.role)).toEqual(['system', 'user']);
      expect(row.prompt[1]!.content).toBe(item.question);
      expect(row.answers).toEqual(item.answers);
    }
  });

  it('--unsolved-by leaves out items an SFT rollout already solved', async () => {
    const scores = join(tmp, 'scores.jsonl');
    writeFileSync(
      scores,
      [
        { id: store.valid[0], reward: 1, components: { em: 1 } },
        { id: store.valid[1], reward: 0, components: { em: 0 } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const { train, manifest } = await exportTo('unsolved', ['--stage', 'grpo', '--format', 'jsonl', '--unsolved-by', scores]);
    expect(manifest.counts).toMatchObject({ solved: 1, kept: 6 });
    expect(train.map((r) => VerlRow.parse(r).extra_info.id)).not.toContain(store.valid[0]);
    writeFileSync(scores, '{"reward": 1}\n');
    const bad = await runCli(['export', '--db', store.path, '--out', join(tmp, 'y'), '--stage', 'grpo', '--format', 'jsonl', '--unsolved-by', scores]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${scores}:1: id: expected a scored rollout with an item id`);
  });
});

// Search-R1's make_prefix (scripts/data_process/nq_search.py, template `base`) written out, with its question rule
const searchR1Prefix = (question: string) => {
  const q = question.trim().endsWith('?') ? question.trim() : `${question.trim()}?`;
  return `Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new information. After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query </search> and it will return the top searched results between <information> and </information>. You can search as many times as your want. If you find no further external knowledge needed, you can directly provide the answer inside <answer> and </answer>, without detailed illustrations. For example, <answer> Beijing </answer>. Question: ${q}\n`;
};

describe('mtr export --dialect search-r1', () => {
  let search: Awaited<ReturnType<typeof searchStore>>;
  beforeAll(async () => {
    search = await searchStore(join(tmp, 'search'), { count: 8 });
  });

  it('grpo verl: exactly the rows nq_search.py writes (its prefix as the only turn, fact-reasoning, split train/test)', async () => {
    const out = join(tmp, 'sr1-grpo');
    const r = await runCli(['export', '--db', search.path, '--out', out, '--stage', 'grpo', '--format', 'verl', '--dialect', 'search-r1']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'train.jsonl', 'train.parquet', 'validation.jsonl', 'validation.parquet']);
    for (const [file, split] of [
      ['train', 'train'],
      ['validation', 'test'],
    ] as const) {
      const rows = readJsonl(join(out, `${file}.jsonl`)) as { prompt: { content: string }[] }[];
      expect(readParquet(join(out, `${file}.parquet`))).toEqual(rows);
      rows.forEach((row, index) => {
        const item = search.items.find((i) => row.prompt[0]!.content === searchR1Prefix(i.question))!;
        expect(row).toStrictEqual({
          data_source: 'bamboogle',
          prompt: [{ role: 'user', content: searchR1Prefix(item.question) }],
          ability: 'fact-reasoning',
          reward_model: { style: 'rule', ground_truth: { target: item.answers } },
          extra_info: { split, index },
        });
      });
    }
  });

  it('sft: the trace as Search-R1 writes it after its prompt; traces calling other tools are skipped and counted', async () => {
    const { train, manifest } = await exportTo('sr1-sft', ['--stage', 'sft', '--format', 'jsonl', '--dialect', 'search-r1'], search.path);
    expect(manifest.counts).toMatchObject({ kept: 8, not_search_r1: 1, train: 7 });
    for (const raw of train) {
      const row = raw as { id: string; prompt: unknown; completion: string; answers: string[] };
      const item = search.items.find((i) => i.id === row.id)!;
      expect(row.prompt).toEqual([{ role: 'user', content: searchR1Prefix(item.question) }]);
      expect(row.completion).toBe(
        `<think>Confirm with a search.</think>\n<search> ${item.question} </search>\n\n<information>Doc 1(Title: "${item.answers[0]}") ${item.answers[0]} is the answer.</information>\n\n<think>Both agree.</think>\n<answer> ${item.answers[0]} </answer>`,
      );
    }
    const { train: lf } = await exportTo('sr1-lf', ['--stage', 'sft', '--format', 'sharegpt', '--dialect', 'search-r1'], search.path);
    expect((lf[0] as { conversations: { from: string }[] }).conversations.map((c) => c.from)).toEqual(['human', 'gpt']);
    // a run generated with --dialect search-r1 exports in that dialect unless told otherwise
    const generated = await searchStore(join(tmp, 'search-run'), { count: 4, dialect: 'search-r1' });
    const { train: own, manifest: ownManifest } = await exportTo('sr1-own', ['--stage', 'sft', '--format', 'jsonl'], generated.path);
    expect(ownManifest.dialect).toBe('search-r1');
    expect((own[0] as { completion: string }).completion).toContain('<search> ');
    const { manifest: hermes } = await exportTo('sr1-hermes', ['--stage', 'sft', '--format', 'jsonl', '--dialect', 'hermes'], generated.path);
    expect(hermes.dialect).toBe('hermes');
    const bad = await runCli([
      'export',
      '--db',
      search.path,
      '--out',
      join(tmp, 'q'),
      '--stage',
      'sft',
      '--format',
      'trl',
      '--dialect',
      'search-r1',
      '--system',
      'text',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--system: expected none with --dialect search-r1');
  });
});

describe('data_source', () => {
  it('is the canonical benchmark, never a file stem; --data-source names it when nothing else does; mtr score accepts it', async () => {
    const stem = await perItemStore(join(tmp, 'stem'), { dataset: 'my_questions', count: 3 });
    const r = await runCli(['export', '--db', stem.path, '--out', join(tmp, 'stem-out'), '--stage', 'sft', '--format', 'jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `data_source: expected item ${stem.items[0]!.id}'s dataset to be a known benchmark (bamboogle, hotpotqa, 2wikimultihopqa, musique, nq, triviaqa, popqa, strategyqa), got "my_questions"; name it with --data-source NAME`,
    );
    const { out, train } = await exportTo('stem-named', ['--stage', 'sft', '--format', 'jsonl', '--data-source', 'nq'], stem.path);
    expect(train.map((row) => (row as { data_source: string }).data_source)).toEqual(['nq', 'nq', 'nq']);
    // the rows as rollouts: the kept completion scored against the row's gold under the row's data_source
    const rollouts = (train as { prompt: unknown }[]).map(({ prompt: _prompt, ...rest }) => JSON.stringify(rest)).join('\n');
    writeFileSync(join(out, 'rollouts.jsonl'), `${rollouts}\n`);
    const scored = await runCli(['score', '--rollouts', join(out, 'rollouts.jsonl'), '--out', join(out, 'scores.jsonl')]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(readJsonl(join(out, 'scores.jsonl')).map((s) => (s as { components: { em: number } }).components.em)).toEqual([1, 1, 1]);
    const hotpot = await perItemStore(join(tmp, 'hp'), { dataset: 'hotpot_dev_distractor_300', count: 2 });
    const { manifest } = await exportTo('hp-out', ['--stage', 'grpo', '--format', 'trl'], hotpot.path);
    expect(manifest.data_source).toEqual({ hotpotqa: 2 });
  });
});
