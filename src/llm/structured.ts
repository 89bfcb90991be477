import { fillPrompt, loadPrompt } from '../prompts/index.js';
import { MtrError } from '../schema/errors.js';
import { formatErrors, validateJson } from '../schema/json-schema.js';
import type { JsonSchema } from '../schema/tool-convert.js';
import type { ChatMessage, ChatModel, Completion, FailedRequest } from './types.js';

/** One try at a JSON answer, reported whether it worked or not so callers can store it. */
export interface Attempt {
  attempt: number;
  ok: boolean;
  raw: string;
  error?: string;
  completion?: Completion;
}

export interface GenerateJsonOptions {
  name: string;
  schema: JsonSchema;
  /** default 3 */
  maxAttempts?: number;
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
  onAttempt?: (attempt: Attempt) => void;
  /** each failed request the backend retried, with the attempt it belongs to */
  onRetry?: (failure: FailedRequest & { attempt: number }) => void;
}

export interface JsonResult {
  value: unknown;
  completion: Completion;
  attempts: number;
}

export type Extracted = { ok: true; value: unknown } | { ok: false; error: string };

const preview = (s: string): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat ? JSON.stringify(flat.length > 80 ? `${flat.slice(0, 80)}…` : flat) : 'an empty answer';
};

/** From the first `{` or `[`, the balanced span up to its partner (string-aware), or undefined. */
function outermostJson(text: string): string | undefined {
  const start = text.search(/[{[]/);
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}

/**
 * The JSON value in a model answer: the whole text, else a ```json fence, else the outermost object or
 * array amid prose. Pure.
 */
export function extractJson(text: string): Extracted {
  const candidates = [text.trim()];
  const fence = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/.exec(text);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const span = outermostJson(fence?.[1] ?? text);
  if (span) candidates.push(span);
  let firstError: string | undefined;
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch (e) {
      firstError ??= (e as Error).message;
    }
  }
  const reason = span || fence ? `: ${firstError}` : '';
  return { ok: false, error: `expected JSON, got ${preview(text)}${reason}` };
}

/** Parses and validates one answer; `error` says what was expected and what came. Pure. */
export function checkJsonAnswer(text: string, name: string, schema: JsonSchema): { ok: true; value: unknown } | { ok: false; error: string; errors: string[] } {
  const parsed = extractJson(text);
  if (!parsed.ok) return { ok: false, error: parsed.error, errors: [parsed.error] };
  const valid = validateJson(schema, parsed.value);
  if (valid.ok) return { ok: true, value: parsed.value };
  const errors = formatErrors(valid.errors);
  return { ok: false, error: `expected JSON matching schema "${name}", got ${errors.join('; ')}`, errors };
}

/** What the model is told after a bad answer (prompts/json-repair.md). */
export function repairMessage(error: string): string {
  return fillPrompt(loadPrompt('json-repair'), { error }).trimEnd();
}

/**
 * Asks for JSON matching `schema`, feeding parse/validation errors back to the model until it complies or
 * `maxAttempts` are spent (then E_MODEL_OUTPUT with the last raw text). Model errors propagate unchanged.
 */
export async function generateJson(model: ChatModel, messages: ChatMessage[], opts: GenerateJsonOptions): Promise<JsonResult> {
  const maxAttempts = opts.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new MtrError('E_USAGE', `generateJson: maxAttempts: expected a positive integer, got ${maxAttempts}`);
  const conversation = [...messages];
  let last: { raw: string; errors: string[]; error: string } | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const completion = await model.generate(conversation, {
      jsonSchema: { name: opts.name, schema: opts.schema },
      ...(opts.temperature === undefined ? {} : { temperature: opts.temperature }),
      ...(opts.maxTokens === undefined ? {} : { maxTokens: opts.maxTokens }),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onRetry ? { onRetry: (f: FailedRequest) => opts.onRetry?.({ ...f, attempt }) } : {}),
    });
    const raw = completion.text;
    const checked = checkJsonAnswer(raw, opts.name, opts.schema);
    if (checked.ok) {
      opts.onAttempt?.({ attempt, ok: true, raw, completion });
      return { value: checked.value, completion, attempts: attempt };
    }
    opts.onAttempt?.({ attempt, ok: false, raw, error: checked.error, completion });
    last = { raw, errors: checked.errors, error: checked.error };
    conversation.push({ role: 'assistant', content: raw }, { role: 'user', content: repairMessage(checked.error) });
  }
  throw new MtrError('E_MODEL_OUTPUT', `model ${model.model}: "${opts.name}": ${last?.error} (after ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'})`, {
    raw: last?.raw,
    errors: last?.errors,
    attempts: maxAttempts,
  });
}
