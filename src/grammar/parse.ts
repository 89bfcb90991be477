import type { Observation, Step, ToolCall } from '../schema/trace.js';
import { type GrammarError, grammarError } from './errors.js';
import { runFormatMachine } from './format-machine.js';
import { scanSegments, type Segment } from './segments.js';
import { buildSteps, checkBodies, sortErrors } from './steps.js';
import { DEFAULT_DIALECT, type Dialect } from './tags.js';
import { lastClosedAnswer, pyStrip } from './answer.js';

/** A completion (text form) or an OpenAI conversation, read into one shape. */
export interface ParsedTrace {
  /** exact partition of the input; renderSegments gives the text back */
  segments: Segment[];
  steps: Step[];
  /** every grammar violation, in order of position */
  errors: GrammarError[];
  /** the answer that counts: the last closed `<answer>…</answer>`, stripped (lastClosedAnswer); unclosed = none */
  answer?: string;
  /** set when the text was read in a dialect other than hermes */
  dialect?: Dialect;
}

export interface ParseOptions {
  /** what produced the tool responses (the text form does not say); default 'real' */
  observationSource?: Observation['source'];
  /** which tags the text is written with; default hermes */
  dialect?: Dialect;
}

/** Assemble a ParsedTrace from segments and the errors found so far (shared with the messages parser). */
export function finishTrace(segments: Segment[], errors: GrammarError[], options: ParseOptions, endOffset: number): ParsedTrace {
  const all = [...errors, ...checkBodies(segments), ...runFormatMachine(segments, {}, endOffset).violations];
  const answerSegment = segments.findLast((s) => s.kind === 'answer' && s.closed);
  const trace: ParsedTrace = { segments, steps: buildSteps(segments, options.observationSource ?? 'real'), errors: sortErrors(all) };
  if (answerSegment) trace.answer = pyStrip(answerSegment.body);
  if (options.dialect && options.dialect !== DEFAULT_DIALECT) trace.dialect = options.dialect;
  return trace;
}

/**
 * Parse a whole completion: `<think>`, `<tool_call>{json}</tool_call>`, `<tool_response>`, `<answer>` (hermes), or
 * `<think>`, `<search>q</search>`, `<information>`, `<answer>` (search-r1; a search is a wiki_search call). Never throws.
 */
export function parseTrace(text: string, options: ParseOptions = {}): ParsedTrace {
  const { segments, errors } = scanSegments(text, undefined, options.dialect ?? DEFAULT_DIALECT);
  const trace = finishTrace(segments, errors, options, text.length);
  // The text form takes the answer as the peers' regex does, even from inside another tag's body.
  const answer = lastClosedAnswer(text);
  if (answer === undefined) delete trace.answer;
  else trace.answer = answer;
  return trace;
}

export interface AgentTurn {
  think: string;
  call?: ToolCall;
  answer?: string;
  errors: GrammarError[];
}

/**
 * One agent turn: optional think(s), then exactly one tool call or one closed answer (an unclosed `<answer>x`
 * is no answer, as for rewards). The first action wins; everything else is reported, so the caller decides
 * whether to retry.
 */
export function parseAgentTurn(text: string, dialect: Dialect = DEFAULT_DIALECT): AgentTurn {
  const { segments, errors } = scanSegments(text, undefined, dialect);
  errors.push(...checkBodies(segments));
  const actions = segments.filter((s) => s.kind === 'tool_call' || (s.kind === 'answer' && s.closed));
  for (const s of segments) {
    if (s.kind === 'text' && /\S/.test(s.body))
      errors.push(grammarError('text_outside_tags', s.start + s.body.search(/\S/), 'expected only <think> and one action, got text outside tags'));
    if (s.kind === 'tool_response')
      errors.push(grammarError('unexpected_response', s.start, 'expected the turn to stop after the call, got a <tool_response> written by the agent'));
  }
  const [first, second] = actions;
  if (!first) errors.push(grammarError('missing_action', text.length, 'expected <tool_call> or <answer>, got neither'));
  if (second) errors.push(grammarError('multiple_actions', second.start, `expected one action, got ${actions.length}`));
  const turn: AgentTurn = {
    think: segments
      .filter((s) => s.kind === 'think')
      .map((s) => s.body.trim())
      .join('\n'),
    errors: sortErrors(errors),
  };
  if (first?.kind === 'tool_call' && first.call) turn.call = first.call;
  if (first?.kind === 'answer') turn.answer = first.body.trim();
  return turn;
}
