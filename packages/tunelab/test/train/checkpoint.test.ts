import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import {
  latestCheckpoint, listCheckpoints, removeIncompleteCheckpoints, resumeKeyDifferences,
} from '../../src/train/checkpoint.js';
import { LossScaler, resolvePrecision } from '../../src/train/precision.js';
import { TrainConfigError } from '../../src/train/errors.js';
import { tempDir } from './helpers.js';

test('only complete checkpoints count; what a killed save left is removed', () => {
  const dir = tempDir();
  for (const name of ['checkpoint-4', 'checkpoint-12', 'checkpoint-8']) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'trainer_state.json'), '{}');
  }
  mkdirSync(join(dir, 'checkpoint-16.tmp-4242')); // killed while writing: never renamed into place
  writeFileSync(join(dir, 'checkpoint-16.tmp-4242', 'trainer_state.json'), '{}');
  mkdirSync(join(dir, 'checkpoint-20')); // no state file: not a checkpoint
  assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [4, 8, 12]);
  assert.equal(latestCheckpoint(dir), join(dir, 'checkpoint-12'));
  removeIncompleteCheckpoints(dir);
  assert.equal(existsSync(join(dir, 'checkpoint-16.tmp-4242')), false);
  assert.equal(existsSync(join(dir, 'checkpoint-12')), true);
  assert.equal(latestCheckpoint(join(dir, 'absent')), null);
});

test('resume keys: every differing setting is named with both values', () => {
  assert.deepEqual(resumeKeyDifferences({ seed: 1, lr: 0.1, task: 'a' }, { seed: 1, lr: 0.2, task: 'a' }), ['lr: 0.1 → 0.2']);
  assert.deepEqual(resumeKeyDifferences({ seed: 1 }, { seed: 1, maxSteps: 5 }), ['maxSteps: undefined → 5']);
});

test('precision: auto is bf16 exactly where the CPU has native bf16; fp16 needs CUDA', () => {
  assert.equal(resolvePrecision('auto', 'cpu'), torch.buildInfo().bf16Cpu ? 'bf16' : 'fp32');
  assert.equal(resolvePrecision('auto', 'cuda'), 'bf16');
  assert.equal(resolvePrecision('fp32', 'cpu'), 'fp32');
  assert.throws(() => resolvePrecision('fp16', 'cpu'), TrainConfigError);
  assert.equal(resolvePrecision('fp16', 'cuda'), 'fp16');
});

test('fp16 loss scaling: overflow halves the scale and skips the step; clean steps grow it', () => {
  const scaler = new LossScaler(1024, 3);
  assert.equal(scaler.update(Number.POSITIVE_INFINITY), false);
  assert.equal(scaler.scale, 512);
  assert.equal(scaler.update(Number.NaN), false);
  assert.equal(scaler.scale, 256);
  assert.equal(scaler.update(1.5), true);
  assert.equal(scaler.update(0.5), true);
  assert.equal(scaler.scale, 256);
  assert.equal(scaler.update(0.7), true);
  assert.equal(scaler.scale, 512);
  const restored = new LossScaler();
  restored.loadStateDict(scaler.stateDict());
  assert.deepEqual(restored.stateDict(), { scale: 512, cleanSteps: 0 });
  const grad = torch.scope(() => {
    const p = torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    scaler.scaleLoss(p.mul(p).sum()).backward(); // d/dp = 2p × 512
    scaler.unscaleGradients([p]);
    return torch.keep(p.grad!);
  });
  assert.deepEqual(grad.toArray(), [2, 4]);
});
