import { baseUrlList } from '../llm/config.js';
import { type Outcome, ServerPool } from '../llm/pool.js';
import { HttpStatusError, isTransient, withRetry } from '../llm/retry.js';
import { MtrError } from '../schema/errors.js';
import type { Embedder } from './dedup.js';

export interface EmbeddingServer {
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1, or several serving the same model, comma-separated (a pool) */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** inputs per request */
  batchSize?: number;
  timeoutMs?: number;
}

/**
 * Embeddings from `POST {baseUrl}/embeddings` (vLLM, TEI, llama.cpp server, OpenAI), in input order. Several
 * servers share the chat models' pool (llm/pool.ts): each batch goes to the one the pool picks, a failed batch is
 * retried on another, and one failing repeatedly is taken out and probed again with backoff.
 */
export function openAIEmbedder(server: EmbeddingServer): Embedder {
  const pool = new ServerPool(baseUrlList(server.baseUrl));
  const pooled = pool.urls.length > 1;
  const batch = server.batchSize ?? 256;
  const endpoint = (base: string) => `${base.replace(/\/+$/, '')}/embeddings`;
  const post = async (url: string, input: readonly string[]): Promise<number[][]> => {
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
        let url = endpoint(pool.urls[0]!); // of the last request
        let failedOn: string | undefined; // a retry goes to another server when there is one
        const attempt = async () => {
          const base = pool.acquire(failedOn);
          url = endpoint(base);
          let outcome: Outcome = 'other';
          try {
            const vectors = await post(url, texts.slice(i, i + batch));
            outcome = 'ok';
            return vectors;
          } catch (e) {
            // in a pool a refused connection is one server down, worth a try elsewhere; alone, the user must act
            if (isTransient(e, pooled)) [outcome, failedOn] = ['server_failure', base];
            throw e;
          } finally {
            pool.release(base, outcome);
          }
        };
        try {
          // at least one try per server, so a pool with all but one down still answers
          out.push(...(await withRetry(attempt, { maxRetries: Math.max(2, pool.urls.length), baseMs: 200, retryConnectFailures: pooled })));
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
