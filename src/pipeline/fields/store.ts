import { z } from 'zod';

/** `--db` and `--run` as every job that reads a store declares them. */
export const StoreFields = {
  db: z.string().min(1).meta({ placeholder: 'FILE', description: 'Store written by mtr generate (a SQLite file)' }),
  run: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'RUN', description: 'Only this run: its name (as mtr status shows it) or its numeric id (default: every run in the store)' }),
};
