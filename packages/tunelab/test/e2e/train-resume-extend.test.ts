// `tunelab train --resume` with more epochs (HF allows it): accepted on a schedule that does not depend on the
// run's length, refused with one line where it does.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GLUE, readJson, runCli, tempDir, TINY, tinyModelFolder } from './helpers.js';

const model = tinyModelFolder();
const checkpoints = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('checkpoint-')).sort();
const args = (out: string, epochs: number, scheduler: string) => ['train', ...TINY, '--model', model, '--task', 'glue/mrpc',
  '--train-file', join(GLUE, 'MRPC/dev.tsv'), '--max-train-samples', '16', '--batch-size', '8', '--epochs', String(epochs),
  '--scheduler', scheduler, '--warmup-steps', '0', '--output-dir', out];

test('resume extends a constant-schedule run from 1 to 2 epochs; a linear one is refused naming the schedule', async () => {
  const out = join(tempDir(), 'out');
  assert.equal((await runCli(args(out, 1, 'constant'))).code, 0);
  const extended = await runCli([...args(out, 2, 'constant'), '--resume', '--save-total-limit', '1']);
  assert.equal(extended.code, 0, extended.stderr);
  assert.equal(readJson(join(out, 'metrics.json')).epoch, 2);
  assert.deepEqual(checkpoints(out), ['checkpoint-4'], '--save-total-limit 1 kept the newest only');

  const linear = join(tempDir(), 'out');
  assert.equal((await runCli(args(linear, 1, 'linear'))).code, 0);
  const refused = await runCli([...args(linear, 2, 'linear'), '--resume']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^error: .*checkpoint-2: cannot resume: 2 → 4 total steps .*linear learning-rate schedule/);
  assert.equal(refused.stderr.trim().split('\n').length, 1);
});

test('--save-strategy no (HF\'s name) trains without writing a checkpoint', async () => {
  const out = join(tempDir(), 'out');
  const result = await runCli([...args(out, 1, 'linear'), '--save-strategy', 'no']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(checkpoints(out), []);
  assert.ok(existsSync(join(out, 'model.safetensors')));
});
