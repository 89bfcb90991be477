import { z } from 'zod';
import { commaList } from '../text/list.js';
import { MtrError } from '../schema/errors.js';

/**
 * Who answers a tool: the simulator, a real backend, or both in turn — GTM's warm-up recipe: simulated for
 * the first `warmup` items (or steps of each trace), then real.
 */
export const ToolRouteSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('simulated') }),
  z.object({ mode: z.literal('real') }),
  z.object({ mode: z.literal('hybrid'), warmup: z.number().int().nonnegative(), unit: z.enum(['items', 'steps']) }),
]);
export type ToolRoute = z.infer<typeof ToolRouteSchema>;
export type ToolRouting = Record<string, ToolRoute>;

export const ROUTING_SYNTAX = 'TOOL=simulated|real|hybrid:N[:items|steps], comma-separated';

/** `wiki_search=hybrid:20,calculator=real` → routes by tool name. */
export function parseToolRouting(spec: string, flag = '--tool-routing'): ToolRouting {
  const routing: ToolRouting = {};
  for (const part of commaList(spec)) {
    const m = /^([\w.-]+)=(simulated|real|hybrid:(\d+)(?::(items|steps))?)$/.exec(part);
    if (!m) throw new MtrError('E_USAGE', `${flag}: expected ${ROUTING_SYNTAX}, got "${part}"`);
    const [, tool, mode, warmup, unit] = m;
    routing[tool!] =
      mode === 'simulated' || mode === 'real' ? { mode } : { mode: 'hybrid', warmup: Number(warmup), unit: (unit as 'items' | 'steps' | undefined) ?? 'items' };
  }
  return routing;
}

/** The backend for one call; `itemIndex` is the item's position in the run, `step` the step in its trace. */
export function routeCall(route: ToolRoute | undefined, at: { itemIndex: number; step: number }): 'simulated' | 'real' {
  if (!route || route.mode === 'simulated') return 'simulated';
  if (route.mode === 'real') return 'real';
  return (route.unit === 'items' ? at.itemIndex : at.step) < route.warmup ? 'simulated' : 'real';
}

/** Where real answers can come from: a BM25 index (`mtr index`) or a Search-R1 retrieval server. */
export interface RealBackends {
  index?: string | undefined;
  retrievalUrl?: string | undefined;
}

/**
 * The routing a run or server uses: the explicit routes, plus wiki_search → real when a real backend is
 * configured and no route says otherwise. Routes that need a backend that is not there are usage errors.
 */
export function resolveRouting(routing: ToolRouting, backends: RealBackends): ToolRouting {
  const hasBackend = backends.index !== undefined || backends.retrievalUrl !== undefined;
  const resolved: ToolRouting = hasBackend && !routing.wiki_search ? { ...routing, wiki_search: { mode: 'real' } } : routing;
  for (const [name, route] of Object.entries(resolved)) {
    if (route.mode === 'simulated') continue;
    if (name !== 'wiki_search')
      throw new MtrError('E_USAGE', `--tool-routing: ${name}: expected a tool with a real backend (wiki_search), got ${route.mode} for ${name}`);
    if (!hasBackend) throw new MtrError('E_USAGE', `--tool-routing: ${name}=${route.mode} needs a real backend: expected --index FILE or --retrieval-url URL`);
  }
  return resolved;
}
