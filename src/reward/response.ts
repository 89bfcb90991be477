/**
 * The response part of what a trainer sends: the prompt is never searched for an answer or graded for format.
 * Pure; the instruction texts come from the caller (the prompt files are read by the faces).
 */
export interface ResponseOptions {
  /** the prompt as sent beside the sequence; removed from its front when it is there */
  prompt?: string;
  /** instruction texts up to their question slot (Search-R1's "…For example, <answer> Beijing </answer>. Question: ") */
  instructions?: readonly string[];
}

interface Turn {
  role: string;
  /** where the turn's content begins */
  content: number;
}

const CHAT_TURN = /<\|im_start\|>(system|user|assistant|tool)\n?|<\|start_header_id\|>(system|user|assistant|tool|ipython)<\|end_header_id\|>\n*/g;
const ROLE_LINE_TURN = /(?<=^|\n)(system|user|assistant|tool)\n/g;
const STARTS_DECODED = /^\s*(?:system|user)\n/;
const TOOL_RESULT = /^\s*<(?:tool_response|information)>/;
const LEADING_TOKENS = /^(?:\s|<\|[A-Za-z0-9_]{1,40}\|>|<s>)*/;

function turns(text: string): Turn[] {
  const re = STARTS_DECODED.test(text) && !text.includes('<|') ? ROLE_LINE_TURN : CHAT_TURN;
  return [...text.matchAll(re)].map((m) => ({ role: (m[1] ?? m[2])!, content: m.index + m[0].length }));
}

/**
 * Chat-template prompts: the response starts at the first assistant turn after the last turn the user wrote
 * (system / user turns that are not tool results). Later user turns carrying `<tool_response>`/`<information>`
 * and tool turns belong to a multi-turn response, so its earlier calls are kept. Works on chat tokens (Qwen's
 * `<|im_start|>`, Llama 3's headers) and on the bare role lines that skip_special_tokens decoding leaves.
 * With no assistant turn after the last user turn, `inPrompt`: the text is that turn's content.
 */
function afterChatPrompt(text: string): { text: string; inPrompt: boolean } {
  const all = turns(text);
  const isPrompt = (t: Turn): boolean => t.role === 'system' || (t.role === 'user' && !TOOL_RESULT.test(text.slice(t.content)));
  const last = all.findLastIndex(isPrompt);
  if (last === -1) return { text, inPrompt: false };
  const reply = all.slice(last + 1).find((t) => t.role === 'assistant');
  return reply ? { text: text.slice(reply.content), inPrompt: false } : { text: text.slice(all[last]!.content), inPrompt: true };
}

/** A text that opens with an instruction: everything up to and including its `Question: …` line; else undefined. */
function afterInstruction(text: string, instructions: readonly string[]): string | undefined {
  const lead = LEADING_TOKENS.exec(text)![0].length;
  for (const instruction of instructions) {
    if (instruction !== '' && text.startsWith(instruction, lead)) {
      const eol = text.indexOf('\n', lead + instruction.length);
      return eol === -1 ? '' : text.slice(eol + 1);
    }
  }
  return undefined;
}

export function responseOf(sequence: string, options: ResponseOptions = {}): string {
  const { prompt, instructions = [] } = options;
  const rest = prompt !== undefined && prompt !== '' && sequence.startsWith(prompt) ? sequence.slice(prompt.length) : sequence;
  const chat = afterChatPrompt(rest);
  // Inside a user turn with no reply marker, only a known instruction says where the prompt ends.
  return afterInstruction(chat.text, instructions) ?? (chat.inPrompt ? '' : chat.text);
}
