import { constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { access, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  getLlama,
  LlamaChat,
  resolveModelFile,
  type ChatHistoryItem,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import { cacheDir as defaultCacheDir } from '../paths.js';
import { MtrError } from '../schema/errors.js';
import { renderCall, TAGS, wrap } from '../schema/trace-text.js';
import type { ModelConfig } from './config.js';
import type { ChatMessage, ChatModel, Completion, GenerateOptions } from './types.js';

/** GTM's base size: small enough for a CPU, good enough to follow a JSON schema. */
export const DEFAULT_MODEL = { repo: 'Qwen/Qwen2.5-1.5B-Instruct-GGUF', file: 'qwen2.5-1.5b-instruct-q4_k_m.gguf' } as const;
const DEFAULT_HF_ENDPOINT = 'https://huggingface.co/';
const WAYS_OUT = 'pass --model-file PATH for a local GGUF file, or --base-url URL for an OpenAI-compatible server (vLLM, SGLang, Ollama, llama.cpp server)';
/** Upper bound of the context; 'auto' alone would size the KV cache for the model's full training context. */
const MAX_CONTEXT = 8192;

export interface EmbeddedOptions {
  /** Root cache folder; models go to `<cacheDir>/models`. Default: cacheDir() from src/paths.ts. */
  cacheDir?: string;
  /** Human-readable progress (binary and model loading, download percentage). */
  onProgress?: (msg: string) => void;
  /** Hugging Face mirror for the default model; default $HF_ENDPOINT, $MODEL_ENDPOINT, then huggingface.co. */
  endpoint?: string;
  /** How long the reachability probe before a download may take. */
  connectTimeoutMs?: number;
  /** CPU threads; default one per core. More threads than free cores make llama.cpp's spin-waits crawl. */
  threads?: number;
}

/**
 * The embedded llama.cpp backend. One context with ONE sequence: generations are serialised per model
 * (a queue), which keeps memory flat and lets the KV cache reuse the shared prefix of consecutive calls;
 * parallelism comes from an OpenAI-compatible server (--base-url) instead.
 */
export async function createEmbeddedModel(config: ModelConfig, opts: EmbeddedOptions = {}): Promise<ChatModel> {
  const progress = opts.onProgress ?? (() => {});
  const userFile = config.modelFile;
  const modelPath = userFile ? await checkModelFile(userFile) : await ensureDefaultModel(opts, progress);

  progress('loading llama.cpp (prebuilt binaries)');
  const llama = await loadLlama(opts.threads ?? availableParallelism());
  try {
    progress(`loading model ${modelPath}${llama.gpu ? ` (gpu: ${llama.gpu})` : ' (cpu)'}`);
    const model = await llama.loadModel({ modelPath }).catch((e: unknown) => {
      const msg = `cannot load model ${modelPath}: ${errorText(e)}`;
      throw new MtrError(userFile ? 'E_USAGE' : 'E_MODEL', userFile ? `--model-file: ${msg}` : msg, { path: modelPath });
    });
    const context = await model.createContext({ contextSize: { max: MAX_CONTEXT }, sequences: 1 });
    return new EmbeddedChatModel(config, config.model ?? basename(modelPath), llama, model, context);
  } catch (e) {
    await llama.dispose();
    throw e instanceof MtrError ? e : new MtrError('E_MODEL', `cannot start the embedded model ${modelPath}: ${errorText(e)}`, { path: modelPath });
  }
}

class EmbeddedChatModel implements ChatModel {
  readonly backend = 'embedded' as const;
  private readonly chat: LlamaChat;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | undefined;

  constructor(
    private readonly config: ModelConfig,
    readonly model: string,
    private readonly llama: Llama,
    private readonly llamaModel: LlamaModel,
    private readonly context: LlamaContext,
  ) {
    this.chat = new LlamaChat({ contextSequence: context.getSequence() }); // chat wrapper from the GGUF's template
  }

  generate(messages: ChatMessage[], options: GenerateOptions = {}): Promise<Completion> {
    if (this.closed) return Promise.reject(new MtrError('E_USAGE', `embedded model ${this.model}: expected an open model, got generate() after close()`));
    if (options.tools?.length)
      return Promise.reject(
        new MtrError(
          'E_USAGE',
          `embedded model ${this.model}: native tool calling is not supported; use the text tool format (<${TAGS.toolCall}> tags) or --base-url`,
        ),
      );
    const run = this.queue.then(() => this.run(messages, options));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(messages: ChatMessage[], options: GenerateOptions): Promise<Completion> {
    const started = performance.now();
    const history = toChatHistory(messages);
    if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] }); // the turn to generate into
    const grammar = options.jsonSchema ? await this.grammar(options.jsonSchema.name, options.jsonSchema.schema) : undefined;
    let tokensOut = 0;
    try {
      const prompt = this.chat.chatWrapper.generateContextState({ chatHistory: history }).contextText;
      const tokensIn = prompt.tokenize(this.llamaModel.tokenizer).length;
      const result = await this.chat.generateResponse(history, {
        grammar,
        maxTokens: options.maxTokens ?? this.config.maxTokens,
        temperature: options.temperature ?? this.config.temperature,
        customStopTriggers: options.stop?.length ? options.stop : undefined,
        signal: options.signal,
        onToken: (tokens) => {
          tokensOut += tokens.length;
        },
      });
      return { text: result.response, toolCalls: [], tokensIn, tokensOut, latencyMs: Math.round(performance.now() - started), model: this.model, retries: 0 };
    } catch (e) {
      if (options.signal?.aborted) throw e;
      throw new MtrError('E_MODEL', `embedded model ${this.model}: generation failed: ${errorText(e)}`);
    }
  }

  /** Grammars are compiled once per schema text: the same tool's schema is used for every call. */
  private grammar(name: string, schema: unknown): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = this.llama.createGrammarForJsonSchema<GbnfJsonSchema>(toGrammarSchema(schema) as GbnfJsonSchema).catch((e: unknown) => {
        this.grammars.delete(key);
        throw new MtrError('E_MODEL', `embedded model ${this.model}: JSON schema "${name}" cannot be turned into a grammar: ${errorText(e)}`);
      });
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.queue; // let a running generation finish rather than pull the context from under it
      this.chat.dispose();
      await this.context.dispose();
      await this.llamaModel.dispose();
      await this.llama.dispose();
    })();
    return this.closed;
  }
}

/**
 * ChatMessage[] → node-llama-cpp history. Tool results become a user turn of `<tool_response>` blocks
 * (consecutive ones merged, as Qwen's template does); native tool calls of earlier assistant turns are
 * written back as `<tool_call>` text so the model sees one format.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  messages.forEach((m, i) => {
    const last = history.at(-1);
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else if (m.role === 'assistant') {
      const calls = (m.toolCalls ?? []).map((c) => wrap(TAGS.toolCall, `\n${renderCall(c)}\n`));
      history.push({ type: 'model', response: [[m.content, ...calls].filter(Boolean).join('\n')] });
    } else {
      const block = wrap(TAGS.toolResponse, `\n${m.content}\n`);
      if (last?.type === 'user' && messages[i - 1]?.role === 'tool') last.text += `\n${block}`;
      else history.push({ type: 'user', text: block });
    }
  });
  return history;
}

const ANY_JSON = { oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'object', additionalProperties: true }, { type: 'array' }] };
const SUBSCHEMA_MAPS = ['properties', '$defs'] as const;
const SUBSCHEMA_LISTS = ['oneOf', 'prefixItems'] as const;

/**
 * JSON Schema → the subset node-llama-cpp's grammar builder reads. It silently turns what it does not know
 * into `null` (anyOf, `{}`, type lists holding object/array), which would force wrong output, so: anyOf →
 * oneOf, untyped → any JSON, ['object','null'] → oneOf per type, bare objects → free-form objects.
 * Looser than the schema at worst; callers validate the result with ajv anyway.
 */
export function toGrammarSchema(schema: unknown): unknown {
  if (schema === true || schema === undefined) return ANY_JSON;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const { $schema: _, anyOf, ...s } = schema as Record<string, unknown>;
  if (Array.isArray(anyOf) && !Array.isArray(s.oneOf)) s.oneOf = anyOf;
  if (Array.isArray(s.type) && s.type.some((t) => t === 'object' || t === 'array'))
    return toGrammarSchema({ oneOf: s.type.map((type: unknown) => ({ ...s, type })) });
  for (const key of SUBSCHEMA_MAPS) if (isRecord(s[key])) s[key] = Object.fromEntries(Object.entries(s[key]).map(([k, v]) => [k, toGrammarSchema(v)]));
  for (const key of SUBSCHEMA_LISTS) if (Array.isArray(s[key])) s[key] = (s[key] as unknown[]).map(toGrammarSchema);
  if (s.items !== undefined && s.items !== false) s.items = toGrammarSchema(s.items);
  if (isRecord(s.additionalProperties)) s.additionalProperties = toGrammarSchema(s.additionalProperties);
  if (s.type === undefined && s.const === undefined && s.enum === undefined && s.$ref === undefined && s.oneOf === undefined)
    return s.properties ? { ...s, type: 'object' } : { ...ANY_JSON, ...(s.$defs ? { $defs: s.$defs } : {}) };
  if (s.type === 'object' && !s.properties && s.additionalProperties === undefined) s.additionalProperties = true;
  return s;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function checkModelFile(path: string): Promise<string> {
  const refused = (reason: string, cause?: unknown) =>
    new MtrError('E_USAGE', `--model-file: expected a readable GGUF file, got ${JSON.stringify(path)} (${reason})`, { path }, { cause });
  let isFile: boolean;
  try {
    await access(path, constants.R_OK);
    isFile = (await stat(path)).isFile();
  } catch (e) {
    throw refused(errorText(e), e);
  }
  if (!isFile) throw refused('not a regular file');
  return path;
}

/** The cached default model, or a download of it after a short reachability probe (no network → fail now). */
async function ensureDefaultModel(opts: EmbeddedOptions, progress: (msg: string) => void): Promise<string> {
  const directory = join(opts.cacheDir ?? defaultCacheDir(), 'models');
  const uri = `hf:${DEFAULT_MODEL.repo}/${DEFAULT_MODEL.file}`;
  try {
    return await resolveModelFile(uri, { directory, download: false, cli: false });
  } catch {
    // not cached yet
  }
  const endpoint = withSlash(opts.endpoint ?? process.env.HF_ENDPOINT ?? process.env.MODEL_ENDPOINT ?? DEFAULT_HF_ENDPOINT);
  const url = `${endpoint}${DEFAULT_MODEL.repo}/resolve/main/${DEFAULT_MODEL.file}`;
  const fail = (why: string) =>
    new MtrError('E_DOWNLOAD', `cannot download the default model ${uri} into ${directory}: ${why}; ${WAYS_OUT}`, { url, directory });
  // node-llama-cpp's downloader retries an unreachable host for minutes: probe it ourselves first.
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(opts.connectTimeoutMs ?? 10_000) });
    if (res.status >= 400) throw fail(`expected the file at ${url}, got HTTP ${res.status}`);
  } catch (e) {
    if (e instanceof MtrError) throw e;
    throw fail(`${url} is unreachable (${errorText(e)})`);
  }
  progress(`downloading ${uri} into ${directory}`);
  let lastPercent = -1;
  try {
    return await resolveModelFile(uri, {
      directory,
      cli: false,
      endpoints: { huggingFace: endpoint },
      onProgress: ({ totalSize, downloadedSize }) => {
        const percent = totalSize ? Math.floor((downloadedSize / totalSize) * 100) : 0;
        if (percent < lastPercent + 5 && !(percent === 100 && lastPercent < 100)) return;
        lastPercent = percent;
        progress(`downloading ${DEFAULT_MODEL.file}: ${percent}% of ${(totalSize / 1e6).toFixed(1)} MB`);
      },
    });
  } catch (e) {
    throw fail(errorText(e));
  }
}

/** Prebuilt binaries only: never compile llama.cpp or fetch its sources at run time. GPU when one works. */
async function loadLlama(maxThreads: number): Promise<Llama> {
  try {
    // maxThreads: node-llama-cpp's default (at least 4) oversubscribes small machines
    return await getLlama({ gpu: 'auto', build: 'never', skipDownload: true, usePrebuiltBinaries: true, progressLogs: false, maxThreads });
  } catch (e) {
    throw new MtrError(
      'E_MODEL',
      `no usable prebuilt llama.cpp binary for ${process.platform}-${process.arch} (${errorText(e)}); use --base-url URL for an OpenAI-compatible server instead`,
    );
  }
}

const withSlash = (url: string): string => (url.endsWith('/') ? url : `${url}/`);
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
