import { describe, expect, it } from 'vitest';
import { responseOf } from '../../src/reward/response.js';
import { defaultInstructions } from '../../src/pipeline/prompt-instructions.js';

const R = '<think>t</think>\n<answer> Paris </answer>';
const INSTRUCTION = defaultInstructions()[0]!;

describe('responseOf: the prompt part is never searched', () => {
  it('strips a prompt field from the front', () => {
    expect(responseOf(`PROMPT${R}`, { prompt: 'PROMPT' })).toBe(R);
    expect(responseOf(R, { prompt: 'other' })).toBe(R);
  });

  it('starts after the assistant turn that follows the last user turn (Qwen and Llama 3 tokens)', () => {
    expect(responseOf(`<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ <answer>ex</answer><|im_end|>\n<|im_start|>assistant\n${R}<|im_end|>`)).toBe(
      `${R}<|im_end|>`,
    );
    expect(responseOf(`<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n${R}`)).toBe(R);
    // few-shot: an earlier exchange is prompt
    expect(
      responseOf(
        `<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\n<answer>a1</answer><|im_end|>\n<|im_start|>user\nq2<|im_end|>\n<|im_start|>assistant\n${R}`,
      ),
    ).toBe(R);
    // a prompt with no reply yet has no response
    expect(responseOf('<|im_start|>user\nQ <answer>x</answer><|im_end|>\n')).toBe('');
  });

  it('keeps the earlier turns of a multi-turn response (tool results come back as user turns)', () => {
    const multi = `<think>a</think><tool_call>{}</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\nr\n</tool_response><|im_end|>\n<|im_start|>assistant\n${R}`;
    expect(responseOf(`<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n${multi}`)).toBe(multi);
    expect(responseOf(multi)).toBe(multi);
  });

  it('reads the role lines skip_special_tokens decoding leaves', () => {
    expect(responseOf(`system\nYou are helpful.\nuser\nQ? <answer> Beijing </answer>\nassistant\n${R}`)).toBe(R);
    const multi = `<think>a</think><tool_call>{}</tool_call>\nuser\n<tool_response>r</tool_response>\nassistant\n${R}`;
    expect(responseOf(`user\nQ\nassistant\n${multi}`)).toBe(multi);
    expect(responseOf(multi)).toBe(multi);
  });

  it("drops Search-R1's instruction through its Question line, bare or after chat tokens", () => {
    expect(INSTRUCTION.endsWith('For example, <answer> Beijing </answer>. Question: ')).toBe(true);
    const prefix = `${INSTRUCTION}Who? <answer>trap</answer>\n`;
    expect(responseOf(`${prefix}${R}`, { instructions: [INSTRUCTION] })).toBe(R);
    expect(responseOf(`<|endoftext|>${prefix}${R}`, { instructions: [INSTRUCTION] })).toBe(R);
    expect(responseOf(`<|im_start|>user\n${prefix}${R}`, { instructions: [INSTRUCTION] })).toBe(R);
    expect(responseOf(`user\n${prefix}${R}`, { instructions: [INSTRUCTION] })).toBe(R);
    expect(responseOf(`${prefix}${R}`)).toBe(`${prefix}${R}`);
  });
});
