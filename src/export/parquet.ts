import { type ParquetWriteOptions, parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { MtrError } from '../schema/errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const INT32 = (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31;

/**
 * A parquet schema subtree for one field, inferred from every value it takes: objects become structs over
 * the union of their keys (absent keys read back as null), arrays become 3-level LISTs, and every field is
 * OPTIONAL so pandas / datasets read nulls where a row lacks a key.
 */
function elementsFor(name: string, values: readonly unknown[], path: string): SchemaElement[] {
  const present = values.filter((v) => v !== null && v !== undefined);
  const kinds = new Set(present.map((v) => (Array.isArray(v) ? 'array' : typeof v)));
  if (kinds.size > 1) throw new MtrError('E_INTERNAL', `parquet column ${path}: expected one type, got ${[...kinds].join(' and ')}`);
  const kind = [...kinds][0] ?? 'string';
  switch (kind) {
    case 'string':
      return [{ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }];
    case 'boolean':
      return [{ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' }];
    case 'number':
      return [{ name, type: present.every((v) => INT32(v as number)) ? 'INT32' : 'DOUBLE', repetition_type: 'OPTIONAL' }];
    case 'array':
      return [
        { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...elementsFor('element', (present as unknown[][]).flat(), `${path}[]`),
      ];
    case 'object': {
      const keys = [...new Set((present as Record<string, unknown>[]).flatMap((o) => Object.keys(o)))];
      if (keys.length === 0) throw new MtrError('E_INTERNAL', `parquet column ${path}: expected objects with fields, got only empty objects`);
      return [
        { name, repetition_type: 'OPTIONAL', num_children: keys.length },
        ...keys.flatMap((k) =>
          elementsFor(
            k,
            (present as Record<string, unknown>[]).map((o) => o[k]),
            `${path}.${k}`,
          ),
        ),
      ];
    }
    default:
      throw new MtrError('E_INTERNAL', `parquet column ${path}: unsupported value type ${kind}`);
  }
}

/** How pages are compressed: snappy by default (what verl and HF datasets write); other codecs need their compressor. */
export type ParquetCodecOptions = Pick<ParquetWriteOptions, 'codec' | 'compressors'>;

/** Rows of nested JSON-like objects → a parquet file (snappy unless told), columns in the first row's key order. */
export function rowsToParquet(rows: readonly Record<string, unknown>[], codec: ParquetCodecOptions = {}): ArrayBuffer {
  if (rows.length === 0) throw new MtrError('E_INTERNAL', 'parquet: expected at least one row, got none');
  for (const r of rows) if (!isObject(r)) throw new MtrError('E_INTERNAL', 'parquet: expected object rows');
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const schema: SchemaElement[] = [
    { name: 'root', num_children: columns.length },
    ...columns.flatMap((c) =>
      elementsFor(
        c,
        rows.map((r) => r[c]),
        c,
      ),
    ),
  ];
  return parquetWriteBuffer({ columnData: columns.map((name) => ({ name, data: rows.map((r) => r[name] ?? null) })), schema, ...codec });
}
