// `tunelab train --profile --pad-to-multiple-of N`: the table at the end, profile.json in the output folder.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { GLUE, TINY, readJson, runCli, tempDir, tinyModelFolder } from './helpers.js';

test('train --profile prints the time table and stores profile.json; --pad-to-multiple-of buckets the shapes', async () => {
  const out = join(tempDir(), 'out');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'glue/mrpc', ...TINY,
    '--train-file', join(GLUE, 'MRPC/train.tsv'), '--max-train-samples', '160', '--epochs', '1', '--batch-size', '16',
    '--pad-to-multiple-of', '16', '--profile', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /profile \(cpu\): [\d.]+ s wall, 10 steps/);
  assert.match(result.stdout, /host→device copies/);
  assert.match(result.stdout, /epoch 0: 10 batches, \d+ distinct shapes, padding \d+ of \d+ tokens/);
  const profile = readJson(join(out, 'profile.json')) as {
    coverage: number; steps: number; rows: { part: string; count: number; seconds: number }[]; wallSeconds: number;
    epochs: { distinctShapes: number; bucketPaddingTokens: number }[];
  };
  assert.equal(profile.steps, 10);
  assert.equal(profile.rows.find((row) => row.part === 'forward')!.count, 10);
  assert.ok(profile.coverage >= 0.9, `coverage ${profile.coverage}`);
  const sum = profile.rows.reduce((total, row) => total + row.seconds, 0);
  assert.ok(Math.abs(sum - profile.wallSeconds) < 1e-6);
  assert.ok(profile.epochs[0].distinctShapes <= 8, 'lengths ≤ 128 in multiples of 16: at most 8 shapes');
  assert.ok(profile.epochs[0].bucketPaddingTokens > 0);
});
