import PQueue from 'p-queue';
import { parseModelConfig } from '../../src/llm/config.js';
import { OpenAIChatModel } from '../../src/llm/openai.js';
import type { ToolTemplate } from '../../src/schema/tool.js';
import { ToolService, type ToolServiceOptions } from '../../src/pipeline/tool-service/service.js';
import { UTILITY_TOOLS } from '../../src/tools/utility.js';
import { type FakeReply, type FakeRequest, type FakeServer, type FakeServerOptions, startFakeOpenAI } from '../support/openai-server.js';
import { instanceOf } from '../support/scripted-roles.js';
import { sealTools } from '../support/seal-tools.js';

/** A real Seal-Tools tool with one required string parameter and others beside it. */
export const SEAL: ToolTemplate = sealTools().find(
  (t) => t.required.length === 1 && t.parameters[t.required[0]!]!.type === 'str' && Object.keys(t.parameters).length >= 2,
)!;
export const WIKI: ToolTemplate = UTILITY_TOOLS.wiki_search!;

/** The fake model's answer: a response valid against the tool's schema, marked with the request number. */
export const simulated = (req: FakeRequest, index: number): FakeReply => ({
  content: JSON.stringify(instanceOf(req.response_format.json_schema.schema.anyOf[0], `simulated#${index}`)),
});

/** The whole prompt of a recorded model request. */
export const promptOf = (req: FakeRequest): string => req.messages.map((m: { content: string }) => m.content).join('\n');

export interface ToolsFixture {
  fake: FakeServer;
  service: ToolService;
  close(): Promise<void>;
}

/** A ToolService whose actor is the real OpenAI client talking to a local fake model server. */
export async function toolsFixture(
  o: { tools?: ToolTemplate[]; fake?: Partial<FakeServerOptions>; service?: Partial<ToolServiceOptions>; actor?: Partial<ToolServiceOptions['actor']> } = {},
): Promise<ToolsFixture> {
  const fake = await startFakeOpenAI({ respond: simulated, ...o.fake });
  const model = new OpenAIChatModel({ ...parseModelConfig({ baseUrl: fake.url, model: 'fake-model', timeoutMs: 5000, maxRetries: 0 }), baseUrl: fake.url });
  const service = new ToolService({
    tools: o.tools ?? [WIKI, SEAL],
    actor: { model: { role: 'actor', model, queue: new PQueue({ concurrency: 64 }), temperature: 0, maxTokens: 256, maxAttempts: 2 }, ...o.actor },
    ...o.service,
  });
  return { fake, service, close: () => fake.close() };
}
