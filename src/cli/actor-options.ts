import { ROUTING_SYNTAX } from '../actor/routing.js';
import type { OptionSpecs } from './command.js';

/**
 * ToolActor's flags, shared by `generate` and `serve tools` (declared here once, in a module light enough that
 * `serve tools --mcp stdio` starts without loading the generation pipeline).
 */
export const ACTOR_OPTIONS = {
  grounding: { type: 'string', default: 'none', choices: ['none', 'gold', 'noisy'], description: "What ToolActor sees of each item's gold answers, supporting paragraphs and decomposition: nothing, always the useful material, or a scheduled mix of useful and noisy observations" },
  noiseStart: { type: 'number', min: 0, max: 1, default: 0, placeholder: 'P', description: 'With --grounding noisy: share of noisy observations at the start of the run' },
  noiseEnd: { type: 'number', min: 0, max: 1, default: 0.5, placeholder: 'P', description: 'With --grounding noisy: share of noisy observations at the end of the run' },
  noiseBase: { type: 'number', default: 10, placeholder: 'B', description: 'Curve of the noise schedule p = start + (B^(i/n) − 1)/(B − 1)·(end − start); 1 is linear' },
  toolRouting: { type: 'string', placeholder: 'ROUTES', description: `Per-tool backend: ${ROUTING_SYNTAX} (hybrid: simulated for the first N items or steps, then real). Default: simulated; wiki_search=real when --index or --retrieval-url is given` },
  index: { type: 'string', placeholder: 'FILE', description: 'BM25 index built by "mtr index": the real wiki_search backend' },
  retrievalUrl: { type: 'string', placeholder: 'URL', description: 'Search-R1 retrieval server (POST /retrieve): the real wiki_search backend' },
} as const satisfies OptionSpecs;
