import { z } from 'zod';
import { anyText, object } from './layout.js';

/** A trainer's `prompt` column: a list of chat turns, or one string standing for the user turn. */
export const chatPrompt = z.union([anyText.transform((content) => [{ role: 'user', content }]), z.array(object({ role: anyText, content: anyText }))], {
  error: 'a string or a list of {role, content}',
});
export type ChatPrompt = z.infer<typeof chatPrompt>;

/**
 * Search-R1's instruction ends with "Question: <question>" (prompts/search-r1.md); so do most verl
 * QA prompts. The question is what follows the last such marker, else the whole turn.
 */
export function questionFromPrompt(content: string): string {
  const at = content.lastIndexOf('Question:');
  return (at < 0 ? content : content.slice(at + 'Question:'.length)).trim();
}

/** The question a prompt asks: its last user turn, as questionFromPrompt reads it ('' without a user turn). */
export const questionOf = (prompt: ChatPrompt): string => questionFromPrompt(prompt.filter((m) => m.role === 'user').at(-1)?.content ?? '');
