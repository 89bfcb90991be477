/** A comma-separated flag value as its entries: each trimmed, empty ones dropped (`a, b,` → a, b). */
export const commaList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
