import type { JsonSchema, OpenAIFunction, ToolCall } from '../schema/index.js';

/** The provider-neutral chat message every backend accepts. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** assistant messages in native tool-calling mode */
  toolCalls?: ToolCall[];
  /** tool messages: the id of the call they answer */
  toolCallId?: string;
  name?: string;
}

export interface GenerateOptions {
  /** Constrain the output to this JSON Schema (response_format json_schema, or a grammar when embedded). */
  jsonSchema?: { name: string; schema: JsonSchema };
  /** Native OpenAI tool calling. */
  tools?: OpenAIFunction[];
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  signal?: AbortSignal;
  /** Each failed request that is retried (5xx, 429, timeout, cut-off body…), so the caller can store it. */
  onRetry?: (failure: FailedRequest) => void;
}

/** A request that failed and was retried: its reason and, when the server sent one, the raw reply text. */
export interface FailedRequest {
  /** 1 for the first retry */
  retry: number;
  error: string;
  raw?: string;
  latencyMs: number;
  /** the server the request went to (OpenAI-compatible backend) */
  server?: string;
}

export interface Completion {
  text: string;
  toolCalls: ToolCall[];
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  /** the model name the server reported (or the configured one) */
  model: string;
  /** retries the backend made for this completion (429/5xx/timeouts) */
  retries: number;
  /** the server that answered (OpenAI-compatible backend; one of a pool's) */
  server?: string;
}

/** One backend: an OpenAI-compatible server, or the embedded llama.cpp model. */
export interface ChatModel {
  readonly backend: 'openai' | 'embedded';
  readonly model: string;
  generate(messages: ChatMessage[], options?: GenerateOptions): Promise<Completion>;
  close(): Promise<void>;
}
