import type { Step } from '../schema/trace.js';
import { close, DEFAULT_DIALECT, type Dialect, open, TAGS, wrap } from './tags.js';
import { renderCall, renderObservation } from './call.js';
import type { Segment } from './segments.js';
import { renderSearchR1Trace } from './search-r1.js';

/** One segment back to text: exact, so renderSegments(parseTrace(x).segments) === x. */
export function renderSegment(s: Segment): string {
  if (s.kind === 'text' || s.kind === 'special' || s.kind === 'stray') return s.body;
  const tag = s.tag ?? s.kind;
  return `${open(tag)}${s.body}${s.closed ? close(tag) : ''}`;
}

export const renderSegments = (segments: readonly Segment[]): string => segments.map(renderSegment).join('');

/**
 * Steps → the canonical text form (Qwen/Hermes layout: JSON on its own line inside tool tags; or Search-R1's
 * layout). The text a policy is trained to write; parseTrace reads it back (same dialect) to the same steps.
 */
export function renderTrace(steps: readonly Step[], options: { dialect?: Dialect } = {}): string {
  if ((options.dialect ?? DEFAULT_DIALECT) === 'search-r1') return renderSearchR1Trace(steps);
  const parts: string[] = [];
  for (const step of steps) {
    if (step.think !== '') parts.push(wrap(TAGS.think, step.think));
    if (step.call) parts.push(wrap(TAGS.toolCall, `\n${renderCall(step.call)}\n`));
    if (step.observation) parts.push(wrap(TAGS.toolResponse, `\n${renderObservation(step.observation)}\n`));
    if (step.answer !== undefined) parts.push(wrap(TAGS.answer, step.answer));
  }
  return parts.join('\n');
}
