import { sha256Hex } from '../text/hash.js';
import { readFileSync } from 'node:fs';
import { packagePath } from '../paths.js';
import { MtrError } from '../schema/errors.js';

/** A prompt file, its text and its hash — the hash is stored with every model call it produced. */
export interface Prompt {
  file: string;
  hash: string;
  text: string;
}

const PROMPT_DIR = `${packagePath('prompts')}/`;
const cache = new Map<string, Prompt>();

export const promptHash = (text: string): string => sha256Hex(text, 16);

export function loadPrompt(name: string, dir = PROMPT_DIR): Prompt {
  const file = `${name}.md`;
  const key = `${dir}${file}`;
  let p = cache.get(key);
  if (!p) {
    let text: string;
    try {
      text = readFileSync(`${dir}${file}`, 'utf8');
    } catch (e) {
      throw new MtrError('E_INTERNAL', `prompt file ${dir}${file} cannot be read: ${(e as Error).message}`);
    }
    p = { file, hash: promptHash(text), text };
    cache.set(key, p);
  }
  return p;
}

/** Fills every `{{slot}}`; a slot without a value is a bug, so it throws rather than sending a hole to a model. */
export function fillPrompt(prompt: Prompt, values: Record<string, string | number>): string {
  return prompt.text.replace(/\{\{(\w+)\}\}/g, (_, slot: string) => {
    const v = values[slot];
    if (v === undefined) throw new MtrError('E_INTERNAL', `prompt ${prompt.file}: no value for {{${slot}}}`);
    return String(v);
  });
}
