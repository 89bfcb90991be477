import { tokens } from '../text/normalize.js';
import type { ParamSpec, ToolTemplate } from '../schema/tool.js';
import type { Step } from '../schema/trace.js';

/**
 * Slot agreement, made exact. Tokenisation is the official QA answer normalisation (text/normalize.ts:
 * lowercase, drop ASCII punctuation, drop the articles a/an/the, split on whitespace), so "The Eiffel
 * Tower," and "eiffel tower" agree. A string argument is grounded when at least `overlap` of its tokens
 * occur among the tokens of the question and of every string or number in the observations before the
 * call. Values with fewer than `minTokens` tokens are selectors ("population", "en"), not entity slots, and
 * are not checked; neither are values the schema itself offers (enum members, the default).
 */
export interface SlotOptions {
  overlap: number;
  minTokens: number;
}

export interface Ungrounded {
  step: number;
  tool: string;
  /** dotted path inside the arguments, e.g. `filters.0.city` */
  parameter: string;
  value: string;
  missing: string[];
  share: number;
}

/** Every string leaf of a JSON value with its dotted path. */
function stringLeaves(value: unknown, path: string, out: { path: string; value: string }[]): { path: string; value: string }[] {
  if (typeof value === 'string') out.push({ path, value });
  else if (Array.isArray(value)) value.forEach((v, i) => stringLeaves(v, path ? `${path}.${i}` : String(i), out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) stringLeaves(v, path ? `${path}.${k}` : k, out);
  return out;
}

function addTokens(value: unknown, into: Set<string>): void {
  if (typeof value === 'string' || typeof value === 'number') for (const t of tokens(String(value))) into.add(t);
  else if (Array.isArray(value)) value.forEach((v) => addTokens(v, into));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => addTokens(v, into));
}

const offeredBySchema = (spec: ParamSpec | undefined, value: string): boolean => !!spec && ((spec.enum ?? []).includes(value) || spec.default === value);

/** The string arguments of the trace's calls that the question and earlier observations do not support. */
export function ungroundedSlots(question: string, steps: readonly Step[], tools: readonly ToolTemplate[], opts: SlotOptions): Ungrounded[] {
  const known = new Set(tokens(question));
  const out: Ungrounded[] = [];
  for (const step of steps) {
    if (step.call) {
      const tool = tools.find((t) => t.api_name === step.call!.name);
      for (const leaf of stringLeaves(step.call.arguments, '', [])) {
        const spec = tool?.parameters[leaf.path.split('.')[0]!];
        const valueTokens = tokens(leaf.value);
        if (valueTokens.length < opts.minTokens || offeredBySchema(spec, leaf.value)) continue;
        const missing = valueTokens.filter((t) => !known.has(t));
        const share = (valueTokens.length - missing.length) / valueTokens.length;
        if (share < opts.overlap) out.push({ step: step.index, tool: step.call.name, parameter: leaf.path, value: leaf.value, missing, share });
      }
    }
    // what this step's tool answered grounds the calls after it
    if (step.observation) addTokens(step.observation.content, known);
  }
  return out;
}
