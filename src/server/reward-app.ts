import { Hono } from 'hono';
import type { Dialect, RewardService, ScoreResult } from '../pipeline/serve-reward.js';
import { isMtrError } from '../schema/errors.js';
import { errorHandler } from './errors.js';
import { badField, bearerToken, DEFAULT_MAX_BODY_BYTES, isObject, jsonBody, kindOf, limitBody, parseJson, shown } from './middleware.js';

export interface RewardAppOptions {
  token?: string;
  /** default 32 MiB */
  maxBodyBytes?: number;
}

function stringList(body: Record<string, unknown>, field: string, length?: number): string[] | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw badField(field, `expected a list, got ${kindOf(v)}`);
  const i = v.findIndex((x) => typeof x !== 'string');
  if (i >= 0) throw badField(`${field}[${i}]`, `expected a string, got ${shown(v[i])}`);
  if (length !== undefined && v.length !== length) throw badField(field, `expected ${length} entries (one per query), got ${v.length}`);
  return v as string[];
}

/** A label as trainers send it: "gold", ["a","b"], '["a","b"]' (JSON text), or {"target": …} (Search-R1). */
export function labelGold(label: unknown, field: string): string[] {
  let v = label;
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      v = parseJson(v, field);
    } catch {
      /* a plain answer that starts with "[" (or nests past the depth limit: then not a list of answers either) */
    }
  }
  if (isObject(v) && 'target' in v) v = v.target;
  const gold = typeof v === 'string' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  if (!gold || !gold.some((g) => g.trim() !== ''))
    throw badField(field, `expected a gold answer (string, list of strings or {"target": …}), got ${shown(label)}`);
  return gold;
}

const asDialect = (dialects: readonly Dialect[], v: unknown, field: string): Dialect | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(dialects as readonly string[]).includes(v)) throw badField(field, `expected one of ${dialects.join(', ')}, got ${shown(v)}`);
  return v as Dialect;
};

/** A bad item scores 0 with its reason; anything but an input error is a server bug and fails the request. */
function perItem<T>(n: number, score: (i: number) => T, zero: (error: string) => T): { results: T[]; errors: (string | null)[] } {
  const errors: (string | null)[] = [];
  const results = Array.from({ length: n }, (_, i) => {
    try {
      const r = score(i);
      errors.push(null);
      return r;
    } catch (e) {
      if (!isMtrError(e)) throw e;
      errors.push(e.message);
      return zero(e.message);
    }
  });
  return { results, errors };
}

/** The reward server as a Hono app over a reward service (serve reward's setup), testable with `app.request(...)` without a port. */
export function createRewardApp(service: RewardService, options: RewardAppOptions = {}): Hono {
  const { config } = service;
  const app = new Hono();
  app.onError(errorHandler);
  app.notFound((c) => c.json({ error: `expected GET /health, POST /get_reward or POST /score, got ${c.req.method} ${c.req.path}` }, 404));

  app.get('/health', (c) => c.json({ ok: true, dialect: config.dialect, weights: config.weights }));

  const guard = [bearerToken(options.token), limitBody(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)] as const;

  /**
   * OpenRLHF's remote reward protocol: `query` = prompt + response per item, `prompts` and `labels` aligned with
   * it; optional `data_source`/`data_sources` and `dialect`/`dialects`. A bad item scores 0: `errors[i]` says why
   * and `extra_logs.error[i]` is 1 (OpenRLHF turns every extra_logs value into a tensor, so only numbers go there).
   */
  app.post('/get_reward', ...guard, async (c) => {
    const body = await jsonBody(c);
    if (!isObject(body)) throw badField('body', 'expected {"query": [...], "prompts": [...], "labels": [...]}, got ' + kindOf(body));
    const query = stringList(body, 'query');
    if (!query) throw badField('query', 'expected a list of prompt+response strings, got none');
    const prompts = stringList(body, 'prompts', query.length);
    const labels = body.labels;
    if (!Array.isArray(labels) || labels.length !== query.length)
      throw badField('labels', `expected ${query.length} gold answers (one per query), got ${Array.isArray(labels) ? labels.length : shown(labels)}`);
    const sources = stringList(body, 'data_sources', query.length);
    const source = typeof body.data_source === 'string' ? body.data_source : undefined;
    const dialects = stringList(body, 'dialects', query.length);
    const dialect = asDialect(service.dialects, body.dialect, 'dialect');
    const { results, errors } = perItem(
      query.length,
      (i) => {
        const resolved = service.source(sources?.[i] ?? source);
        const own = asDialect(service.dialects, dialects?.[i], `dialects[${i}]`) ?? dialect;
        const gold = labelGold(labels[i], `labels[${i}]`);
        return service.reward(resolved, { query: query[i]!, ...(prompts ? { prompt: prompts[i]! } : {}), ...(own ? { dialect: own } : {}), gold });
      },
      () => ({ reward: 0, components: service.zero() }),
    );
    const rewards = results.map((r) => r.reward);
    const extra_logs = {
      ...Object.fromEntries(service.components.map((k) => [k, results.map((r) => r.components[k as keyof ScoreResult['components']])])),
      error: errors.map((e) => (e === null ? 0 : 1)),
    };
    return c.json({ rewards, scores: rewards, extra_logs, errors });
  });

  /** Rollouts in the `mtr score` line shape; a bad item gets reward 0 and its `error`, the rest are scored. */
  app.post('/score', ...guard, async (c) => {
    const body = await jsonBody(c);
    const items = Array.isArray(body) ? body : isObject(body) ? body.items : undefined;
    if (!Array.isArray(items))
      throw badField(
        'body',
        'expected a list of rollouts or {"items": [...]}, got ' +
          (!isObject(body) ? kindOf(body) : body.items === undefined ? 'an object without "items"' : `"items": ${kindOf(body.items)}`),
      );
    const { results } = perItem<ScoreResult | { reward: number; components: ScoreResult['components']; error: string }>(
      items.length,
      (i) => service.score(items[i], { file: 'request', path: `items[${i}]` }),
      (error) => ({ reward: 0, components: service.zero(), error }),
    );
    return c.json({ results, summary: service.summarize(results) });
  });
  return app;
}
