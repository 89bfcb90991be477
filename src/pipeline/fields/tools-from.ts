import { z } from 'zod';
import { TOOLS_FROM, type ToolsFrom } from '../../schema/trace.js';

const DESCRIPTION =
  "Where each trace's tools come from: maker (ToolMaker designs task-specific tools, plus the utility tools), utility (the utility tools alone, no ToolMaker call), none (no tools: the agent answers from its own knowledge). MTR's tools-on / tools-off ablation";

/** `--tools-from`, declared once for generate (default maker) and eval (default utility: no ToolMaker needed). */
export const toolsFromField = (byDefault: ToolsFrom) => z.enum(TOOLS_FROM).default(byDefault).meta({ description: DESCRIPTION });

/** generate's flag: its default follows --toolset (the file's tools replace ToolMaker's), so the flag itself has none. */
export const toolsFromBesideToolsetField = z
  .enum(TOOLS_FROM)
  .optional()
  .meta({ description: `${DESCRIPTION} (default: maker, or utility with --toolset)` });
