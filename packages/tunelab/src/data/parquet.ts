// Parquet files (how Hub data sets are stored) read into row objects with hyparquet.
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { firstLineOf } from '../errors.js';
import { DataError } from './errors.js';

export type ParquetRow = Record<string, unknown>;

export async function readParquetRows(file: string): Promise<ParquetRow[]> {
  try {
    const buffer = await asyncBufferFromFile(file);
    return (await parquetReadObjects({ file: buffer, rowFormat: 'object' })) as ParquetRow[];
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(file, `not a readable parquet file: ${firstLineOf(err)}`);
  }
}

/** Rows of several shards, in order; each row's `where` names its file and row for error messages. */
export async function readParquetShards(files: string[]): Promise<{ row: ParquetRow; where: string }[]> {
  const out: { row: ParquetRow; where: string }[] = [];
  for (const file of files) {
    const rows = await readParquetRows(file);
    rows.forEach((row, i) => out.push({ row, where: `${file}: row ${i}` }));
  }
  return out;
}
