import { z } from 'zod';
import { importTools, readToolFiles } from '../../carg/repository.js';
import { MtrError } from '../../schema/errors.js';
import { TOOL_FILE_LAYOUTS, TOOL_FORMATS } from '../../schema/tool-file.js';
import { CARG_TOOL_STATUSES } from '../../schema/carg.js';
import { defineJob, type JobHooks, parseConfig } from '../job.js';
import { CargModelFields, cargModels, CargStoreFields, EmbedFields, embedderOf } from './fields.js';
import { type StageProgress, withCargStore } from './stage.js';

export const CargImportConfigSchema = z.object({
  files: z.array(z.string().min(1)).meta({
    positional: true,
    placeholder: 'FILE…',
    description: `Tool files: ${TOOL_FILE_LAYOUTS}, mtr run stores`,
  }),
  ...CargStoreFields,
  ...EmbedFields,
  complete: z
    .boolean()
    .default(false)
    .meta({ description: 'Ask the model to fill missing response schemas and parameter types (otherwise such tools stay "incomplete")' }),
  ...CargModelFields,
});

export const CargImportSummarySchema = z.object({
  files: z.array(z.object({ file: z.string(), format: z.enum(TOOL_FORMATS), tools: z.number().int() })),
  /** files that could not be read, each with why; the tools of the others are imported all the same */
  failed: z.array(z.object({ file: z.string(), error: z.string() })),
  /** already imported from the same place, left as they are */
  unchanged: z.number().int(),
  /** tools the model completed in this run */
  completed: z.number().int(),
  imported: z.number().int(),
  incomplete: z.number().int(),
  rejected: z.number().int(),
  duplicates: z.number().int(),
  /** each rejected, incomplete or duplicate tool counted once per kind of reason */
  by_reason: z.record(z.string(), z.number().int()),
  renamed: z.number().int(),
  /** the rejected tools, each with its reasons */
  problems: z.array(z.object({ name: z.string(), source: z.string(), status: z.enum(CARG_TOOL_STATUSES), reasons: z.array(z.string()) })),
});
export type CargImportSummary = z.output<typeof CargImportSummarySchema>;

/** The error a face reports after the summary when some files were not imported (exit 1). */
export const importFailure = (s: CargImportSummary): MtrError | undefined =>
  s.failed.length
    ? new MtrError(
        'E_INPUT',
        `${s.failed.length} of ${s.failed.length + s.files.length} tool files not imported (the tools of the others were):${s.failed.map((f) => `\n  ${f.error}`).join('')}`,
      )
    : undefined;

/**
 * `mtr carg tools import`: every file is read and the model set up before the store is opened, so a refused
 * import leaves no (empty) --db behind. An unreadable file does not stop the others: it is listed in `failed`.
 */
export const cargImportJob = defineJob({
  name: 'carg tools import',
  description: `Import tool files (${TOOL_FILE_LAYOUTS}) into the repository: normalise, check, dedup`,
  examples: [
    'mtr carg tools import ../shared/datasets/tools/seal-tools/tool.jsonl ../shared/datasets/tools/tooleyes_tool_library.json --db carg.sqlite --json',
    'mtr carg tools import tools.json --complete --db carg.sqlite --base-url http://localhost:8000/v1',
  ],
  config: CargImportConfigSchema,
  summary: CargImportSummarySchema,
  async run(input, hooks: JobHooks<StageProgress> = {}): Promise<CargImportSummary> {
    const c = parseConfig(CargImportConfigSchema, input);
    if (!c.files.length) throw new MtrError('E_USAGE', 'expected one or more tool files');
    const files = await readToolFiles(c.files);
    if (!files.read.length)
      throw new MtrError('E_INPUT', `expected a readable tool file, got none (nothing written):${files.failed.map((f) => `\n  ${f.error}`).join('')}`);
    const models = c.complete ? await cargModels(c, ['maker']) : undefined;
    try {
      const embedder = embedderOf(c);
      const summary = await withCargStore(c.db, { create: true }, ({ carg }) =>
        importTools(carg, files, {
          threshold: c.threshold,
          ...(embedder ? { embedder } : {}),
          ...(models ? { completer: models.roles.maker } : {}),
          ...(hooks.signal ? { signal: hooks.signal } : {}),
          onProgress: (p) => hooks.onProgress?.({ stage: p.stage, done: p.done, failed: 0, total: p.total }),
        }),
      );
      return { ...summary, problems: summary.problems.filter((p) => p.status === 'rejected') };
    } finally {
      await models?.close();
    }
  },
});
