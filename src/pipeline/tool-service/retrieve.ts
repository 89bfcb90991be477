import { SEARCH_R1_TOOL } from '../../grammar/search-r1.js';
import type { ToolTemplate } from '../../schema/tool.js';
import type { Observation } from '../../schema/trace.js';
import { passageContents } from '../../tools/corpus.js';
import { searchHitsOf } from '../../tools/real.js';

/**
 * Search-R1's retrieval server (`search_r1/search/retrieval_server.py`, `POST /retrieve`), answered by whatever
 * backs `wiki_search`: each query is one wiki_search call, each observation a list of documents. `contents` is
 * wiki-18's `"Title"\ntext`, which both Search-R1's `_passages2string` and verl's
 * `search_r1_like_utils._passages2string` split at the first newline.
 */
export const RETRIEVE_TOOL = SEARCH_R1_TOOL;

export interface RetrievedDocument {
  id: string;
  contents: string;
}

export type RetrieveResult = { document: RetrievedDocument; score: number } | RetrievedDocument;

/** The wiki_search call for one query: topk as `top_k`, capped at the tool's maximum (10 for the utility tool). */
export function retrieveArguments(tool: ToolTemplate, query: string, topk: number): Record<string, unknown> {
  const k = tool.parameters.top_k;
  return k ? { query, top_k: Math.min(topk, typeof k.maximum === 'number' ? k.maximum : topk) } : { query };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPassage = (v: unknown): v is { title: string; text: string } =>
  isObject(v) && typeof v.text === 'string' && (v.title === undefined || typeof v.title === 'string');

/**
 * One query's wiki_search observation as Search-R1 documents. Real hits keep their corpus id and retrieval
 * score; simulated passages have neither, so they are numbered by rank and scored 1/rank. An error
 * observation (e.g. a bad query) retrieves nothing, as Search-R1's BM25 server answers a query with no hits.
 */
export function toRetrieved(observation: Observation, returnScores: boolean): RetrieveResult[] {
  const content = observation.content;
  if (observation.error || !isObject(content) || !Array.isArray(content.results)) return [];
  const hits = searchHitsOf(content);
  return content.results.filter(isPassage).map((p, i) => {
    const hit = hits?.[i];
    const document = { id: hit?.id ?? String(i), contents: passageContents(hit ?? { title: p.title ?? '', text: p.text }) };
    return returnScores ? { document, score: hit?.score ?? 1 / (i + 1) } : document;
  });
}
