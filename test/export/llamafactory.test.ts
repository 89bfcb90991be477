import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { seededStore } from '../validate/store-fixture.js';
import { perItemStore } from './stores.js';

/**
 * LLaMA-Factory's reading of a ShareGPT export, re-implemented from its source (src/llamafactory/data/
 * converter.py SharegptDatasetConverter, formatter.py FunctionFormatter.apply, tool_utils.py QwenToolUtils /
 * Llama3ToolUtils, template.py ReasoningTemplate.remove_thought), our own TypeScript, applied to every
 * function_call turn of real exports.
 */

/** Python's json.dumps(v, ensure_ascii=False): ", " and ": " separators. */
const pyDumps = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v);
};
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type ToolFormat = 'qwen' | 'llama3';
const FUNCTION_FORMATTERS: Record<ToolFormat, (calls: { name: string; arguments: unknown }[]) => string> = {
  qwen: (calls) => calls.map((c) => `<tool_call>\n${pyDumps({ name: c.name, arguments: c.arguments })}\n</tool_call>`).join('\n'),
  llama3: (calls) =>
    pyDumps(calls.length === 1 ? { name: calls[0]!.name, parameters: calls[0]!.arguments } : calls.map((c) => ({ name: c.name, parameters: c.arguments }))),
};

/** FunctionFormatter.apply: a tool_call_words match wins; else a thought_words match is cut off and the rest must be the call JSON. */
function functionApply(content: string, thought: readonly [string, string], toolCall: readonly [string, string], format: ToolFormat): string {
  const parse = (json: string) => {
    let calls: unknown;
    try {
      calls = JSON.parse(json);
    } catch {
      throw new Error(`Invalid JSON format in function message: ${JSON.stringify([content])}.`);
    }
    return (Array.isArray(calls) ? calls : [calls]) as { name: string; arguments: unknown }[];
  };
  const callMatch = new RegExp(`${escapeRe(toolCall[0])}([\\s\\S]*?)${escapeRe(toolCall[1])}`).exec(content);
  if (callMatch) return content.replace(callMatch[0], '') + FUNCTION_FORMATTERS[format](parse(callMatch[1]!));
  const thoughtMatch = new RegExp(`${escapeRe(thought[0])}([\\s\\S]*?)${escapeRe(thought[1])}`).exec(content);
  const jsonPart = thoughtMatch ? content.replace(thoughtMatch[0], '') : content;
  return (thoughtMatch?.[0] ?? '') + FUNCTION_FORMATTERS[format](parse(jsonPart));
}

/** ReasoningTemplate.remove_thought: what qwen3 keeps of a history turn (preserve_thinking off). */
const removeThought = (content: string, thought: readonly [string, string]) =>
  content.replace(new RegExp(`${escapeRe(thought[0])}([\\s\\S]*?)${escapeRe(thought[1])}`, 'g'), '').replace(/^\n+/, '');

// template.py: qwen, qwen3, qwen3_nothink and llama3 take register_template's default words
const TEMPLATES = { qwen: 'qwen', qwen3: 'qwen', qwen3_nothink: 'qwen', llama3: 'llama3' } as const satisfies Record<string, ToolFormat>;
const THOUGHT = ['<think>\n', '\n</think>\n\n'] as const;
const TOOL_CALL = ['<tool_call>', '</tool_call>'] as const;

interface Turn {
  from: string;
  value: string;
}
/** SharegptDatasetConverter: human/observation at even indexes, gpt/function_call at odd, an even count. */
const aligned = (conv: readonly Turn[]) =>
  conv.length % 2 === 0 && conv.every((m, i) => (i % 2 === 0 ? ['human', 'observation'] : ['gpt', 'function_call']).includes(m.from));

const tmp = mkdtempSync(join(tmpdir(), 'mtr-lf-'));
const exports: { name: string; rows: { conversations: Turn[] }[] }[] = [];
beforeAll(async () => {
  mkdirSync(join(tmp, 'a'));
  const stores = { seeded: (await seededStore(join(tmp, 'a'))).path, perItem: (await perItemStore(join(tmp, 'b'), { count: 12 })).path };
  for (const [name, db] of Object.entries(stores)) {
    for (const extra of [[], ['--drop-think']]) {
      const out = join(tmp, `${name}${extra.length ? '-nothink' : ''}`);
      const r = await runCli(['export', '--db', db, '--stage', 'sft', '--format', 'sharegpt', '--out', out, '--val-ratio', '0', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      exports.push({
        name: `${name}${extra.join('')}`,
        rows: readFileSync(join(out, 'train.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      });
    }
  }
});

describe("LLaMA-Factory's FunctionFormatter on mtr's ShareGPT export", () => {
  it('parses every function_call turn with the qwen, qwen3, qwen3_nothink and llama3 templates', () => {
    let turns = 0;
    for (const { name, rows } of exports) {
      for (const row of rows) {
        expect(aligned(row.conversations), name).toBe(true);
        for (const turn of row.conversations.filter((t) => t.from === 'function_call')) {
          turns++;
          const call = JSON.parse(removeThought(turn.value, THOUGHT)) as { name: string; arguments: unknown };
          for (const [template, format] of Object.entries(TEMPLATES)) {
            const out = functionApply(turn.value, THOUGHT, TOOL_CALL, format);
            const thought = turn.value.startsWith(THOUGHT[0]) ? turn.value.slice(0, turn.value.indexOf(THOUGHT[1]) + THOUGHT[1].length) : '';
            expect(out, `${name} ${template}`).toBe(thought + FUNCTION_FORMATTERS[format]([call]));
          }
        }
      }
    }
    expect(turns).toBe(2 * (3 * 2 + 12 * 2)); // both stores, with and without think: every call of every kept trace
  });

  it('qwen3 strips each kept thought exactly (remove_thought), leaving the call JSON or the answer', () => {
    for (const { rows } of exports) {
      for (const turn of rows.flatMap((r) => r.conversations).filter((t) => t.from === 'gpt' || t.from === 'function_call')) {
        const rest = removeThought(turn.value, THOUGHT);
        expect(rest).not.toContain('<think>');
        if (turn.from === 'gpt') expect(rest).toMatch(/^<answer>.+<\/answer>$/);
        else expect(() => JSON.parse(rest)).not.toThrow();
      }
    }
  });

  it('refuses the previous layout (<think>…</think> then a newline), as LLaMA-Factory did on every call turn', () => {
    const old = '<think>Look the entity up.</think>\n{"name": "wiki_search", "arguments": {"query": "x"}}';
    for (const format of ['qwen', 'llama3'] as const)
      expect(() => functionApply(old, THOUGHT, TOOL_CALL, format)).toThrow(/Invalid JSON format in function message/);
  });
});
