// The exact-resume contract: a run killed with SIGKILL at any moment — between checkpoints, during an evaluation,
// while a checkpoint is being written — and continued with --resume ends with bit-identical weights (and optimizer
// state, and metrics) to the run that was never interrupted. Default precision (bf16 autocast where the CPU has it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GLUE, killAfterStep, readJson, runCli, tempDir, tinyModelFolder } from './helpers.js';

const model = tinyModelFolder();
const args = (out: string) => ['train', '--model', model, '--task', 'glue/mrpc', '--from-scratch', '--threads', '1',
  '--no-track', '--train-file', join(GLUE, 'MRPC/train.tsv'), '--validation-file', join(GLUE, 'MRPC/dev.tsv'),
  '--max-train-samples', '96', '--max-eval-samples', '32', '--epochs', '2', '--batch-size', '8', '--lr', '5e-4',
  '--warmup-ratio', '0.1', '--save-every', '4', '--eval-every', '6', '--log-every', '1', '--json', '--output-dir', out];

test('SIGKILL at any moment + --resume ends bit-identical to the uninterrupted run', async () => {
  const reference = join(tempDir(), 'reference');
  const whole = await runCli(args(reference));
  assert.equal(whole.code, 0, whole.stderr);

  const interrupted = join(tempDir(), 'interrupted');
  await killAfterStep(args(interrupted), 5); // between checkpoints 4 and 8
  await killAfterStep([...args(interrupted), '--resume'], 12); // during the evaluation / checkpoint of step 12
  await killAfterStep([...args(interrupted), '--resume'], 22); // just before the last checkpoint
  const last = await runCli([...args(interrupted), '--resume']);
  assert.equal(last.code, 0, last.stderr);
  assert.match(last.stdout, /"resuming from [^"]*checkpoint-(20|24)"/);

  for (const file of ['model.safetensors', 'checkpoint-24/model.safetensors', 'checkpoint-24/optimizer.safetensors']) {
    assert.ok(readFileSync(join(reference, file)).equals(readFileSync(join(interrupted, file))), `${file} differs`);
  }
  const metrics = (dir: string) => Object.fromEntries(Object.entries(readJson(join(dir, 'metrics.json')))
    .filter(([key]) => !key.startsWith('train_')));
  assert.deepEqual(metrics(interrupted), metrics(reference));
  const history = (dir: string) => (readJson(join(dir, 'checkpoint-24/trainer_state.json')).state as { logHistory: unknown }).logHistory;
  assert.deepEqual(history(interrupted), history(reference));
});
