import { MtrError } from '../schema/errors.js';
import { Bm25Index, type SearchHit } from './bm25.js';
import { RetrievalClient } from './retrieval-client.js';
import { UTILITY_TOOLS } from './utility.js';

/** A tool answered by real code instead of the simulator; arguments arrive pre-checked against its schema. */
export interface RealTool {
  name: string;
  call(args: Record<string, unknown>): Promise<unknown>;
  close?(): void;
  /** start-up check of a remote backend: throws, naming it and the ways out, when it does not answer */
  check?(): Promise<void>;
}

/** Search-R1's default number of passages per search. */
export const DEFAULT_TOP_K = 3;

export type SearchFn = (query: string, k: number) => Promise<SearchHit[]>;

// The scored hits behind each real wiki_search answer: ids and scores the agent never sees, but /retrieve reports.
const hitsOfResult = new WeakMap<object, readonly SearchHit[]>();

/** The scored hits a real wiki_search answer was made from (undefined for any other content, e.g. simulated). */
export const searchHitsOf = (content: unknown): readonly SearchHit[] | undefined =>
  typeof content === 'object' && content !== null ? hitsOfResult.get(content) : undefined;

/** `wiki_search(query, top_k)` over a search backend, answering in the utility tool's response shape. */
export function wikiSearchTool(search: SearchFn, close?: () => void): RealTool {
  const maxK = UTILITY_TOOLS.wiki_search!.parameters.top_k?.maximum ?? 10;
  return {
    name: 'wiki_search',
    async call(args) {
      const k = Math.min(maxK, typeof args.top_k === 'number' ? args.top_k : DEFAULT_TOP_K);
      const hits = await search(String(args.query ?? ''), k);
      const result = { results: hits.map((h) => ({ title: h.title, text: h.text })) };
      hitsOfResult.set(result, hits);
      return result;
    },
    ...(close ? { close } : {}),
  };
}

export interface RealToolOptions {
  /** an index built by `mtr index` */
  index?: string;
  /** a Search-R1 retrieval server */
  retrievalUrl?: string;
}

/** The real backends a run's flags ask for, by tool name. Only wiki_search has real backends. */
export function openRealTools(o: RealToolOptions): Record<string, RealTool> {
  if (o.index && o.retrievalUrl) throw new MtrError('E_USAGE', '--index and --retrieval-url: expected one wiki_search backend, got both');
  if (o.index) {
    let index: Bm25Index;
    try {
      index = new Bm25Index(o.index); // opens the file and checks its format now
    } catch (e) {
      if (e instanceof MtrError)
        throw new MtrError(e.code, `${e.message}; build one with "mtr index", pass another --index, or drop the flag to simulate wiki_search`, e.details, {
          cause: e,
        });
      throw e;
    }
    return {
      wiki_search: wikiSearchTool(
        async (q, k) => index.search(q, k),
        () => index.close(),
      ),
    };
  }
  if (o.retrievalUrl) {
    const client = new RetrievalClient(o.retrievalUrl);
    return { wiki_search: { ...wikiSearchTool(async (q, k) => (await client.retrieve([q], k))[0] ?? []), check: () => client.probe() } };
  }
  return {};
}

/** Runs every backend's start-up check (a retrieval server answers one search) before any work starts. */
export async function checkRealTools(tools: Record<string, RealTool>): Promise<void> {
  for (const t of Object.values(tools)) await t.check?.();
}
