import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { tokenMatcher } from '../pipeline/serve-fields.js';
import { TRACE_VERDICTS } from '../schema/browse.js';
import { MAX_PAGE, type TraceQuery, VIEW_REASONS, type ViewService, viewWebRoot } from '../pipeline/view.js';
import { errorHandler } from './errors.js';
import { listen, type RunningServer } from './listen.js';
import { badField, bearerToken, DEFAULT_MAX_BODY_BYTES, limitBody, shown } from './middleware.js';

export interface ViewAppOptions {
  token?: string;
  maxBodyBytes?: number;
  /** the built pages (default: the package's dist/web, made by `npm run build:web`) */
  webRoot?: string;
}

const TOKEN_COOKIE = 'mtr_view_token';
const STATUSES = ['finished', 'failed', 'running'] as const;

/**
 * The token for a browser: `?token=T` once sets an HttpOnly cookie (a page load cannot send a header), then the
 * cookie or the usual Authorization header is checked on every route, pages included.
 */
function viewToken(token: string | undefined): MiddlewareHandler {
  if (!token) return async (_c, next) => next();
  const matches = tokenMatcher(token);
  const header = bearerToken(token);
  return async (c, next) => {
    const given = c.req.query('token');
    if (given !== undefined && matches(given)) {
      setCookie(c, TOKEN_COOKIE, given, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    if (matches(getCookie(c, TOKEN_COOKIE) ?? '')) return next();
    return header(c, next);
  };
}

/** A whole number query parameter within bounds, or E_INPUT (400) naming it. */
function intParam(c: Context, name: string, min: number, max: number, fallback?: number): number | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw badField(name, `expected a whole number from ${min} to ${max}, got ${shown(v)}`);
  return n;
}

/** A reward bound: a number from 0 to 1, or E_INPUT (400) naming it. */
function rewardParam(c: Context, name: string): number | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw badField(name, `expected a number from 0 to 1, got ${shown(v)}`);
  return n;
}

const textParam = (c: Context, name: string): string | undefined => {
  const v = c.req.query(name);
  return v === undefined || v === '' ? undefined : v;
};

/** A parameter that is one of a few words, or E_INPUT (400) naming it and them. */
function oneOf<T extends string>(c: Context, name: string, allowed: readonly T[]): T | undefined {
  const v = textParam(c, name);
  if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw badField(name, `expected one of ${allowed.join(', ')}, got ${shown(v)}`);
  return v as T | undefined;
}

function traceQuery(c: Context): TraceQuery {
  const status = oneOf(c, 'status', STATUSES);
  const reason = oneOf(c, 'reason', VIEW_REASONS);
  const verdict = oneOf(c, 'verdict', TRACE_VERDICTS);
  const run = intParam(c, 'run', 1, Number.MAX_SAFE_INTEGER);
  const [min, max] = [rewardParam(c, 'reward_min'), rewardParam(c, 'reward_max')];
  const q: TraceQuery = { offset: intParam(c, 'offset', 0, Number.MAX_SAFE_INTEGER, 0)!, limit: intParam(c, 'limit', 1, MAX_PAGE, 50)! };
  if (run !== undefined) q.run = run;
  if (status !== undefined) q.status = status;
  if (reason !== undefined) q.reason = reason;
  if (verdict !== undefined) q.verdict = verdict;
  if (min !== undefined || max !== undefined) {
    // rewards are computed per run (they are not stored), so a range is asked within one
    if (run === undefined) throw badField(min !== undefined ? 'reward_min' : 'reward_max', 'expected run=ID beside a reward range, got none');
    q.reward = { min: min ?? 0, max: max ?? 1 };
  }
  for (const key of ['dataset', 'q', 'config', 'check', 'error_type'] as const) {
    const v = textParam(c, key);
    if (v !== undefined) q[key] = v;
  }
  return q;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** The built pages: a file under the root, or index.html for any other page path (the UI routes in the browser). */
function staticPages(root: string): (c: Context) => Response {
  return (c) => {
    const index = join(root, 'index.html');
    if (!existsSync(index))
      return c.text(`mtr view: the pages are not built (${index} is missing); run npm run build:web. The JSON API under /api/ works without them.\n`, 503);
    const wanted = normalize(join(root, decodeURIComponent(c.req.path)));
    const file = wanted.startsWith(root + sep) && extname(wanted) && existsSync(wanted) ? wanted : index;
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const cache = file === index ? 'no-cache' : 'public, max-age=31536000, immutable'; // vite names assets by their hash
    return c.body(readFileSync(file), 200, { 'content-type': type, 'cache-control': cache });
  };
}

/** The viewer as a Hono app over a view service: the JSON API under /api/ and the built pages, testable with `app.request(...)`. */
export function createViewApp(service: ViewService, options: ViewAppOptions = {}): Hono {
  const app = new Hono();
  app.onError(errorHandler);
  app.use('*', viewToken(options.token), limitBody(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  app.get('/health', (c) => c.json({ ok: true, db: service.location }));

  const notFound = (c: Context, what: string) => c.json({ error: `expected an existing ${what}, got ${shown(c.req.param('id') ?? c.req.query('run'))}` }, 404);
  const runParam = (c: Context): number => {
    const run = intParam(c, 'run', 1, Number.MAX_SAFE_INTEGER);
    if (run === undefined) throw badField('run', 'expected a run id (see /api/runs), got none');
    return run;
  };
  const idParam = (c: Context): number => {
    const v = c.req.param('id') ?? '';
    if (!/^\d+$/.test(v)) throw badField('id', `expected a whole number, got ${shown(v)}`);
    return Number(v);
  };

  // ?brief=1: ids, keys and datasets only, for a run select (the counts read every trace of every run)
  app.get('/api/runs', async (c) => c.json({ runs: oneOf(c, 'brief', ['1']) ? await service.runNames() : await service.runs() }));
  app.get('/api/runs/:id', async (c) => {
    const run = await service.run(idParam(c));
    return run ? c.json(run) : notFound(c, 'run');
  });
  app.get('/api/traces', async (c) => c.json(await service.traces(traceQuery(c))));
  app.get('/api/traces/:id', async (c) => {
    const trace = await service.trace(idParam(c));
    return trace ? c.json(trace) : notFound(c, 'trace');
  });
  app.get('/api/report', async (c) => {
    const report = await service.report(runParam(c), textParam(c, 'config'));
    return report ? c.json(report) : notFound(c, 'run');
  });
  app.get('/api/plots', async (c) => {
    const plots = await service.plots(runParam(c));
    return plots ? c.json(plots) : notFound(c, 'run');
  });
  app.get('/api/carg', async (c) => c.json({ carg: await service.carg() }));
  app.all('/api/*', (c) =>
    c.json(
      { error: `expected GET /api/runs, /api/runs/:id, /api/traces, /api/traces/:id, /api/report, /api/plots or /api/carg, got ${c.req.method} ${c.req.path}` },
      404,
    ),
  );
  const pages = staticPages(options.webRoot ?? viewWebRoot());
  app.get('*', pages);
  app.notFound((c) => c.json({ error: `expected GET, got ${c.req.method} ${c.req.path}` }, 405));
  return app;
}

/** Starts the viewer on a real socket; resolves once it is listening. */
export function startViewServer(service: ViewService, options: ViewAppOptions & { host: string; port: number }): Promise<RunningServer> {
  return listen(createViewApp(service, options).fetch, { host: options.host, port: options.port, label: 'view' });
}
