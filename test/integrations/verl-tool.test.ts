import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOpenAIFunction } from '../../src/schema/tool-convert.js';
import { promptOf, SEAL, simulated, WIKI } from '../server/tools-fixture.js';
import { serveCli } from '../support/cli.js';
import { type FakeServer, startFakeOpenAI } from '../support/openai-server.js';
import { REPO_ROOT } from '../support/paths.js';

const run = promisify(execFile);

/**
 * A minimal stand-in `verl` package (stdlib only; verl itself needs torch, ray, pydantic …) with the
 * interfaces our verl files use, as verl's source has them (volcengine/verl b178a3cd):
 * - verl/tools/schemas.py: OpenAIFunctionToolSchema (model_validate, model_dump, .function.name; property
 *   `type` is a required str, `enum` a list of str), ToolResponse(text, image, video);
 * - verl/tools/base_tool.py: BaseTool.__init__(config, tool_schema) sets config, then
 *   `tool_schema or self.get_openai_tool_schema()`, then name = tool_schema.function.name;
 * - verl/experimental/agent_loop/agent_loop.py: register(agent_name) → _agent_loop_registry[name] = {"_target_"};
 * - verl/experimental/agent_loop/tool_agent_loop.py: ToolAgentLoop, tools {name: tool} and tool_schemas from the
 *   tool config (none here), run(sampling_params, **kwargs) with kwargs tools_kwargs/extra_info and a fresh
 *   request_id per run, and _call_tool as verl's: create(create_kwargs=tools_kwargs[name].create_kwargs),
 *   execute(instance_id, json.loads(arguments), agent_data=agent_data), release, any exception as
 *   "Error when executing tool: {e}". The policy's tool calls, which verl parses from generated tokens, are
 *   given to the stand-in's run as `scripted_calls`.
 */
const FILES: Record<string, string> = {
  'verl/__init__.py': '',
  'verl/tools/__init__.py': '',
  'verl/tools/schemas.py': `
class _Model:
    FIELDS = ()
    def __init__(self, **values):
        for name in self.FIELDS:
            setattr(self, name, values.get(name))
    @classmethod
    def model_validate(cls, data):
        return cls(**data)
    def model_dump(self, exclude_unset=False, exclude_none=False):
        out = {}
        for name in self.FIELDS:
            v = getattr(self, name)
            v = v.model_dump(exclude_unset, exclude_none) if isinstance(v, _Model) else v
            if not (exclude_none and v is None):
                out[name] = v
        return out

class OpenAIFunctionPropertySchema(_Model):
    FIELDS = ("type", "description", "enum")
    def __init__(self, **values):
        if not isinstance(values.get("type"), str):
            raise ValueError("type: Input should be a valid string")
        if values.get("enum") is not None and not all(isinstance(e, str) for e in values["enum"]):
            raise ValueError("enum: Input should be a valid string")
        super().__init__(**values)

class OpenAIFunctionParametersSchema(_Model):
    FIELDS = ("type", "properties", "required")
    def __init__(self, **values):
        super().__init__(**values)
        self.properties = {k: OpenAIFunctionPropertySchema(**v) for k, v in (values.get("properties") or {}).items()}
        self.required = list(values.get("required") or [])
    def model_dump(self, exclude_unset=False, exclude_none=False):
        return {"type": self.type, "properties": {k: p.model_dump(exclude_unset, exclude_none) for k, p in self.properties.items()}, "required": self.required}

class OpenAIFunctionSchema(_Model):
    FIELDS = ("name", "description", "parameters")
    def __init__(self, **values):
        super().__init__(**values)
        if not isinstance(self.name, str) or not isinstance(self.description, str):
            raise ValueError("name, description: Input should be a valid string")
        self.parameters = OpenAIFunctionParametersSchema(**(values.get("parameters") or {"type": "object", "properties": {}, "required": []}))

class OpenAIFunctionToolSchema(_Model):
    FIELDS = ("type", "function")
    def __init__(self, **values):
        super().__init__(**values)
        self.function = OpenAIFunctionSchema(**values["function"])

class ToolResponse(_Model):
    FIELDS = ("text", "image", "video")
`,
  'verl/tools/base_tool.py': `
from typing import Any, Optional
from uuid import uuid4
from .schemas import OpenAIFunctionToolSchema, ToolResponse

class BaseTool:
    def __init__(self, config: dict, tool_schema: OpenAIFunctionToolSchema):
        self.config = config
        self.tool_schema = tool_schema or self.get_openai_tool_schema()
        assert self.tool_schema is not None, "Tool schema is not set!"
        self.name = self.tool_schema.function.name

    def get_openai_tool_schema(self) -> OpenAIFunctionToolSchema:
        return self.tool_schema

    async def create(self, instance_id: Optional[str] = None, **kwargs):
        return (instance_id or str(uuid4())), ToolResponse()

    async def execute(self, instance_id: str, parameters: dict[str, Any], **kwargs):
        return ToolResponse(text="Updated the tool state."), 0.0, {}

    async def calc_reward(self, instance_id: str, **kwargs) -> float:
        return 0.0

    async def release(self, instance_id: str, **kwargs) -> None:
        pass
`,
  'verl/experimental/__init__.py': '',
  'verl/experimental/agent_loop/__init__.py': '',
  'verl/experimental/agent_loop/agent_loop.py': `
_agent_loop_registry: dict = {}

def register(agent_name: str):
    def decorator(subclass):
        _agent_loop_registry[agent_name] = {"_target_": f"{subclass.__module__}.{subclass.__qualname__}"}
        return subclass
    return decorator
`,
  'verl/experimental/agent_loop/tool_agent_loop.py': `
import json
from types import SimpleNamespace
from uuid import uuid4
from verl.experimental.agent_loop.agent_loop import register
from verl.tools.schemas import ToolResponse

@register("tool_agent")
class ToolAgentLoop:
    def __init__(self, trainer_config=None, server_manager=None, tokenizer=None, processor=None, **kwargs):
        self.tools = {}  # no multi_turn.tool_config_path
        self.tool_schemas = []

    async def run(self, sampling_params, **kwargs):
        agent_data = SimpleNamespace(request_id=uuid4().hex, tools_kwargs=kwargs.get("tools_kwargs", {}), extra_fields={}, messages=list(kwargs["raw_prompt"]))
        responses = []
        for call in kwargs["scripted_calls"]:
            responses.append(await self._call_tool(SimpleNamespace(name=call["name"], arguments=call["arguments"]), agent_data.tools_kwargs, agent_data))
        return {"tool_schemas": self.tool_schemas, "responses": [[r.text, reward, metrics] for r, reward, metrics in responses], "request_id": agent_data.request_id}

    async def _call_tool(self, tool_call, tools_kwargs, agent_data):
        tool, instance_id = None, None
        try:
            tool_name = tool_call.name
            tool_args = json.loads(tool_call.arguments)
            tool = self.tools[tool_name]
            kwargs = tools_kwargs.get(tool_name, {})
            instance_id, _ = await tool.create(create_kwargs=kwargs.get("create_kwargs", {}))
            tool_execution_response, tool_reward, res = await tool.execute(instance_id, tool_args, agent_data=agent_data)
        except Exception as e:
            return ToolResponse(text=f"Error when executing tool: {e}"), 0.0, {}
        finally:
            if tool and instance_id:
                await tool.release(instance_id)
        return ToolResponse(text=tool_execution_response.text), tool_reward, res
`,
};

/** Writes the stand-in package into a fresh temp dir and returns the dir (put it on PYTHONPATH). */
function writeVerlStandIn(): string {
  const root = mkdtempSync(join(tmpdir(), 'mtr-verl-standin-'));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text.replace(/^\n/, ''));
  }
  return root;
}

let fake: FakeServer;
let server: { url: string; stop: () => Promise<unknown> };
let standIn: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ respond: simulated });
  const dir = mkdtempSync(join(tmpdir(), 'mtr-verl-tool-'));
  writeFileSync(join(dir, 'tools.json'), JSON.stringify([WIKI, SEAL]));
  server = await serveCli('tools', [
    '--toolset',
    join(dir, 'tools.json'),
    '--base-url',
    fake.url,
    '--model',
    'fake-model',
    '--grounding',
    'gold',
    '--token',
    's3cret',
  ]);
  standIn = writeVerlStandIn();
});
afterAll(async () => {
  await server.stop();
  await fake.close();
});

const python = async (script: string, env: Record<string, string> = {}): Promise<any> => {
  const { stdout } = await run('python3', ['-c', script], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONPATH: `${standIn}:${join(REPO_ROOT, 'integrations/verl')}`,
      MTR_TOOLS_URL: server.url,
      MTR_SERVE_TOKEN: 's3cret',
      ...env,
    },
  });
  return JSON.parse(stdout);
};

const ITEM = { question: 'Which city hosted the first show of Tinted Windows?', answers: ['Tulsa'] };

describe('integrations/verl/mtr_tool.py: verl BaseTool forwarding to a real `mtr serve tools`', () => {
  it('reads its schema from the server, grounds the session once, answers a valid call and a pre-check error, releases', async () => {
    const out = await python(`
import asyncio, json
from types import SimpleNamespace
from mtr_tool import MtrTool
async def main():
    tool = MtrTool({"type": "native", "name": "wiki_search", "timeout": 10}, None)  # url/token from the environment
    agent = SimpleNamespace(request_id="traj-1", extra_fields={})
    # as mtr's verl export writes it; this server has no --from-run items, so the inline item grounds the session
    iid, _ = await tool.create(create_kwargs={"item_id": "hp-7", "item": ${JSON.stringify(ITEM)}})
    good, reward, metrics = await tool.execute(iid, {"query": "Tinted Windows first show"}, agent_data=agent)
    bad, _, bad_metrics = await tool.execute(iid, {"query": "x", "lang": "en"}, agent_data=agent)
    score = await tool.calc_reward(iid)
    await tool.release(iid)
    print(json.dumps({"name": tool.name, "schema": tool.tool_schema.model_dump(exclude_none=True), "good": json.loads(good.text), "reward": reward,
                      "metrics": metrics, "bad": json.loads(bad.text), "bad_metrics": bad_metrics, "score": score, "left": len(tool._instances),
                      "grounded": sorted(agent.extra_fields["mtr_grounded_sessions"])}))
asyncio.run(main())
`);
    expect(out.name).toBe('wiki_search');
    expect(out.schema.function.parameters.required).toEqual(['query']);
    expect(out.good).toMatchObject({ results: [{ title: expect.stringMatching(/^simulated#/) }] });
    expect(out).toMatchObject({ reward: 0, score: 0, left: 0, grounded: ['traj-1'], metrics: { source: 'simulated', error: null } });
    expect(out.bad).toEqual({ error: { type: 'excess_parameter', parameter: 'lang', message: expect.stringContaining('unknown parameter "lang"') } });
    expect(out.bad_metrics).toEqual({ source: 'precheck', error: 'excess_parameter' });
    // grounded in the row's item: the simulator saw its question and gold answer
    expect(promptOf(fake.requests.at(-1)!)).toContain(ITEM.question);
    expect(promptOf(fake.requests.at(-1)!)).toContain('"Tulsa"');
  });

  it('a wrong token or an unreachable server raises (verl reports "Error when executing tool: …" to the policy)', async () => {
    const out = await python(`
import asyncio, json
from mtr_tool import MtrTool, MtrServerError
from verl.tools.schemas import OpenAIFunctionToolSchema
schema = OpenAIFunctionToolSchema.model_validate(json.loads(${JSON.stringify(JSON.stringify(toOpenAIFunction(WIKI)))}))
async def attempt(config):
    tool = MtrTool(config, schema)
    iid, _ = await tool.create()
    try:
        await tool.execute(iid, {"query": "x"})
        return "answered"
    except MtrServerError as e:
        return str(e)
async def main():
    print(json.dumps([await attempt({"type": "native", "token": "wrong"}), await attempt({"type": "native", "url": "http://127.0.0.1:9", "timeout": 2})]))
asyncio.run(main())
`);
    expect(out[0]).toMatch(/expected an observation, got 401/);
    expect(out[1]).toMatch(/cannot be reached/);
  });
});

describe('integrations/verl/mtr_agent_loop.py: agent loop mtr_tool_agent offers each row its own tools', () => {
  it("registers under its agent_name, shows the row's tools from extra_info, forwards their calls, ends its session", async () => {
    const rowTools = [toOpenAIFunction(SEAL)];
    const args = { [SEAL.required[0]!]: 'x' };
    const out = await python(`
import asyncio, json, os, urllib.request
from verl.experimental.agent_loop.agent_loop import _agent_loop_registry
import mtr_agent_loop
async def main():
    before = json.load(urllib.request.urlopen(os.environ["MTR_TOOLS_URL"] + "/health"))["sessions"]
    loop = mtr_agent_loop.MtrToolAgentLoop(trainer_config=None, server_manager=None, tokenizer=None, processor=None)
    result = await loop.run({}, raw_prompt=[{"role": "user", "content": "q"}], agent_name="mtr_tool_agent",
        extra_info={"tools": ${JSON.stringify(JSON.stringify(rowTools))}, "index": 0},
        tools_kwargs={${JSON.stringify(SEAL.api_name)}: {"create_kwargs": {}}},
        scripted_calls=[{"name": ${JSON.stringify(SEAL.api_name)}, "arguments": ${JSON.stringify(JSON.stringify(args))}}, {"name": "wiki_search", "arguments": "{\\"query\\": \\"x\\"}"}])
    health = json.load(urllib.request.urlopen(os.environ["MTR_TOOLS_URL"] + "/health"))
    print(json.dumps({"registry": _agent_loop_registry.get("mtr_tool_agent"), "result": result, "sessions": [before, health["sessions"]], "ended": sorted(loop.mtr_sessions)}))
asyncio.run(main())
`);
    expect(out.registry).toEqual({ _target_: 'mtr_agent_loop.MtrToolAgentLoop' });
    expect(out.result.tool_schemas).toEqual(rowTools);
    const [own, other] = out.result.responses;
    expect(Object.keys(JSON.parse(own[0]))).toEqual(Object.keys(SEAL.responses));
    expect(own[2]).toEqual({ source: 'simulated', error: null });
    expect(other[0]).toMatch(/^Error when executing tool: 'wiki_search'/); // not this row's tool
    expect(out.ended).toEqual([out.result.request_id]); // the trajectory's one session …
    expect(out.sessions[1]).toBe(out.sessions[0]); // … ended on the server when the trajectory ended
  });

  it("falls back to a fixed tool set (no extra_info.tools) and narrows schemas verl's pydantic model rejects", async () => {
    const out = await python(`
import json
from mtr_agent_loop import row_tools, verl_schema
fn = {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"n": {"type": ["integer", "null"], "enum": [1, 2]}}, "required": ["n"]}}
print(json.dumps({"none": row_tools({"index": 3}), "bare": row_tools({"tools": json.dumps([fn])}), "schema": verl_schema({"type": "function", "function": fn}).model_dump(exclude_none=True)}))
`);
    expect(out.none).toEqual([]);
    expect(out.bare).toEqual([{ type: 'function', function: expect.objectContaining({ name: 'f' }) }]);
    expect(out.schema.function.parameters.properties.n).toEqual({ type: 'string', enum: ['1', '2'] });
  });
});
