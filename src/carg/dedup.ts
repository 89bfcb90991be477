import { denseCosine, type SparseVector, tfidfVectors } from './vectorize.js';

/** Dense text embeddings, e.g. from an OpenAI-compatible `/v1/embeddings` server. */
export interface Embedder {
  readonly name: string;
  embed(texts: readonly string[]): Promise<number[][]>;
}

export interface DuplicateHit {
  /** index into `[...kept, ...incoming]` of the tool this one repeats */
  of: number;
  similarity: number;
}

/** Greedy, in input order: a name whose best cosine against what is kept reaches `threshold` is a duplicate. */
function greedy(
  count: number,
  keptCount: number,
  threshold: number,
  best: (i: number, kept: readonly number[]) => DuplicateHit | undefined,
): (DuplicateHit | undefined)[] {
  const kept = Array.from({ length: keptCount }, (_, i) => i);
  const out: (DuplicateHit | undefined)[] = [];
  for (let i = keptCount; i < count; i++) {
    const hit = best(i, kept);
    if (hit && hit.similarity >= threshold) out.push(hit);
    else {
      out.push(undefined);
      kept.push(i);
    }
  }
  return out;
}

/** Sparse vectors searched through an inverted index: n-gram → (kept index, weight). */
function sparseBest(vectors: readonly SparseVector[]): (i: number, kept: readonly number[]) => DuplicateHit | undefined {
  const index = new Map<string, [number, number][]>();
  let indexed = 0;
  return (i, kept) => {
    for (; indexed < kept.length; indexed++) {
      const k = kept[indexed]!;
      for (const [g, w] of vectors[k]!) {
        let list = index.get(g);
        if (!list) index.set(g, (list = []));
        list.push([k, w]);
      }
    }
    const scores = new Map<number, number>();
    for (const [g, w] of vectors[i]!) for (const [k, kw] of index.get(g) ?? []) scores.set(k, (scores.get(k) ?? 0) + w * kw);
    let hit: DuplicateHit | undefined;
    for (const [k, s] of scores) if (!hit || s > hit.similarity + 1e-12) hit = { of: k, similarity: s };
    return hit;
  };
}

/**
 * Near-duplicate names among `incoming`, against `kept` (already in the repository) and against earlier
 * incoming names. Exact repeats are similarity 1. Offline (no embedder): character n-gram TF-IDF fitted on
 * all names, deterministic. Returns one entry per incoming name: the hit, or undefined when it is new.
 */
export async function findDuplicates(
  kept: readonly string[],
  incoming: readonly string[],
  threshold: number,
  embedder?: Embedder,
): Promise<(DuplicateHit | undefined)[]> {
  const all = [...kept, ...incoming];
  const firstByName = new Map<string, number>();
  const exact = (i: number, keptIdx: readonly number[]): DuplicateHit | undefined => {
    for (const k of keptIdx) if (!firstByName.has(all[k]!)) firstByName.set(all[k]!, k);
    const k = firstByName.get(all[i]!);
    return k === undefined ? undefined : { of: k, similarity: 1 };
  };
  let best: (i: number, kept: readonly number[]) => DuplicateHit | undefined;
  if (embedder) {
    const vectors = await embedder.embed(all);
    best = (i, keptIdx) => {
      let hit: DuplicateHit | undefined;
      for (const k of keptIdx) {
        const s = denseCosine(vectors[i]!, vectors[k]!);
        if (!hit || s > hit.similarity) hit = { of: k, similarity: s };
      }
      return hit;
    };
  } else {
    best = sparseBest(tfidfVectors(all));
  }
  return greedy(all.length, kept.length, threshold, (i, keptIdx) => exact(i, keptIdx) ?? best(i, keptIdx));
}
