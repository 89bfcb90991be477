import { HttpStatusError, withRetry } from '../llm/retry.js';
import { MtrError } from '../schema/errors.js';
import type { Embedder } from './dedup.js';

export interface EmbeddingServer {
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** inputs per request */
  batchSize?: number;
  timeoutMs?: number;
}

/** Embeddings from `POST {baseUrl}/embeddings` (vLLM, TEI, llama.cpp server, OpenAI), in input order. */
export function openAIEmbedder(server: EmbeddingServer): Embedder {
  const url = `${server.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const batch = server.batchSize ?? 256;
  const post = async (input: readonly string[]): Promise<number[][]> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey || 'EMPTY'}` },
      body: JSON.stringify({ model: server.model, input }),
      signal: AbortSignal.timeout(server.timeoutMs ?? 60_000),
    });
    if (!res.ok) throw new HttpStatusError(res.status, `${res.status} ${(await res.text()).slice(0, 200)}`); // retried on 5xx/429 by withRetry
    const body = (await res.json()) as { data?: { index?: number; embedding?: unknown }[] };
    const data = body.data ?? [];
    if (data.length !== input.length || !data.every((d) => Array.isArray(d.embedding))) {
      throw new MtrError('E_MODEL_OUTPUT', `${url}: expected ${input.length} embeddings, got ${data.length}`);
    }
    return [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding as number[]);
  };
  return {
    name: `${server.model}@${server.baseUrl}`,
    async embed(texts) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += batch) {
        try {
          out.push(...(await withRetry(() => post(texts.slice(i, i + batch)), { maxRetries: 2, baseMs: 200 })));
        } catch (e) {
          if (e instanceof MtrError) throw e;
          throw new MtrError(
            'E_MODEL_UNREACHABLE',
            `cannot get embeddings from ${url}: ${(e as Error).message}; check --embed-base-url and --embed-model, or leave them unset for the offline vectoriser`,
            { url },
            { cause: e },
          );
        }
      }
      return out;
    },
  };
}
