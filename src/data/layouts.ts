import { bamboogleDecomposedLayout } from './layout-bamboogle.js';
import { hotpotHfLayout, hotpotOriginalLayout } from './layout-hotpot.js';
import { ircotLayout } from './layout-ircot.js';
import { musiqueLayout } from './layout-musique.js';
import { flashragLayout, qaLayout } from './layout-qa.js';
import { trlGrpoLayout } from './layout-trl.js';
import { verlLayout } from './layout-verl.js';
import type { Layout } from './layout.js';
import { describeValue } from './layout.js';
import { recordError, type Location } from './read.js';

/** Most specific first: the plain `{question, answer}` layout would also match richer records. */
export const LAYOUTS: readonly Layout[] = [
  flashragLayout,
  verlLayout,
  trlGrpoLayout,
  ircotLayout,
  musiqueLayout,
  bamboogleDecomposedLayout,
  hotpotHfLayout,
  hotpotOriginalLayout,
  qaLayout,
];
export const LAYOUT_NAMES = LAYOUTS.map((l) => l.name);

/** The layout of a file, judged from the fields of its first record. */
export function detectLayout(first: unknown, at: Location): Layout {
  const known = LAYOUTS.map((l) => `${l.name} ${l.fields}`).join('; ');
  if (first === null || typeof first !== 'object' || Array.isArray(first)) {
    throw recordError(at, undefined, `unknown layout: expected a JSON object per record, got ${describeValue(first)}; known layouts: ${known}`);
  }
  const record = first as Record<string, unknown>;
  const layout = LAYOUTS.find((l) => l.detect(record));
  if (!layout) {
    const fields = Object.keys(record).join(', ') || 'none';
    throw recordError(at, undefined, `unknown layout: saw fields {${fields}}; known layouts: ${known}`);
  }
  return layout;
}
