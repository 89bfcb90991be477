import { basename, resolve } from 'node:path';
import { ExportFolder } from './folder.js';
import { rowsToParquet } from './parquet.js';
import { sharegptDatasetInfo } from './sft.js';
import { type SplitName, type Splits, splitExamples } from './split.js';
import { toJsonl } from './write.js';

/**
 * One dataset folder, written the way every mtr export writes it (`mtr export`, `mtr carg export`): examples
 * deduplicated and split into train/validation by a hash of their id, each split's rows as `SPLIT.jsonl` (and
 * `SPLIT.parquet` when asked), LLaMA-Factory's `dataset_info.json` for sharegpt, extra files, and `manifest.json`
 * with the counts (by kind too) and the files — all into a staging folder published in one swap (ExportFolder):
 * a reader never sees two exports mixed, and a throw anywhere leaves `out` as it was.
 */

/** What the split reads of an example: `id` decides its split (same id, seed and ratio → same split), `question` is deduplicated. */
export interface Splittable {
  item: { id: string; question: string };
}

export interface DatasetFile {
  file: string;
  rows: number;
}

/** What the manifest callback sees once every row file is written. */
export interface DatasetWritten<T> {
  splits: Splits<T>;
  /** the split files written: train, and validation when valRatio > 0 */
  names: SplitName[];
  /** name → file and row count: `train`, `validation`, `train_parquet`, …, then the extra files */
  files: Record<string, DatasetFile>;
  /** rows per kind and split (empty when no `kindOf` is given) */
  byKind: Record<string, { train: number; validation: number }>;
  /** the `dataset_info.json` names of the splits (sharegpt: usable as `dataset:` with `dataset_dir:` = the folder) */
  datasetNames: string[];
}

export interface DatasetInput<T extends Splittable> {
  /** the folder, replaced whole; refused when it holds files that are not an mtr export unless `overwrite` */
  out: string;
  overwrite?: boolean;
  /** paths the swap must never move away, by what they are (e.g. `{ 'the store (--db)': db }`) */
  keep?: Record<string, string>;
  /** written first into the manifest; `stage` and `format` mark the folder as an mtr export (so a later one may replace it) */
  stage: string;
  format: string;
  seed: number;
  /** share of examples in validation, in [0, 1): 0 writes train only */
  valRatio: number;
  /** the examples, or a function collecting them (called after `out` is checked, so a bad `--out` fails before any work) */
  examples: readonly T[] | (() => readonly T[] | Promise<readonly T[]>);
  /** the example's kind for the manifest's counts by kind (e.g. single, multi, error) */
  kindOf?: (e: T) => string;
  /** one split's rows in the folder's format, in the order given */
  rows: (list: readonly T[], split: SplitName) => Record<string, unknown>[];
  /** also write SPLIT.parquet for each non-empty split (verl) */
  parquet?: boolean;
  /** with format sharegpt: the columns LLaMA-Factory's dataset_info.json names */
  sharegpt?: { system: boolean; tools: boolean };
  /** called once the split is known, before any row is written: throw to leave `out` as it was (e.g. E_EMPTY) */
  check?: (splits: Splits<T>) => void | Promise<void>;
  /** more files, written after the rows (e.g. verl's tool_config.yaml); listed in `files` under their name when `rows` is given */
  extraFiles?: (splits: Splits<T>) => { name: string; file: string; data: string | Uint8Array; rows?: number }[];
  /** the manifest after `stage` and `format` (default: split, counts with by_kind, files); `files` is added when absent */
  manifest?: (written: DatasetWritten<T>) => Record<string, unknown>;
  /** a line to show the user (what recovery of a killed export did) */
  onNotice?: (line: string) => void;
}

export interface DatasetResult<T> extends DatasetWritten<T> {
  /** the manifest as written */
  manifest: Record<string, unknown>;
  /** the folder written (a symlinked `out` resolved) */
  out: string;
}

/** LLaMA-Factory dataset names: the folder's name and the split, e.g. `sft-lf_train`. */
export const datasetName = (out: string, split: SplitName): string => `${basename(resolve(out)).replace(/[^A-Za-z0-9_.-]+/g, '_')}_${split}`;

export const SPLIT_RULE = {
  by: 'sha256(seed, item id)',
  at_least_one: 'with val_ratio > 0 and two or more items, each split gets one',
  dedup: 'normalised question, first kept',
} as const;

/** Writes the folder (see the module comment) and returns what it holds. */
export async function writeDataset<T extends Splittable>(o: DatasetInput<T>): Promise<DatasetResult<T>> {
  let folder: ExportFolder | undefined = new ExportFolder(o.out, { overwrite: Boolean(o.overwrite), keep: o.keep ?? {} });
  try {
    for (const line of folder.recovered) o.onNotice?.(`${line} (left by an export that was killed)`);
    const examples = typeof o.examples === 'function' ? await o.examples() : o.examples;
    const splits = splitExamples(examples, o.seed, o.valRatio);
    await o.check?.(splits);
    const names: SplitName[] = o.valRatio > 0 ? ['train', 'validation'] : ['train'];
    const files: Record<string, DatasetFile> = {};
    const byKind: Record<string, { train: number; validation: number }> = {};
    for (const split of names) {
      const list = splits[split];
      if (o.kindOf) for (const e of list) (byKind[o.kindOf(e)] ??= { train: 0, validation: 0 })[split]++;
      const rows = o.rows(list, split);
      folder.write(`${split}.jsonl`, toJsonl(rows));
      files[split] = { file: `${split}.jsonl`, rows: rows.length };
      if (o.parquet && rows.length) {
        folder.write(`${split}.parquet`, new Uint8Array(rowsToParquet(rows)));
        files[`${split}_parquet`] = { file: `${split}.parquet`, rows: rows.length };
      }
    }
    for (const extra of o.extraFiles?.(splits) ?? []) {
      folder.write(extra.file, extra.data);
      if (extra.rows !== undefined) files[extra.name] = { file: extra.file, rows: extra.rows };
    }
    const datasetNames = names.map((s) => datasetName(o.out, s));
    if (o.format === 'sharegpt') {
      const info = Object.fromEntries(names.map((s, i) => [datasetNames[i]!, sharegptDatasetInfo(`${s}.jsonl`, o.sharegpt ?? { system: true, tools: false })]));
      folder.write('dataset_info.json', `${JSON.stringify(info, null, 2)}\n`);
    }
    const written: DatasetWritten<T> = { splits, names, files, byKind, datasetNames };
    const body = o.manifest?.(written) ?? {
      split: { ...SPLIT_RULE, seed: o.seed, val_ratio: o.valRatio },
      counts: { duplicates: splits.duplicates, train: splits.train.length, validation: splits.validation.length, by_kind: byKind },
      files,
    };
    const manifest = { stage: o.stage, format: o.format, ...body, ...('files' in body ? {} : { files }) };
    folder.write('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
    folder.commit();
    const out = folder.out;
    folder = undefined;
    return { ...written, manifest, out };
  } finally {
    folder?.abort(); // an export that did not finish leaves `out` as it was
  }
}
