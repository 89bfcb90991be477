/**
 * An independent reading of "the passages support a gold answer" for checking mtr's fidelity figures:
 * lowercase words, punctuation dropped, whole words (not mtr's normaliser, so the check is not the code itself).
 */
const words = (s: string) =>
  ` ${s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ')} `;

export type Passages = { results: { title: string; text: string }[] };

export const supportsByHand = (r: Passages, gold: string[]): boolean =>
  gold.some((g) => words(g).trim() !== '' && words(r.results.map((p) => `${p.title} ${p.text}`).join(' ')).includes(words(g)));
