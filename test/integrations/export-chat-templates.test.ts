import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { perItemStore } from '../export/stores.js';
import { runCli } from '../support/cli.js';
import { seededStore } from '../validate/store-fixture.js';

/**
 * SFT rows rendered by the chat templates of the README's model families (fixtures/chat-templates: Qwen2.5,
 * Qwen3, Llama 3.1, as their tokenizer_config.json publish them), with python3's jinja2 set up as
 * transformers' apply_chat_template sets it up (sandbox, trim_blocks, lstrip_blocks, its tojson).
 */
const run = promisify(execFile);
/** A python3 with jinja2: the one on PATH, else Debian's (apt-get install python3-jinja2). */
const PYTHON = ['python3', '/usr/bin/python3'].find((py) => {
  try {
    execFileSync(py, ['-c', 'import jinja2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
const TEMPLATES = join(import.meta.dirname, 'fixtures/chat-templates');

const RENDER = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
def raise_exception(message):
    raise ValueError(message)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
template = env.from_string(open(sys.argv[1]).read())
out = []
for line in open(sys.argv[2]):
    row = json.loads(line)
    tools = row.get("tools")
    tools = json.loads(tools) if isinstance(tools, str) else tools  # TRL's SFTTrainer reads a string this way
    out.append(template.render(messages=row["messages"], tools=tools, bos_token="<|begin_of_text|>", add_generation_prompt=False))
print(json.dumps(out))
`;

const tmp = mkdtempSync(join(tmpdir(), 'mtr-templates-'));
const files: Record<string, string> = {};
beforeAll(async () => {
  mkdirSync(join(tmp, 'a'));
  writeFileSync(join(tmp, 'render.py'), RENDER);
  const dbs = { seeded: (await seededStore(join(tmp, 'a'))).path, perItem: (await perItemStore(join(tmp, 'b'), { count: 6 })).path };
  for (const [name, db] of Object.entries(dbs)) {
    for (const [format, extra] of [
      ['trl', []],
      ['openai', []],
      ['trl-text', ['--system', 'text']],
    ] as const) {
      const out = join(tmp, `${name}-${format}`);
      const r = await runCli(['export', '--db', db, '--stage', 'sft', '--format', format.replace('-text', ''), '--out', out, '--val-ratio', '0', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      files[`${name}-${format}`] = join(out, 'train.jsonl');
    }
  }
});

const render = async (template: string, file: string): Promise<string[]> => {
  if (!PYTHON) throw new Error('expected a python3 with jinja2 (apt-get install python3-jinja2), got none');
  return JSON.parse((await run(PYTHON, [join(tmp, 'render.py'), join(TEMPLATES, `${template}.jinja`), file])).stdout);
};
const rows = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { messages: { role: string; content: string; tool_calls?: { function: { name: string; arguments: unknown } }[] }[] });
const calls = (file: string) => rows(file).map((r) => r.messages.flatMap((m) => m.tool_calls ?? []).map((c) => c.function));
/** Python json.dumps: ", " and ": " separators (what tojson writes). */
const pyDumps = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(pyDumps).join(', ')}]`
    : v && typeof v === 'object'
      ? `{${Object.entries(v)
          .map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`)
          .join(', ')}}`
      : JSON.stringify(v);
const count = (text: string, part: string) => text.split(part).length - 1;
const WIKI = 'Searches an encyclopedia and returns the most relevant passages';

describe('TRL SFT rows through the real chat templates', () => {
  it('Qwen2.5 and Qwen3 write every call as <tool_call>{"name", "arguments": object}</tool_call> and list each tool once', async () => {
    for (const store of ['seeded', 'perItem']) {
      const file = files[`${store}-trl`]!;
      for (const template of ['qwen2_5', 'qwen3']) {
        const texts = await render(template, file);
        texts.forEach((text, i) => {
          for (const c of calls(file)[i]!) expect(text).toContain(`<tool_call>\n{"name": "${c.name}", "arguments": ${pyDumps(c.arguments)}}\n</tool_call>`);
          expect(text).not.toContain('"arguments": "');
          expect(count(text, WIKI), `${template} ${store} row ${i}`).toBe(1);
        });
      }
    }
  });

  it('Qwen3 keeps each step\'s thought as its reasoning block; Llama 3.1 writes {"name", "parameters": object}', async () => {
    const file = files['seeded-trl']!;
    for (const text of await render('qwen3', file)) expect(text).toContain('<|im_start|>assistant\n<think>\nLook the entity up.\n</think>\n\n<tool_call>');
    const llama = await render('llama3_1', file);
    llama.forEach((text, i) => {
      for (const c of calls(file)[i]!) expect(text).toContain(`{"name": "${c.name}", "parameters": ${pyDumps(c.arguments)}}`);
      expect(count(text, WIKI)).toBe(1);
    });
  });

  it('--system text: the system prompt is the one place the tools are listed', async () => {
    for (const template of ['qwen2_5', 'qwen3', 'llama3_1']) {
      for (const text of await render(template, files['perItem-trl-text']!)) {
        expect(count(text, WIKI)).toBe(1);
        expect(text).not.toContain('# Tools');
      }
    }
  });

  it("OpenAI rows (string arguments, as OpenAI's API wants) come out JSON-encoded twice in Qwen2.5: use --format trl for chat templates", async () => {
    const file = files['seeded-openai']!;
    const [text] = await render('qwen2_5', file);
    expect(text).toContain('"arguments": "{\\"entity\\":\\"');
    const [qwen3] = await render('qwen3', file);
    expect(qwen3).toContain('"arguments": {"entity":"'); // Qwen3's template passes a string through
  });
});
