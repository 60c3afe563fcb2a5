// Writes of the output folder: atomic for regular files (a temp file renamed into place, through a symlink onto its
// target), in place for streams (`-`, character devices, FIFOs), which a rename would replace with a regular file.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isStreamTarget, writeFileAtomic } from '../../src/train/output.js';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-output-'));

test('a regular file is replaced whole, leaving no temporary file', () => {
  const path = join(dir, 'sub', 'metrics.json');
  writeFileAtomic(path, 'first\n');
  writeFileAtomic(path, 'second\n');
  assert.equal(readFileSync(path, 'utf8'), 'second\n');
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['metrics.json']);
});

test('a symlink keeps pointing at its file, which gets the new text', () => {
  const target = join(dir, 'target.jsonl');
  writeFileSync(target, 'old\n');
  const link = join(dir, 'link.jsonl');
  symlinkSync(target, link);
  writeFileAtomic(link, 'new\n');
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readlinkSync(link), target);
  assert.equal(readFileSync(target, 'utf8'), 'new\n');
});

test('a character device is a stream target (written in place, never renamed over)', () => {
  // Not written here: before this fix, a write as root replaced the device with a regular file.
  assert.equal(isStreamTarget('/dev/null'), true);
  assert.equal(isStreamTarget('/dev/tty'), true);
});

test('a FIFO is written through and stays a FIFO; `-` and /dev/stdout are streams', async () => {
  const fifo = join(dir, 'out.fifo');
  execFileSync('mkfifo', [fifo]);
  assert.equal(isStreamTarget(fifo), true);
  const reader = spawn('cat', [fifo]); // started before the write, which waits for a reader to open the FIFO
  let received = '';
  reader.stdout.on('data', (chunk: Buffer) => { received += chunk.toString(); });
  const closed = new Promise((resolve) => reader.on('close', resolve));
  writeFileAtomic(fifo, '{"label":"a"}\n');
  await closed;
  assert.equal(received, '{"label":"a"}\n');
  assert.ok(statSync(fifo).isFIFO());
  assert.equal(isStreamTarget('-'), true);
  assert.equal(isStreamTarget('/dev/stdout'), true);
  assert.equal(isStreamTarget(join(dir, 'new.jsonl')), false);
});
