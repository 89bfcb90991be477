import { z } from 'zod';
import { fillPrompt, loadPrompt, type Prompt, promptHash } from '../prompts/index.js';
import type { DatasetItem, Passage } from '../schema/item.js';
import { GroundingModeSchema, type ObservationGrounding } from '../schema/trace.js';
import { canonicalJson, sha256 } from './canonical.js';

/**
 * `--grounding none|gold|noisy` and ZeroSearch's curriculum for the share of noisy observations over a run:
 * p(i) = start + (b^(i/n) − 1)/(b − 1)·(end − start), i = the item's position in the run, n = the run's items.
 */
export const GroundingConfigSchema = z.object({
  mode: GroundingModeSchema.default('none'),
  noiseStart: z.number().min(0).max(1).default(0),
  noiseEnd: z.number().min(0).max(1).default(0.5),
  noiseBase: z.number().positive().default(10),
});
export type GroundingConfig = z.infer<typeof GroundingConfigSchema>;

/** Where an item sits in its run: drives the noise schedule and hybrid routing warm-up. */
export interface RunPosition {
  index: number;
  total: number;
}

export function noiseShare(position: RunPosition, c: Pick<GroundingConfig, 'noiseStart' | 'noiseEnd' | 'noiseBase'>): number {
  const t = position.total > 0 ? Math.min(1, Math.max(0, position.index / position.total)) : 1;
  // b → 1 is the linear limit of the curve; avoid 0/0
  const curve = Math.abs(c.noiseBase - 1) < 1e-9 ? t : (c.noiseBase ** t - 1) / (c.noiseBase - 1);
  return c.noiseStart + curve * (c.noiseEnd - c.noiseStart);
}

/** A reproducible uniform draw in [0, 1): the same item and step get the same draw on every replay. */
export const unitDraw = (...parts: (string | number)[]): number => parseInt(sha256(parts.join('\u0000'), 12), 16) / 2 ** 48;

/** The material one observation is grounded in, the prompt text that shows it, and its record. */
export interface Grounding {
  record: ObservationGrounding;
  /** text for the actor prompt's {{grounding}} slot ('' for none) */
  text: string;
  /** extra prompt file whose text shaped the call, for the stored prompt name and hash */
  prompt?: Prompt;
}

const MAX_PASSAGE_CHARS = 700;
const MAX_PASSAGES = 6;

const passageLines = (ps: readonly Passage[]): string =>
  ps.length
    ? ps
        .slice(0, MAX_PASSAGES)
        .map((p) => `- ${p.title}: ${p.text.length > MAX_PASSAGE_CHARS ? `${p.text.slice(0, MAX_PASSAGE_CHARS)}…` : p.text}`)
        .join('\n')
    : '(none)';

/**
 * Decides what the actor sees for one simulated call. gold: always the useful material; noisy: useful with
 * probability 1 − p(i), otherwise the distractors and an instruction not to reveal the answer.
 */
export function groundingFor(item: DatasetItem | undefined, step: number, position: RunPosition | undefined, c: GroundingConfig): Grounding {
  if (c.mode === 'none' || !item) return { record: { mode: 'none', useful: true }, text: '' };
  const pNoisy = c.mode === 'noisy' ? noiseShare(position ?? { index: 0, total: 0 }, c) : 0;
  const useful = c.mode === 'gold' || unitDraw(item.id, step) >= pNoisy;
  const passages = item.context ?? [];
  const slots = {
    question: item.question,
    answers: item.answers.map((a) => JSON.stringify(a)).join(', '),
    decomposition: item.decomposition?.length ? item.decomposition.map((h, i) => `${i + 1}. ${h.question} → ${h.answers.join(' / ')}`).join('\n') : '(none)',
    passages: passageLines(useful ? passages.filter((p) => p.supporting) : passages.filter((p) => !p.supporting)),
  };
  const prompt = loadPrompt(useful ? 'actor-gold' : 'actor-noisy');
  const material = sha256(canonicalJson({ useful, ...slots }), 16);
  return {
    record: { mode: c.mode, useful, ...(c.mode === 'noisy' ? { p_noisy: Math.round(pNoisy * 1e4) / 1e4 } : {}), material },
    text: fillPrompt(prompt, slots),
    prompt,
  };
}

/** The actor prompt combined with the grounding prompt it embeds: both files name and hash the stored call. */
export const combinedPrompt = (actor: Prompt, extra: Prompt | undefined): Prompt =>
  extra ? { file: `${actor.file}+${extra.file}`, hash: promptHash(`${actor.text}\u0000${extra.text}`), text: actor.text } : actor;
