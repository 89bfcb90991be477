import { z } from 'zod';
import { MtrError } from '../schema/errors.js';
import { fromContents } from './corpus.js';
import type { SearchHit } from './bm25.js';

/** A Search-R1 / FlashRAG document: `{id?, contents:"\"Title\"\ntext"}` or `{id?, title, text}`. */
const DocumentSchema = z.union([
  z.object({ id: z.union([z.string(), z.number()]).optional(), contents: z.string() }),
  z.object({ id: z.union([z.string(), z.number()]).optional(), title: z.string().optional(), text: z.string() }),
]);
const ScoredSchema = z.object({ document: DocumentSchema, score: z.number() });
/** `{result: [[{document, score}]]}` (Search-R1's retrieval_server.py); some forks drop the `result` wrapper. */
const ResponseSchema = z.union([z.object({ result: z.array(z.array(ScoredSchema)) }), z.array(z.array(ScoredSchema))]);

export interface RetrievalClientOptions {
  timeoutMs?: number;
}

/**
 * Client for a Search-R1 retrieval server: `POST {url}/retrieve {"queries", "topk", "return_scores": true}`.
 * `url` is the server root (http://127.0.0.1:8000) or the full /retrieve address.
 */
export class RetrievalClient {
  readonly endpoint: string;

  constructor(
    url: string,
    private readonly opts: RetrievalClientOptions = {},
  ) {
    if (!/^https?:\/\/[^\s/]+/.test(url)) throw new MtrError('E_USAGE', `--retrieval-url: expected an http(s) URL such as http://127.0.0.1:8000, got "${url}"`);
    const root = url.replace(/\/+$/, '');
    this.endpoint = root.endsWith('/retrieve') ? root : `${root}/retrieve`;
  }

  /**
   * One cheap search (one query, top 1) at start-up, so a dead or wrong server stops the run before anything
   * is written instead of failing item by item; the error names the server and the ways out.
   */
  async probe(timeoutMs = 10_000): Promise<void> {
    try {
      await new RetrievalClient(this.endpoint, { timeoutMs }).retrieve(['mtr start-up check'], 1);
    } catch (e) {
      const cause = (e as Error).message.replace(`retrieval server ${this.endpoint}: `, '');
      throw new MtrError(
        'E_INPUT',
        `--retrieval-url: cannot use the retrieval server at ${this.endpoint}: ${cause}; start it, pass another --retrieval-url, search a local index with --index FILE, or drop the flag to simulate wiki_search`,
        { url: this.endpoint },
      );
    }
  }

  /** The `k` best passages per query, best first, in query order. */
  async retrieve(queries: string[], k: number): Promise<SearchHit[][]> {
    let res: Response;
    try {
      res = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queries, topk: k, return_scores: true }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (e) {
      // fetch says "fetch failed"; the why (ECONNREFUSED, "bad port") is in its cause
      const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
      const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
      const reason =
        (e as Error).name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs ?? 30_000} ms` : `${(e as Error).message}${why ? ` (${why})` : ''}`;
      throw new MtrError('E_INPUT', `retrieval server ${this.endpoint}: cannot be reached: ${reason}`);
    }
    const text = await res.text();
    if (!res.ok) throw new MtrError('E_INPUT', `retrieval server ${this.endpoint}: expected status 200, got ${res.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new MtrError('E_INPUT', `retrieval server ${this.endpoint}: expected JSON, got ${JSON.stringify(text.slice(0, 80))}`);
    }
    const parsed = ResponseSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new MtrError(
        'E_INPUT',
        `retrieval server ${this.endpoint}: expected {result: [[{document: {contents}, score}]]}, got ${issue.path.join('.') || 'body'}: ${issue.message}`,
      );
    }
    const lists = Array.isArray(parsed.data) ? parsed.data : parsed.data.result;
    if (lists.length !== queries.length)
      throw new MtrError('E_INPUT', `retrieval server ${this.endpoint}: expected ${queries.length} result lists, got ${lists.length}`);
    return lists.map((list) =>
      list.slice(0, k).map(({ document: d, score }, i) => ({
        id: d.id === undefined ? String(i) : String(d.id),
        ...('contents' in d ? fromContents(d.contents) : { title: d.title ?? '', text: d.text }),
        score,
      })),
    );
  }
}
