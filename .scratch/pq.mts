import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileSync } from 'node:fs';
import { readParquetRows } from '../packages/tunelab/src/data/parquet.ts';
const buf = parquetWriteBuffer({ columnData: [
  { name: 'sentence1', data: ['a b', 'c d'], type: 'STRING' },
  { name: 'label', data: [1n, 0n], type: 'INT64' },
  { name: 'answers', data: [{ text: ['x'], answer_start: [3] }, { text: [], answer_start: [] }] },
] });
writeFileSync('/tmp/t.parquet', new Uint8Array(buf));
console.log(await readParquetRows('/tmp/t.parquet'));
