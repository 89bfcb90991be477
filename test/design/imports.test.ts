import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';

/**
 * The parts table of ../shared/DESIGN.md, checked on every import (type-only ones too) in src/, graphs/, bench/
 * and fakes/. A part may always import itself. Where this reads the table more precisely than DESIGN.md, the
 * comment says why.
 */
type Part =
  | 'records'
  | 'text'
  | 'paths'
  | 'grammar'
  | 'validate'
  | 'reward'
  | 'export'
  | 'data'
  | 'prompts'
  | 'models'
  | 'tools'
  | 'roles'
  | 'carg'
  | 'store'
  | 'graphs'
  | 'jobs'
  | 'faces'
  | 'bench'
  | 'fakes'
  | 'test';

/** Longest prefix wins. */
const FOLDERS: [string, Part][] = [
  ['src/schema/', 'records'],
  ['src/text/', 'text'],
  ['src/paths.ts', 'paths'], // where caches live: a leaf that imports nothing of ours
  ['src/grammar/', 'grammar'],
  ['src/validate/', 'validate'],
  ['src/reward/', 'reward'],
  ['src/export/', 'export'],
  ['src/data/', 'data'],
  ['src/prompts/', 'prompts'],
  ['src/llm/', 'models'],
  ['src/tools/', 'tools'],
  ['src/maker/', 'roles'],
  ['src/agent/', 'roles'],
  ['src/actor/', 'roles'],
  ['src/carg/', 'carg'],
  ['src/store/', 'store'],
  ['graphs/', 'graphs'],
  ['src/pipeline/', 'jobs'],
  ['src/cli/', 'faces'],
  ['src/server/', 'faces'],
  ['bench/', 'bench'],
  ['fakes/', 'fakes'], // the local OpenAI server, scripted roles and trace fixtures shared by test/ and bench/
  ['test/', 'test'],
];

function partOf(file: string): Part | undefined {
  let best: [string, Part] | undefined;
  for (const entry of FOLDERS) if ((file === entry[0] || file.startsWith(entry[0])) && entry[0].length > (best?.[0].length ?? -1)) best = entry;
  return best?.[1];
}

/** Only the interface of the store (its repositories and openStore), never a backend's files. */
const STORE_INTERFACE = new Set(['src/store/index.ts', 'src/store/store.ts']);
/** Roles may use validate's pre-checks only: a call's arguments (actor), a made tool against the template (maker). */
const VALIDATE_PRECHECKS = new Set(['src/validate/precheck.ts', 'src/validate/tool-schema.ts']);
/** CARG's audit runs the actor's `observe`, nothing else of the roles. */
const ACTOR_OBSERVE = new Set(['src/actor/index.ts']);

type Rule = Part | { part: Part; only: ReadonlySet<string>; what: string };
const storeInterface: Rule = { part: 'store', only: STORE_INTERFACE, what: 'the store interface (src/store/index.ts, store.ts)' };

/** Jobs may import every part below the faces. */
const JOBS_KNOW = [
  'records',
  'text',
  'paths',
  'grammar',
  'validate',
  'reward',
  'export',
  'data',
  'prompts',
  'models',
  'tools',
  'roles',
  'carg',
  storeInterface,
  'graphs',
] as const;

/**
 * Who may import whom. `text` (answer normalisation, sha256, JSON lines) is a leaf that knows only records: every
 * part above records may use it (DESIGN.md lists it for some; the one sha256 helper is the actor's cache key too).
 */

const KNOWS: Record<Part, readonly Rule[]> = {
  records: [],
  text: ['records'],
  paths: [],
  grammar: ['records', 'text'],
  validate: ['records', 'text', 'grammar'],
  reward: ['records', 'text', 'grammar'],
  export: ['records', 'text', 'grammar'],
  data: ['records', 'text', 'paths'],
  prompts: ['records', 'text', 'paths'],
  models: ['records', 'text', 'prompts', 'paths'],
  tools: ['records', 'text', storeInterface],
  roles: ['records', 'text', 'models', 'tools', 'grammar', 'prompts', { part: 'validate', only: VALIDATE_PRECHECKS, what: "validate's pre-checks" }],
  carg: ['records', 'text', 'models', 'prompts', 'validate', storeInterface, { part: 'roles', only: ACTOR_OBSERVE, what: "the actor's observe" }],
  store: ['records', 'text'],
  graphs: ['records', 'roles', storeInterface],
  jobs: JOBS_KNOW,
  faces: ['records', 'text', 'jobs'], // and src/cli → src/server, below
  bench: [...JOBS_KNOW, 'jobs', 'fakes'], // a bench drives jobs and the parts under them, with the shared fakes
  fakes: ['records', 'text', 'paths', 'data', 'prompts', 'tools'],
  test: [],
};

/** Packages that belong to one part: the model clients to models, the database drivers to the store, LangGraph to graphs. */
const PACKAGES: [RegExp, (file: string, part: Part) => boolean, string][] = [
  [/^(@langchain\/openai|@langchain\/core|openai|node-llama-cpp)(\/|$)/, (_f, p) => p === 'models', 'models only (src/llm/)'],
  // bm25.ts keeps its passage index in its own SQLite FTS5 file, not in the store (bm25-*.ts: its postings, tokenizer)
  [/^(better-sqlite3|pg)(\/|$)/, (f, p) => p === 'store' || /^src\/tools\/bm25(-[a-z]+)?\.ts$/.test(f), 'the store only (and the BM25 index file)'],
  [/^@langchain\/langgraph(\/|$)/, (_f, p) => p === 'graphs', 'graphs only'],
];

/**
 * PENDING_CROSSINGS — known crossings that work in flight removes. THE LEAD EMPTIES THIS LIST: an entry goes as soon
 * as its crossing is gone (the test prints the entries no longer seen). Empty since issue 14 (the last ones, jobs,
 * CARG and the tool set reaching SQLite files, went with the store interface). Never add one to make a new import
 * pass: fix the import. Exact `file → import` pairs.
 */
const PENDING_CROSSINGS: readonly string[] = [];

const SCANNED = ['src', 'graphs', 'bench', 'fakes'];

interface Import {
  file: string;
  specifier: string;
  /** repo-relative .ts path for our own modules, undefined for packages */
  target?: string;
}

/**
 * What src/store/index.ts offers other parts: the interface (store.ts), the trace draft, `openStore`, and
 * `isSqliteFile` (sniffs a file's first bytes; opens nothing). Everything else it exports is the SQLite backend's
 * internals, kept for the store's own tests.
 */
const STORE_INDEX_INTERFACE = (() => {
  const index = ts.createSourceFile('index.ts', readFileSync(join(REPO_ROOT, 'src/store/index.ts'), 'utf8'), ts.ScriptTarget.Latest);
  const names = new Set(['isSqliteFile']);
  for (const st of index.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) names.add(st.name.text);
    if (
      ts.isExportDeclaration(st) &&
      st.moduleSpecifier &&
      ts.isStringLiteral(st.moduleSpecifier) &&
      ['./store.js', './trace-draft.js'].includes(st.moduleSpecifier.text)
    ) {
      if (st.exportClause && ts.isNamedExports(st.exportClause)) for (const e of st.exportClause.elements) names.add(e.name.text);
    }
  }
  return names;
})();

/** Names imported (or re-exported) from `src/store/index.ts` by a file outside the store. */
function storeIndexNames(abs: string, text: string): string[] {
  const src = ts.createSourceFile(abs, text, ts.ScriptTarget.Latest);
  const names: string[] = [];
  for (const st of src.statements) {
    const spec =
      (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)
        ? st.moduleSpecifier.text
        : undefined;
    if (!spec?.startsWith('.') || relative(REPO_ROOT, resolve(dirname(abs), spec)) !== 'src/store/index.js') continue;
    if (ts.isImportDeclaration(st)) {
      const b = st.importClause?.namedBindings;
      if (st.importClause?.name || (b && ts.isNamespaceImport(b))) names.push('*');
      if (b && ts.isNamedImports(b)) for (const e of b.elements) names.push((e.propertyName ?? e.name).text);
    } else if (ts.isExportDeclaration(st)) {
      if (!st.exportClause) names.push('*');
      else if (ts.isNamedExports(st.exportClause)) for (const e of st.exportClause.elements) names.push((e.propertyName ?? e.name).text);
    }
  }
  return names;
}

/** `file → src/store/index.ts { name }` for every backend internal imported through the index outside the store. */
function storeInternalsUsed(): string[] {
  const out: string[] = [];
  for (const dir of SCANNED) {
    for (const e of readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      const abs = join(e.parentPath, e.name);
      const file = relative(REPO_ROOT, abs);
      const text = readFileSync(abs, 'utf8');
      if (file.startsWith('src/store/') || !text.includes('store/index.js')) continue;
      for (const name of storeIndexNames(abs, text)) if (!STORE_INDEX_INTERFACE.has(name)) out.push(`${file} → src/store/index.ts { ${name} }`);
    }
  }
  return out;
}

function scan(): Import[] {
  const out: Import[] = [];
  for (const dir of SCANNED) {
    for (const e of readdirSync(join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      const abs = join(e.parentPath, e.name);
      const file = relative(REPO_ROOT, abs);
      for (const imp of ts.preProcessFile(readFileSync(abs, 'utf8'), true, true).importedFiles) {
        const specifier = imp.fileName;
        const target = specifier.startsWith('.') ? relative(REPO_ROOT, resolve(dirname(abs), specifier)).replace(/\.js$/, '.ts') : undefined;
        out.push({ file, specifier, ...(target !== undefined ? { target } : {}) });
      }
    }
  }
  return out;
}

/** Why this import crosses the table, or undefined when it may be made. */
function crossing(imp: Import): string | undefined {
  const from = partOf(imp.file);
  if (!from) return `${imp.file} is in no part of the table`;
  if (imp.target === undefined) {
    for (const [pattern, allowed, where] of PACKAGES) if (pattern.test(imp.specifier) && !allowed(imp.file, from)) return `package ${imp.specifier}: ${where}`;
    return undefined;
  }
  const to = partOf(imp.target);
  if (!to) return `${imp.target} is in no part of the table`;
  if (from === 'faces' && to === 'faces') {
    // each face imports itself, and the CLI starts the servers; a server never imports the CLI
    const face = (f: string) => f.split('/')[1];
    return face(imp.file) === face(imp.target) || (imp.file.startsWith('src/cli/') && imp.target.startsWith('src/server/'))
      ? undefined
      : 'the servers never import the CLI';
  }
  if (to === from) return undefined;
  const rules = KNOWS[from].filter((r) => (typeof r === 'string' ? r : r.part) === to);
  if (rules.some((r) => typeof r === 'string' || r.only.has(imp.target!))) return undefined;
  const narrow = rules.find((r): r is Exclude<Rule, Part> => typeof r !== 'string');
  return narrow ? `${from} may import only ${narrow.what} of ${to}` : `${from} never imports ${to}`;
}

const imports = scan();
const found = imports.flatMap((imp) => {
  const why = crossing(imp);
  return why ? [{ pair: `${imp.file} → ${imp.target ?? imp.specifier}`, why, part: partOf(imp.file) }] : [];
});
const pending = new Set(PENDING_CROSSINGS);
for (const c of found) console.log(`import crossing${pending.has(c.pair) ? ' (pending)' : ''}: ${c.pair} — ${c.why}`);
const stale = PENDING_CROSSINGS.filter((p) => !found.some((c) => c.pair === p));
if (stale.length) console.log(`PENDING_CROSSINGS entries no longer seen (remove them):\n  ${stale.join('\n  ')}`);

describe("imports follow DESIGN.md's parts table", () => {
  it('the scan sees the code (every scanned folder has imports, and relative ones resolve to files)', () => {
    for (const dir of SCANNED)
      expect(
        imports.some((i) => i.file.startsWith(`${dir}/`)),
        dir,
      ).toBe(true);
    const ours = imports.filter((i) => i.target !== undefined);
    expect(ours.length).toBeGreaterThan(500);
    const missing = ours.filter((i) => !readdirSync(join(REPO_ROOT, dirname(i.target!))).includes(i.target!.split('/').at(-1)!));
    expect(missing.map((i) => `${i.file} → ${i.specifier}`)).toEqual([]);
  });

  const parts = [...new Set(FOLDERS.map(([, p]) => p))].filter((p) => p !== 'test');
  it.each(parts)('%s imports only what it knows', (part) => {
    const crossings = found.filter((c) => c.part === part && !pending.has(c.pair)).map((c) => `${c.pair} — ${c.why}`);
    expect(crossings, crossings.join('\n')).toEqual([]);
  });

  it('outside the store, src/store/index.ts is used for its interface only (openStore, Store and its repositories, TraceDraft), never the SQLite internals it still exports', () => {
    expect(STORE_INDEX_INTERFACE).toContain('openStore');
    expect(STORE_INDEX_INTERFACE).toContain('Store');
    expect(STORE_INDEX_INTERFACE).not.toContain('openDb');
    const probe =
      "import { openDb, type Store } from '../store/index.js';\nexport { runStatus as status } from '../store/index.js';\nimport * as all from '../store/index.js';";
    expect(storeIndexNames(join(REPO_ROOT, 'src/pipeline/probe.ts'), probe)).toEqual(['openDb', 'Store', 'runStatus', '*']);
    const used = storeInternalsUsed();
    expect(used, used.join('\n')).toEqual([]);
  });

  it('the rules themselves: a face reaching a role or a store backend, models reaching grammar, bench reaching test/', () => {
    expect(crossing({ file: 'src/cli/x.ts', specifier: '../actor/index.js', target: 'src/actor/index.ts' })).toBe('faces never imports roles');
    expect(crossing({ file: 'src/cli/x.ts', specifier: '../store/db.js', target: 'src/store/db.ts' })).toBe('faces never imports store');
    expect(crossing({ file: 'src/cli/x.ts', specifier: '../server/app.js', target: 'src/server/app.ts' })).toBeUndefined();
    expect(crossing({ file: 'src/server/x.ts', specifier: '../cli/io.js', target: 'src/cli/io.ts' })).toBe('the servers never import the CLI');
    expect(crossing({ file: 'src/pipeline/x.ts', specifier: '../store/db.js', target: 'src/store/db.ts' })).toBe(
      'jobs may import only the store interface (src/store/index.ts, store.ts) of store',
    );
    expect(crossing({ file: 'src/pipeline/x.ts', specifier: '../store/index.js', target: 'src/store/index.ts' })).toBeUndefined();
    expect(crossing({ file: 'src/llm/x.ts', specifier: '../grammar/tags.js', target: 'src/grammar/tags.ts' })).toBe('models never imports grammar');
    expect(crossing({ file: 'bench/x.ts', specifier: '../test/support/a.js', target: 'test/support/a.ts' })).toBe('bench never imports test');
    expect(crossing({ file: 'src/carg/audit.ts', specifier: '../actor/observe.js', target: 'src/actor/observe.ts' })).toBe(
      "carg may import only the actor's observe of roles",
    );
    expect(crossing({ file: 'src/cli/x.ts', specifier: 'better-sqlite3' })).toBe('package better-sqlite3: the store only (and the BM25 index file)');
    expect(crossing({ file: 'src/tools/bm25.ts', specifier: 'better-sqlite3' })).toBeUndefined();
    expect(crossing({ file: 'src/tools/bm25-terms.ts', specifier: 'better-sqlite3' })).toBeUndefined();
    expect(crossing({ file: 'src/tools/real.ts', specifier: 'better-sqlite3' })).toBe('package better-sqlite3: the store only (and the BM25 index file)');
    expect(crossing({ file: 'src/elsewhere.ts', specifier: './schema/item.js', target: 'src/schema/item.ts' })).toBe(
      'src/elsewhere.ts is in no part of the table',
    );
  });
});
