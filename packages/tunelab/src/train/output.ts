// Files of the output folder that are not the model: metrics.json and predictions/<split>.jsonl.
// Every write goes to a temporary file renamed into place, so a reader never sees half a file.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function writeJsonLinesAtomic(path: string, records: unknown[]): void {
  writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export const METRICS_FILE = 'metrics.json';

export function predictionsPath(outputDir: string, split: string): string {
  return join(outputDir, 'predictions', `${split}.jsonl`);
}
