import type { ToolCall } from '../schema/trace.js';
import { close, DEFAULT_DIALECT, type Dialect, DIALECT_TAGS, open, TAGS, type TagName } from './tags.js';
import { type GrammarError, grammarError } from './errors.js';

/** The four tags a trace is made of (`<tools>` belongs to the system prompt, not to a trace). */
export const TRACE_TAGS = [TAGS.think, TAGS.toolCall, TAGS.toolResponse, TAGS.answer] as const;
export type TraceTag = (typeof TRACE_TAGS)[number];
export const isTraceTag = (kind: string): kind is TraceTag => (TRACE_TAGS as readonly string[]).includes(kind);

/**
 * A slice of a completion. Segments partition the text exactly, so rendering them gives the text back.
 * `special` = chat-template tokens (`<|im_end|>`, `<|im_start|>user\n`) that multi-turn rollouts carry, and the role
 * lines they leave when decoded with skip_special_tokens;
 * `stray` = a closing tag with no opening one.
 */
export type SegmentKind = TraceTag | 'text' | 'special' | 'stray';

export interface Segment {
  kind: SegmentKind;
  /** offsets of the whole slice, tags included (in the message's content for OpenAI messages) */
  start: number;
  end: number;
  /** text between the tags (the whole slice for text, special and stray) */
  body: string;
  /** tagged kinds: whether the closing tag is present */
  closed: boolean;
  messageIndex?: number;
  /** tool_call: the parsed call, when its body is a valid call */
  call?: ToolCall;
  /** tool_response from an OpenAI tool message: the id of the call it answers */
  callId?: string;
  /** built from OpenAI message fields rather than from tags in a text */
  synthetic?: boolean;
  /** the literal tag when the dialect writes this kind with another name (search-r1: `search`, `information`) */
  tag?: TagName;
}

/** The literal tag of a tagged segment. */
export const segmentTag = (s: Segment & { kind: TraceTag }): TagName => s.tag ?? s.kind;

const ROLE_LINE_RE = /^(system|user|assistant|tool)\n?/;
/**
 * What decoding with skip_special_tokens leaves of the chat tokens between turns (verl decodes multi-turn
 * responses so: `</tool_call>\nuser\n<tool_response>`, `</tool_response>\nassistant\n<think>`): role names each on
 * their own line and nothing else. Such text is chat template, not the model's words.
 */
const ROLE_LINES_RE = /^\s*(?:(?:system|user|assistant|tool)[ \t]*\n\s*)+$/;

interface DialectScanner {
  token: RegExp;
  openOrSpecial: RegExp;
  anyTag: RegExp;
  /** literal tag → segment kind */
  kindOf: Map<string, TraceTag>;
}

const scanners = new Map<Dialect, DialectScanner>();
function scannerFor(dialect: Dialect): DialectScanner {
  let sc = scanners.get(dialect);
  if (!sc) {
    const tags = DIALECT_TAGS[dialect];
    const alt = TRACE_TAGS.map((k) => tags[k]).join('|');
    sc = {
      token: new RegExp(`<(/?)(${alt})>|<\\|[A-Za-z0-9_]{1,40}\\|>`, 'g'),
      openOrSpecial: new RegExp(`<(${alt})>|<\\|[A-Za-z0-9_]{1,40}\\|>`, 'g'),
      anyTag: new RegExp(`</?(${alt})>`, 'g'),
      kindOf: new Map(TRACE_TAGS.map((k) => [tags[k], k])),
    };
    scanners.set(dialect, sc);
  }
  return sc;
}

function search(re: RegExp, text: string, from: number, to = text.length): RegExpExecArray | undefined {
  re.lastIndex = from;
  const m = re.exec(text);
  return m && m.index < to ? m : undefined;
}

/** Split a text into segments; report unbalanced and nested tags. Never throws. */
export function scanSegments(text: string, messageIndex?: number, dialect: Dialect = DEFAULT_DIALECT): { segments: Segment[]; errors: GrammarError[] } {
  const sc = scannerFor(dialect);
  const segments: Segment[] = [];
  const errors: GrammarError[] = [];
  const at = (s: Omit<Segment, 'messageIndex'>): void => {
    segments.push(messageIndex === undefined ? s : { ...s, messageIndex });
  };
  const plain = (kind: 'text' | 'special' | 'stray', start: number, end: number): void => {
    const body = text.slice(start, end);
    at({ kind: kind === 'text' && ROLE_LINES_RE.test(body) ? 'special' : kind, start, end, body, closed: true });
  };

  let pos = 0;
  while (pos < text.length) {
    const m = search(sc.token, text, pos);
    if (!m) {
      plain('text', pos, text.length);
      break;
    }
    if (m.index > pos) plain('text', pos, m.index);
    const tokenEnd = m.index + m[0].length;
    const name = m[2] as TagName | undefined;
    if (!name) {
      const role = m[0] === '<|im_start|>' ? ROLE_LINE_RE.exec(text.slice(tokenEnd, tokenEnd + 12)) : null;
      plain('special', m.index, tokenEnd + (role ? role[0].length : 0));
      pos = tokenEnd + (role ? role[0].length : 0);
      continue;
    }
    if (m[1] === '/') {
      errors.push(grammarError('unbalanced_tag', m.index, `${m[0]} has no matching ${open(name)}`, messageIndex));
      plain('stray', m.index, tokenEnd);
      pos = tokenEnd;
      continue;
    }
    const kind = sc.kindOf.get(name)!;
    const tagged = (seg: Omit<Segment, 'messageIndex' | 'kind' | 'tag'>): void => at(name === kind ? { kind, ...seg } : { kind, tag: name, ...seg });
    const closeAt = text.indexOf(close(name), tokenEnd);
    if (closeAt === -1) {
      // Unclosed: the body runs to the next opening tag or chat token, so what follows still parses.
      const next = search(sc.openOrSpecial, text, tokenEnd);
      const bodyEnd = next ? next.index : text.length;
      errors.push(grammarError('unbalanced_tag', m.index, `expected ${close(name)} to close ${m[0]}, got ${next ? next[0] : 'end of text'}`, messageIndex));
      tagged({ start: m.index, end: bodyEnd, body: text.slice(tokenEnd, bodyEnd), closed: false });
      pos = bodyEnd;
      continue;
    }
    // A tool response is the environment's text and may quote anything; the agent's own tags may not nest.
    if (kind !== 'tool_response') {
      const inner = search(sc.anyTag, text, tokenEnd, closeAt);
      if (inner) errors.push(grammarError('nested_tag', inner.index, `expected ${close(name)} before ${inner[0]}`, messageIndex));
    }
    const end = closeAt + close(name).length;
    tagged({ start: m.index, end, body: text.slice(tokenEnd, closeAt), closed: true });
    pos = end;
  }
  return { segments, errors };
}

/** Offset of a segment's body (after the opening tag). */
export const bodyOffset = (s: Segment): number => (s.synthetic || !isTraceTag(s.kind) ? s.start : s.start + open(s.tag ?? s.kind).length);
