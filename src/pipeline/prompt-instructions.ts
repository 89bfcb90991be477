import { searchR1Prompt } from '../agent/search-r1-prompt.js';

/**
 * The instruction texts a scored sequence may open with, up to their question: Search-R1's, filled by the same
 * function the agent and the exports use, so the reward recognises exactly the prompt mtr writes.
 */
export function defaultInstructions(): string[] {
  const slot = '\u0000';
  const filled = searchR1Prompt(slot);
  return [filled.slice(0, filled.indexOf(slot))];
}
