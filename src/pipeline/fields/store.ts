import { z } from 'zod';

/** What `--db` names, said the same way by every job that takes one. */
const STORE_KINDS = 'a SQLite file, or a postgres://USER@HOST:PORT/DATABASE URL';

/** A `--db` field with this job's description; MTR_DB stands in for the flag (one PostgreSQL store shared by every command). */
export const storeDbField = (description: string) =>
  z
    .string()
    .min(1)
    .meta({ placeholder: 'FILE', env: 'MTR_DB', description: `${description}: ${STORE_KINDS}` });

/** `--db` and `--run` as every job that reads a store declares them. */
export const StoreFields = {
  db: storeDbField('Store written by mtr generate'),
  run: z
    .string()
    .min(1)
    .optional()
    .meta({ placeholder: 'RUN', description: 'Only this run: its name (as mtr status shows it) or its numeric id (default: every run in the store)' }),
};
