"""verl agent loop `mtr_tool_agent`: ToolAgentLoop with each row's own tools, answered by `mtr serve tools`.

A verl tool config offers every prompt the same tools, but ToolMaker writes different tools for each item.
This loop reads the row's tools from `extra_info.tools` (a JSON string, or a list, of OpenAI functions, as
`mtr export --stage grpo --format verl` writes them), offers the policy exactly those (the chat template's
`tools`), and forwards their calls as MtrTool does. Everything else is verl's own ToolAgentLoop, unpatched.

Register it with this folder on PYTHONPATH and, in the trainer config,
`actor_rollout_ref.rollout.agent.agent_loop_config_path=<this folder>/mtr_agent_loop.yaml`; rows name it in
their `agent_name` column. Server settings come from the first MtrTool entry of the tool config
(`multi_turn.tool_config_path`, optional here), else $MTR_TOOLS_URL / $MTR_SERVE_TOKEN.
"""

import asyncio
import json
from typing import Any

from verl.experimental.agent_loop.agent_loop import register
from verl.experimental.agent_loop.tool_agent_loop import ToolAgentLoop

from mtr_tool import MtrTool, connection, end_session, verl_schema

AGENT_NAME = "mtr_tool_agent"


def row_tools(extra_info: Any) -> list:
    """The row's OpenAI function list from extra_info.tools (JSON text survives parquet column unification)."""
    tools = (extra_info or {}).get("tools") if isinstance(extra_info, dict) else None
    if isinstance(tools, str):
        tools = json.loads(tools) if tools.strip() else []
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise ValueError(f"extra_info.tools: expected a JSON list of OpenAI functions, got {type(tools).__name__}")
    return [t if "function" in t else {"type": "function", "function": t} for t in tools]


@register(AGENT_NAME)
class MtrToolAgentLoop(ToolAgentLoop):
    """ToolAgentLoop whose tools are the row's own (extra_info.tools), every one an MtrTool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        configured = [t for t in getattr(self, "tools", {}).values() if isinstance(t, MtrTool)]
        self.mtr_config = dict(configured[0].config) if configured else {}
        self.mtr_sessions: set = set()

    async def run(self, sampling_params: dict[str, Any], **kwargs):
        functions = row_tools(kwargs.get("extra_info"))
        if functions:
            # One loop instance per sample (verl instantiates the loop for each), so the row's tools are its own.
            self.tools = {fn["function"]["name"]: MtrTool(self.mtr_config, verl_schema(fn)) for fn in functions}
            self.tool_schemas = functions  # what the chat template shows: the exported schemas, not verl's narrowed copy
        try:
            return await super().run(sampling_params, **kwargs)
        finally:
            conn = connection(self.mtr_config)
            await asyncio.gather(*(asyncio.to_thread(end_session, conn, s) for s in self.mtr_sessions), return_exceptions=True)

    async def _call_tool(self, tool_call, tools_kwargs, agent_data):
        self.mtr_sessions.add(agent_data.request_id)
        return await super()._call_tool(tool_call, tools_kwargs, agent_data)
