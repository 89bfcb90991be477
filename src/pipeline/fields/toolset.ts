import { z } from 'zod';

/** `--toolset FILE` for generate and eval: a fixed tool set instead of ToolMaker's, read like `mtr serve tools --toolset`. */
export const toolsetField = z.string().min(1).optional().meta({
  placeholder: 'FILE',
  description:
    "Give the agent the tools of this file (any layout mtr serve tools --toolset reads) beside the utility tools, instead of ToolMaker's: needs --tools-from utility (implied by mtr generate) and --dialect hermes; tools failing the tool check are skipped with their reasons; they are simulated by ToolActor, and the run key holds the tool set's hash",
});
