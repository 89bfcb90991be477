/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidates closest to `word` (case-insensitive), best first, at most `max`: those within an edit distance
 * of a third of the word's length (at least 1, at most 3), or that start with a word of 3 or more characters.
 */
export function closest(word: string, candidates: readonly string[], max = 3): string[] {
  const w = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  return candidates
    .map((c) => ({ c, d: editDistance(w, c.toLowerCase()), prefix: w.length >= 3 && c.toLowerCase().startsWith(w) }))
    .filter((x) => x.d <= limit || x.prefix)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}

/** " (did you mean X?)", " (did you mean X or Y?)" or "" when nothing is close; `quote` wraps each candidate. */
export function didYouMean(word: string, candidates: readonly string[], quote = (c: string) => c): string {
  const near = closest(word, candidates).map(quote);
  if (!near.length) return '';
  return ` (did you mean ${near.length === 1 ? near[0] : `${near.slice(0, -1).join(', ')} or ${near.at(-1)}`}?)`;
}
