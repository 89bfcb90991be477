import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/**
 * The rows of a parquet file, whatever codec wrote it: hyparquet alone reads uncompressed and snappy; pandas,
 * pyarrow and HF datasets users also write gzip, zstd, brotli and lz4, read here with hyparquet-compressors.
 * Throws hyparquet's own error for a file that is no parquet; callers name the file and the input.
 */
export async function readParquetRows(file: string): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
}
