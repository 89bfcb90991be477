import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/llm/config.js';
import { OpenAIChatModel } from '../../src/llm/openai.js';
import { checkJsonAnswer, extractJson, generateJson, type Attempt } from '../../src/llm/structured.js';
import { isMtrError, responsesJsonSchema, ToolTemplateSchema, type ToolTemplate } from '../../src/schema/index.js';
import { startFakeOpenAI, type FakeReply, type FakeServer } from '../support/openai-server.js';

const TOOLS = new URL('../../../shared/datasets/tools/seal-tools/tool.jsonl', import.meta.url);
const sealTool = (name: string): ToolTemplate =>
  ToolTemplateSchema.parse(
    JSON.parse(
      readFileSync(TOOLS, 'utf8')
        .split('\n')
        .find((l) => l.includes(`"api_name": "${name}"`)) ?? 'null',
    ),
  );

// A real Seal-Tools tool: its observation must carry analysis_results and conclusion, both strings.
const tool = sealTool('analyzeEvidence');
const schema = responsesJsonSchema(tool);
const good = { analysis_results: 'Fibers match the suspect jacket.', conclusion: 'The suspect was present.' };

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
async function modelReplying(replies: (i: number) => FakeReply): Promise<{ model: OpenAIChatModel; server: FakeServer }> {
  server = await startFakeOpenAI({ respond: (_r, i) => replies(i) });
  const model = new OpenAIChatModel({ ...parseModelConfig({ baseUrl: server.url, model: 'fake-model', retryBaseMs: 1, maxRetries: 1 }), baseUrl: server.url });
  return { model, server };
}
const messages = [
  { role: 'system' as const, content: `You simulate the tool ${tool.api_name}.` },
  { role: 'user' as const, content: '{"evidence_type": "fibers", "method": "microscopy", "sample": "fabric sample"}' },
];

describe('extractJson', () => {
  it('reads bare JSON, fenced JSON and the outermost object amid prose', () => {
    expect(extractJson(JSON.stringify(good))).toEqual({ ok: true, value: good });
    expect(extractJson(`Here you go:\n\`\`\`json\n${JSON.stringify(good, null, 2)}\n\`\`\`\nAnything else?`)).toEqual({ ok: true, value: good });
    expect(extractJson(`Result: ${JSON.stringify(good)} -- hope that helps {sic}`)).toEqual({ ok: true, value: good });
    expect(extractJson('```\n[1, {"a": "}"}]\n```')).toEqual({ ok: true, value: [1, { a: '}' }] });
    expect(extractJson('The answer is {"note": "a \\"quoted\\" brace }", "n": 2}.')).toEqual({ ok: true, value: { note: 'a "quoted" brace }', n: 2 } });
  });

  it('says what it expected and what it got', () => {
    const none = extractJson('I cannot simulate this tool.');
    expect(none).toEqual({ ok: false, error: 'expected JSON, got "I cannot simulate this tool."' });
    const broken = extractJson('{"analysis_results": "x", }');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/^expected JSON, got "\{.*: .+/);
    expect(extractJson('   ')).toEqual({ ok: false, error: 'expected JSON, got an empty answer' });
  });
});

describe('checkJsonAnswer', () => {
  it('names the schema and the failing fields', () => {
    const r = checkJsonAnswer('{"analysis_results": 3}', 'analyzeEvidence', schema);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/^expected JSON matching schema "analyzeEvidence", got /);
    expect(r.errors.some((e) => e.startsWith('/analysis_results:'))).toBe(true);
    expect(r.errors.some((e) => e.includes('conclusion'))).toBe(true);
    expect(checkJsonAnswer(JSON.stringify(good), 'analyzeEvidence', schema)).toEqual({ ok: true, value: good });
  });
});

describe('generateJson over HTTP', () => {
  it('repairs malformed, then schema-invalid JSON, reporting all three attempts', async () => {
    const replies: FakeReply[] = [
      { content: 'Sure! {"analysis_results": "Fibers match' },
      { content: '```json\n{"analysis_results": "Fibers match."}\n```' },
      { content: JSON.stringify(good) },
    ];
    const { model, server } = await modelReplying((i) => replies[i] ?? { status: 500 });
    const attempts: Attempt[] = [];
    const result = await generateJson(model, messages, { name: tool.api_name, schema, temperature: 0.1, onAttempt: (a) => attempts.push(a) });

    expect(result.value).toEqual(good);
    expect(result.attempts).toBe(3);
    expect(result.completion.text).toBe(JSON.stringify(good));
    expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(attempts[0]?.raw).toBe('Sure! {"analysis_results": "Fibers match');
    expect(attempts[0]?.error).toMatch(/^expected JSON, got/);
    expect(attempts[1]?.error).toContain('conclusion');
    expect(attempts.every((a) => a.completion && a.completion.tokensOut > 0)).toBe(true);

    // each retry carries the bad answer and what was wrong with it
    const third = server.requests[2]?.messages ?? [];
    expect(third).toHaveLength(6);
    expect(third[2]).toEqual({ role: 'assistant', content: 'Sure! {"analysis_results": "Fibers match' });
    expect(third[3].role).toBe('user');
    expect(third[3].content).toContain('expected JSON, got');
    expect(third[5].content).toContain("must have required property 'conclusion'");
    expect(server.requests.every((r) => r.response_format?.type === 'json_schema' && r.temperature === 0.1)).toBe(true);
  });

  it('throws E_MODEL_OUTPUT with the raw text when every attempt is malformed', async () => {
    const { model } = await modelReplying(() => ({ content: 'I would rather not answer in JSON.' }));
    const attempts: Attempt[] = [];
    const e = await generateJson(model, messages, { name: tool.api_name, schema, maxAttempts: 2, onAttempt: (a) => attempts.push(a) }).catch(
      (err: unknown) => err,
    );
    expect(isMtrError(e) && e.code).toBe('E_MODEL_OUTPUT');
    if (!isMtrError(e)) return;
    expect(e.message).toContain('after 2 attempts');
    expect(e.details).toMatchObject({ raw: 'I would rather not answer in JSON.', attempts: 2 });
    expect(attempts.map((a) => a.ok)).toEqual([false, false]);
  });

  it('lets model errors through unchanged, with no attempt reported', async () => {
    const { model } = await modelReplying(() => ({ status: 401 }));
    const attempts: Attempt[] = [];
    const e = await generateJson(model, messages, { name: tool.api_name, schema, onAttempt: (a) => attempts.push(a) }).catch((err: unknown) => err);
    expect(isMtrError(e) && e.code).toBe('E_MODEL_UNREACHABLE');
    expect(attempts).toEqual([]);
  });

  it('rejects a maxAttempts below 1', async () => {
    const { model } = await modelReplying(() => ({ content: '{}' }));
    await expect(generateJson(model, messages, { name: 'x', schema, maxAttempts: 0 })).rejects.toThrow('maxAttempts: expected a positive integer, got 0');
  });
});
