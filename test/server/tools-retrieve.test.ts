import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createToolsApp, SESSION_HEADER } from '../../src/server/tools-app.js';
import { buildIndex } from '../../src/tools/bm25.js';
import { readCorpus } from '../../src/tools/corpus.js';
import { openRealTools } from '../../src/tools/real.js';
import { serveCli } from '../support/cli.js';
import { promptOf, SEAL, toolsFixture, type ToolsFixture, WIKI } from './tools-fixture.js';

const run = promisify(execFile);
let fx: ToolsFixture;

beforeAll(async () => {
  fx = await toolsFixture();
});
afterAll(() => fx.close());
beforeEach(() => void (fx.fake.requests.length = 0));

const retrieve = (body: unknown, headers: Record<string, string> = {}, app = createToolsApp(fx.service).app) =>
  app.request('/retrieve', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

type Scored = { document: { id: string; contents: string }; score: number };

describe('POST /retrieve (Search-R1 retrieval_server.py) answered by the simulator', () => {
  it('answers {result: [[{document: {id, contents}, score}]]} per query, in query order, from simulated wiki_search', async () => {
    const res = await retrieve({ queries: ['Paris', 'Rome'], topk: 2, return_scores: true });
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as { result: Scored[][] };
    expect(result).toHaveLength(2);
    expect(fx.fake.requests).toHaveLength(2);
    // each query is one wiki_search call with topk as top_k; the simulated passages become documents
    const [first] = result[0]!;
    expect(first!.document.contents).toMatch(/^"simulated#\d"\nsimulated#\d$/);
    expect(first).toMatchObject({ document: { id: '0' }, score: 1 });
    expect(promptOf(fx.fake.requests[0]!)).toMatch(/"top_k":\s*2/);
  });

  it("without return_scores answers lists of documents; topk missing, null or 0 means 3 (retrieval_server.py's default)", async () => {
    const { result } = (await (await retrieve({ queries: ['Paris'] })).json()) as { result: { id: string; contents: string }[][] };
    expect(Object.keys(result[0]![0]!)).toEqual(['id', 'contents']);
    expect(promptOf(fx.fake.requests[0]!)).toMatch(/"top_k":\s*3/);
    await retrieve({ queries: ['Lima'], topk: null, return_scores: true });
    expect(promptOf(fx.fake.requests[1]!)).toMatch(/"top_k":\s*3/);
    await retrieve({ queries: ['Oslo'], topk: 50 });
    expect(promptOf(fx.fake.requests[2]!)).toMatch(/"top_k":\s*10/); // wiki_search's own maximum
  });

  it('calls that share an mtr session (header or body) see each other, as every tool call does', async () => {
    await retrieve({ queries: ['first question'], session: 's1' });
    await retrieve({ queries: ['second question'] }, { [SESSION_HEADER]: 's1' });
    expect(promptOf(fx.fake.requests[1]!)).toContain('first question');
  });

  it('a bad request is a 400 naming the field; a tool set without wiki_search is a 404 saying so', async () => {
    for (const [body, field] of [
      [{ queries: 'x' }, 'queries'],
      [{ queries: [1] }, 'queries'],
      [{ queries: [], topk: -1 }, 'topk'],
      [{ queries: [], return_scores: 'yes' }, 'return_scores'],
      [[], 'body'],
    ] as const) {
      const res = await retrieve(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error.startsWith(`${field}:`)).toBe(true);
    }
    const other = await toolsFixture({ tools: [SEAL] });
    try {
      const res = await retrieve({ queries: ['x'] }, {}, createToolsApp(other.service).app);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toMatch(/expected a served wiki_search tool/);
    } finally {
      await other.close();
    }
  });

  it('a simulator failure is a 5xx (verl retries 500-504), not an empty result', async () => {
    const failing = await toolsFixture({ fake: { respond: () => ({ status: 500 }) } });
    try {
      expect((await retrieve({ queries: ['x'] }, {}, createToolsApp(failing.service).app)).status).toBe(502);
    } finally {
      await failing.close();
    }
  });
});

describe('POST /retrieve in front of an upstream Search-R1 retrieval server (--retrieval-url)', () => {
  it('passes the upstream documents through: ids, contents (unquoted titles too) and scores', async () => {
    const upstream = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        const { queries, topk } = JSON.parse(text) as { queries: string[]; topk: number };
        const lists = queries.map((q) =>
          Array.from({ length: topk }, (_, i) => ({
            document: { id: `${q}-${i}`, contents: i === 1 ? `Plain ${i}\n${q} text` : `"Doc ${i}"\n${q} text` },
            score: 20 - i,
          })),
        );
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: lists }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const proxy = await toolsFixture({ tools: [WIKI], actor: { routing: { wiki_search: { mode: 'real' } }, realTools: openRealTools({ retrievalUrl: url }) } });
    try {
      const { result } = (await (await retrieve({ queries: ['q1', 'q2'], topk: 2, return_scores: true }, {}, createToolsApp(proxy.service).app)).json()) as {
        result: Scored[][];
      };
      expect(result[1]).toEqual([
        { document: { id: 'q2-0', contents: '"Doc 0"\nq2 text' }, score: 20 },
        { document: { id: 'q2-1', contents: 'Plain 1\nq2 text' }, score: 19 },
      ]);
      expect(proxy.fake.requests).toHaveLength(0);
    } finally {
      await proxy.close();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });
});

// What Search-R1's generation.py (`_batch_search`, `_passages2string`) and verl's search_r1_like_utils send and
// read, in stdlib Python: POST JSON {queries, topk, return_scores: true}; read result[i][j].document.contents,
// title = first line, text = the rest. Our own client, written to send exactly what theirs sends.
const SEARCH_R1_CLIENT = `
import json, sys, urllib.request, base64
url, token = sys.argv[1], sys.argv[2]
payload = {"queries": json.loads(sys.argv[3]), "topk": 3, "return_scores": True}
req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
if token:  # what requests sends for http://user:TOKEN@host/retrieve
    req.add_header("Authorization", "Basic " + base64.b64encode(("mtr:" + token).encode()).decode())
result = json.load(urllib.request.urlopen(req))["result"]
out = []
for retrieval_result in result:
    format_reference = ""
    for idx, doc_item in enumerate(retrieval_result):
        content = doc_item["document"]["contents"]
        title = content.split("\\n")[0]
        text = "\\n".join(content.split("\\n")[1:])
        format_reference += f"Doc {idx+1}(Title: {title}) {text}\\n"
    out.append(format_reference)
print(json.dumps(out))
`;

describe("mtr serve tools --index: a retrieval-only server that Search-R1's client reads unchanged (python3, real process)", () => {
  it("serves wiki_search alone with no model, answering with the corpus rows' own contents, behind a token", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mtr-retrieve-'));
    const rows = [
      { id: '0', contents: '"Eiffel Tower"\nThe Eiffel Tower was completed in 1889 in Paris.' },
      { id: '1', contents: 'Louvre\nThe Louvre is a museum in Paris.' }, // an unquoted title, as 12% of wiki-18 rows have
      { id: '2', contents: '"Colosseum"\nThe Colosseum is in Rome.' },
    ];
    writeFileSync(join(dir, 'corpus.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
    await buildIndex(join(dir, 'corpus.sqlite'), readCorpus(join(dir, 'corpus.jsonl')));
    const started = await serveCli('tools', ['--index', join(dir, 'corpus.sqlite'), '--token', 's3cret']);
    const { url } = started;
    try {
      expect(started.out()).toContain('1 tools from the utility tools (retrieval only), answered by the real backend');
      const { stdout } = await run('python3', [
        '-c',
        SEARCH_R1_CLIENT,
        `${url}/retrieve`,
        's3cret',
        JSON.stringify(['Eiffel Tower Paris 1889', 'Louvre museum']),
      ]);
      const [eiffel, louvre] = JSON.parse(stdout) as string[];
      expect(eiffel!.startsWith(`Doc 1(Title: "Eiffel Tower") The Eiffel Tower was completed in 1889 in Paris.\n`)).toBe(true);
      expect(louvre!.startsWith('Doc 1(Title: Louvre) The Louvre is a museum in Paris.\n')).toBe(true);
      await expect(run('python3', ['-c', SEARCH_R1_CLIENT, `${url}/retrieve`, '', '["x"]'])).rejects.toThrow(/401/);
    } finally {
      started.child.kill('SIGTERM');
      expect((await started.done).code).toBe(0);
    }
  });
});
