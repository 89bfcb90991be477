import { badField, isObject, shown } from './middleware.js';

/** retrieval_server.py's `--topk` default, used when a request's topk is missing, null or 0 (`if not request.topk`). */
export const DEFAULT_RETRIEVE_TOPK = 3;

export interface RetrieveRequest {
  queries: string[];
  topk: number;
  return_scores: boolean;
  /** an mtr session (grounding, world memory); Search-R1's own client sends none */
  session?: string;
}

/**
 * Search-R1's retrieval server request (`search_r1/search/retrieval_server.py`, `POST /retrieve`):
 * `{queries, topk?, return_scores?}` → `{result: [[{document: {id, contents}, score}]]}`, or `{result: [[document]]}`
 * without scores (the answering is the tool service's: src/pipeline/tool-service/retrieve.ts).
 */
export function parseRetrieveRequest(body: unknown): RetrieveRequest {
  if (!isObject(body)) throw badField('body', `expected {"queries": [...], "topk": k, "return_scores": true}, got ${shown(body)}`);
  const { queries, topk, return_scores: scores, session } = body;
  if (!Array.isArray(queries) || !queries.every((q) => typeof q === 'string')) throw badField('queries', `expected a list of strings, got ${shown(queries)}`);
  if (topk !== undefined && topk !== null && !(Number.isInteger(topk) && (topk as number) >= 0))
    throw badField('topk', `expected a whole number ≥ 0 or null, got ${shown(topk)}`);
  if (scores !== undefined && typeof scores !== 'boolean') throw badField('return_scores', `expected true or false, got ${shown(scores)}`);
  if (session !== undefined && typeof session !== 'string') throw badField('session', `expected a string, got ${shown(session)}`);
  return { queries, topk: (topk as number | null | undefined) || DEFAULT_RETRIEVE_TOPK, return_scores: scores === true, ...(session ? { session } : {}) };
}
