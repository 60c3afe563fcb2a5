// Files of the output folder that are not the model: metrics.json and predictions/<split>.jsonl.
// A regular file is written to a temporary file renamed into place, so a reader never sees half a file. A stream
// target — `-` (stdout), a character device (/dev/stdout, a terminal), a FIFO or socket, anything under /dev or
// /proc — is written in place: renaming over it would replace the device with a regular file.
import { mkdirSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `-`: standard output. */
export const STDOUT_PATH = '-';

/** Whether `path` names a stream (written in place) rather than a regular file (written atomically). */
export function isStreamTarget(path: string): boolean {
  if (path === STDOUT_PATH || path.startsWith('/dev/') || path.startsWith('/proc/')) return true;
  try {
    const stat = statSync(path);
    return stat.isCharacterDevice() || stat.isFIFO() || stat.isSocket() || stat.isBlockDevice();
  } catch {
    return false; // does not exist yet: a new regular file
  }
}

export function writeFileAtomic(path: string, text: string): void {
  if (path === STDOUT_PATH) {
    process.stdout.write(text);
    return;
  }
  if (isStreamTarget(path)) {
    writeFileSync(path, text);
    return;
  }
  const target = existingRealPath(path); // through a symlink: replace the file it points to, keep the link
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, target);
}

function existingRealPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
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
