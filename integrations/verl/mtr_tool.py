"""verl tools answered by `mtr serve tools` (ToolActor): a BaseTool that forwards calls over HTTP.

Tool config (actor_rollout_ref.rollout.multi_turn.tool_config_path), with this folder on PYTHONPATH:

    tools:
      - class_name: mtr_tool.MtrTool
        config: {type: native, url: http://127.0.0.1:8788, token: s3cret, timeout: 60}
        tool_schema: {type: function, function: {name: wiki_search, description: ..., parameters: {...}}}

`tool_schema` may be left out: the schema is then read from the server (GET /v1/tools/{config.name}).
`url` and `token` default to $MTR_TOOLS_URL (else http://127.0.0.1:8788) and $MTR_SERVE_TOKEN.

verl's ToolAgentLoop creates, executes and releases a tool instance per call, passing
`create_kwargs = extra_info.tools_kwargs[name].create_kwargs` and the trajectory's `agent_data`. Every call
of one trajectory goes to the same mtr session (agent_data.request_id), so the simulated world stays
consistent across turns; `create_kwargs.item_id` (an item of the run the server serves with --from-run) and/or
`create_kwargs.item` ({question, answers, context?}) ground that session once, before its first call.

Standard library only (plus what verl itself provides); HTTP runs in a worker thread.
"""

import asyncio
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional
from uuid import uuid4

from verl.tools.base_tool import BaseTool
from verl.tools.schemas import OpenAIFunctionToolSchema

try:  # verl >= 0.5 returns ToolResponse; older versions return the text
    from verl.tools.schemas import ToolResponse
except ImportError:  # pragma: no cover - depends on the installed verl
    ToolResponse = None

DEFAULT_URL = "http://127.0.0.1:8788"
SESSION_HEADER = "x-mtr-session"
# agent_data.extra_fields key: sessions this trajectory has grounded already
GROUNDED = "mtr_grounded_sessions"


class MtrServerError(RuntimeError):
    """The tool server could not answer (unreachable, 401, a simulator failure); verl reports it to the policy."""


def connection(config: Optional[dict]) -> dict:
    """url, token, timeout from a tool config, falling back to the environment."""
    config = config or {}
    return {
        "url": (config.get("url") or os.environ.get("MTR_TOOLS_URL") or DEFAULT_URL).rstrip("/"),
        "token": config.get("token") or os.environ.get("MTR_SERVE_TOKEN") or "",
        "timeout": float(config.get("timeout") or 60),
    }


def request(conn: dict, method: str, path: str, body: Any = None, headers: Optional[dict] = None) -> tuple[int, Any]:
    """One blocking HTTP exchange with the tool server: (status, parsed JSON body)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(conn["url"] + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if conn["token"]:
        req.add_header("Authorization", "Bearer " + conn["token"])
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=conn["timeout"]) as res:
            status, text = res.status, res.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        raise MtrServerError(f"mtr tool server {conn['url']}: cannot be reached: {e}") from e
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError as e:
        raise MtrServerError(f"mtr tool server {conn['url']}{path}: expected JSON, got {text[:120]!r}") from e


def observation_text(content: Any) -> str:
    """What the policy reads: text as is, anything else as JSON (error observations included, so it sees its mistake)."""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def make_response(text: str):
    return ToolResponse(text=text) if ToolResponse is not None else text


def verl_schema(fn: dict) -> OpenAIFunctionToolSchema:
    """verl's pydantic schema of an OpenAI function. verl's property model wants a string `type` and string enum
    values; a function it rejects (e.g. `"type": ["integer", "null"]`) is narrowed to what it accepts."""
    try:
        return OpenAIFunctionToolSchema.model_validate(fn)
    except Exception:
        f = fn["function"]
        params = f.get("parameters") or {}
        props = {
            k: {"type": v.get("type") if isinstance(v.get("type"), str) else "string", "description": v.get("description"), **({"enum": [str(e) for e in v["enum"]]} if isinstance(v.get("enum"), list) else {})}
            for k, v in (params.get("properties") or {}).items()
        }
        return OpenAIFunctionToolSchema.model_validate(
            {"type": "function", "function": {"name": f["name"], "description": f.get("description") or "", "parameters": {"type": "object", "properties": props, "required": list(params.get("required") or [])}}}
        )


class MtrTool(BaseTool):
    """One tool of `mtr serve tools`; create/execute/calc_reward/release map to its HTTP API."""

    def __init__(self, config: dict, tool_schema: Optional[OpenAIFunctionToolSchema]):
        self.conn = connection(config)
        super().__init__(config, tool_schema)
        self._instances: dict[str, dict] = {}

    def get_openai_tool_schema(self) -> OpenAIFunctionToolSchema:
        if getattr(self, "tool_schema", None) is not None:
            return self.tool_schema
        name = (self.config or {}).get("name")
        if not name:
            raise ValueError("MtrTool: expected a tool_schema or config.name (a tool the server serves), got neither")
        status, body = request(self.conn, "GET", "/v1/tools/" + urllib.parse.quote(name, safe=""))
        if status != 200:
            raise MtrServerError(f"MtrTool: GET /v1/tools/{name}: expected 200, got {status}: {body}")
        return verl_schema(body["openai"])

    async def create(self, instance_id: Optional[str] = None, **kwargs) -> tuple:
        if instance_id is None:
            instance_id = str(uuid4())
        # ToolAgentLoop passes create_kwargs=...; other verl rollouts pass its keys directly.
        create_kwargs = kwargs.get("create_kwargs")
        self._instances[instance_id] = {"create_kwargs": dict(create_kwargs if isinstance(create_kwargs, dict) else kwargs), "grounded": False}
        return instance_id, make_response("")

    def _session(self, instance_id: str, agent_data: Any) -> str:
        return getattr(agent_data, "request_id", None) or self._instances.get(instance_id, {}).get("create_kwargs", {}).get("session") or instance_id

    async def _ground(self, instance_id: str, session: str, agent_data: Any) -> None:
        """PUT /v1/sessions/{session} once per session, with the item the row's create_kwargs name."""
        instance = self._instances.get(instance_id, {})
        kwargs = instance.get("create_kwargs", {})
        # Both may come (mtr's verl export writes both): a --from-run server uses its own copy of the item (all
        # its material and its place in the run), any other server the inline one.
        body = {}
        if kwargs.get("item_id") is not None:
            body["item_id"] = str(kwargs["item_id"])
        if isinstance(kwargs.get("item"), dict):
            body["item"] = kwargs["item"]
        if not body:
            return
        if "position" in kwargs:
            body["position"] = kwargs["position"]
        extra = getattr(agent_data, "extra_fields", None)
        done = extra.setdefault(GROUNDED, set()) if isinstance(extra, dict) else None
        if (done is not None and session in done) or instance.get("grounded"):
            return
        status, answer = await asyncio.to_thread(request, self.conn, "PUT", "/v1/sessions/" + urllib.parse.quote(session, safe=""), body)
        if status != 200:
            raise MtrServerError(f"mtr tool server: grounding session {session}: expected 200, got {status}: {answer}")
        instance["grounded"] = True
        if done is not None:
            done.add(session)

    async def execute(self, instance_id: str, parameters: dict[str, Any], **kwargs) -> tuple:
        agent_data = kwargs.get("agent_data")
        session = self._session(instance_id, agent_data)
        await self._ground(instance_id, session, agent_data)
        path = "/v1/tools/" + urllib.parse.quote(self.name, safe="")
        status, body = await asyncio.to_thread(request, self.conn, "POST", path, parameters, {SESSION_HEADER: session})
        # Bad calls (unknown tool, wrong arguments) are observations, whatever the status: the policy reads them.
        if not isinstance(body, dict) or "content" not in body:
            raise MtrServerError(f"mtr tool server: POST {path}: expected an observation, got {status}: {body}")
        error = body.get("error") or {}
        metrics = {"source": body.get("source"), "error": error.get("type") if isinstance(error, dict) else None}
        return make_response(observation_text(body["content"])), 0.0, metrics

    async def calc_reward(self, instance_id: str, **kwargs) -> float:
        # The outcome reward is mtr's reward server (compute_score); a tool call earns nothing by itself.
        return 0.0

    async def release(self, instance_id: str, **kwargs) -> None:
        # Only the local instance: its session lives on for the trajectory's later calls (the server keeps the
        # most recent 10,000 sessions; MtrToolAgentLoop ends its sessions when the trajectory ends).
        self._instances.pop(instance_id, None)


def end_session(conn: dict, session: str) -> None:
    """DELETE /v1/sessions/{session}: forget a finished trajectory's world memory."""
    request(conn, "DELETE", "/v1/sessions/" + urllib.parse.quote(session, safe=""))
