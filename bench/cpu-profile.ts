// A node --cpu-prof profile summed up: where the busy time went, by function, and the share under given functions.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileSummary {
  busyMs: number;
  /** [function at file:line, share of busy time spent in it itself], most first */
  self: [string, number][];
  /** share of busy time with `under(frame)` somewhere on the stack */
  under: number;
}

const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;

/** `window`: [from, to] in µs of the monotonic clock (process.hrtime.bigint() / 1000n), the samples taken within it only. */
export function summarizeProfile(
  file: string,
  under: (frame: ProfileNode['callFrame']) => boolean,
  window: [number, number] = [0, Number.POSITIVE_INFINITY],
  top = 25,
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  let busy = 0;
  let inside = 0;
  let at = p.startTime;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)' || at < window[0] || at > window[1]) return;
    busy += dt;
    self.set(label(n), (self.get(label(n)) ?? 0) + dt);
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x))
      if (under(byId.get(x)!.callFrame)) {
        inside += dt;
        break;
      }
  });
  return {
    busyMs: busy / 1000,
    self: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([l, t]) => [l, t / busy]),
    under: inside / busy,
  };
}
