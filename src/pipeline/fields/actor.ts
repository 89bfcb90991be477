import { z } from 'zod';
import { ROUTING_SYNTAX } from '../../actor/routing.js';
import { CoerceField } from '../../validate/coerce.js';

/**
 * ToolActor's fields, shared by `generate`, `eval` and `serve tools` (in a module light enough that
 * `serve tools --mcp stdio` starts without loading the generation pipeline).
 */
export const ActorFields = {
  grounding: z.enum(['none', 'gold', 'noisy']).default('none').meta({
    description:
      "What ToolActor sees of each item's gold answers, supporting paragraphs and decomposition: nothing, always the useful material, or a scheduled mix of useful and noisy observations",
  }),
  noiseStart: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .meta({ placeholder: 'P', description: 'With --grounding noisy: share of noisy observations at the start of the run' }),
  noiseEnd: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .meta({ placeholder: 'P', description: 'With --grounding noisy: share of noisy observations at the end of the run' }),
  noiseBase: z
    .number()
    .gt(0, 'expected a number > 0')
    .default(10)
    .meta({ placeholder: 'B', description: 'Curve of the noise schedule p = start + (B^(i/n) − 1)/(B − 1)·(end − start); 1 is linear' }),
  toolRouting: z
    .string()
    .optional()
    .meta({
      placeholder: 'ROUTES',
      description: `Per-tool backend: ${ROUTING_SYNTAX} (hybrid: simulated for the first N items or steps, then real). Default: simulated; wiki_search=real when --index or --retrieval-url is given`,
    }),
  index: z.string().min(1).optional().meta({ placeholder: 'FILE', description: 'BM25 index built by "mtr index": the real wiki_search backend' }),
  retrievalUrl: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'URL', description: 'Search-R1 retrieval server (POST /retrieve): the real wiki_search backend' }),
  coerce: CoerceField,
};
