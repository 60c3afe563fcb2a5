import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lrMultiplier, warmupSteps } from '../../src/train/schedule.js';

// Hand-computed from HF's get_*_schedule_with_warmup lambdas.
test('linear: ramps up over warmup, then decays to 0 at the last step', () => {
  const s = { name: 'linear', warmupSteps: 4, totalSteps: 20 } as const;
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => lrMultiplier(s, k)), [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(lrMultiplier(s, 12), 0.5); // (20 - 12) / 16
  assert.equal(lrMultiplier(s, 19), 1 / 16);
  assert.equal(lrMultiplier(s, 20), 0);
  assert.equal(lrMultiplier(s, 25), 0);
});

test('cosine: half a cosine from 1 to 0 after warmup', () => {
  const s = { name: 'cosine', warmupSteps: 2, totalSteps: 10 } as const;
  assert.equal(lrMultiplier(s, 1), 0.5);
  assert.equal(lrMultiplier(s, 2), 1);
  assert.ok(Math.abs(lrMultiplier(s, 6) - 0.5) < 1e-15); // progress 0.5: (1 + cos(pi/2)) / 2
  assert.ok(Math.abs(lrMultiplier(s, 4) - (1 + Math.SQRT1_2) / 2) < 1e-15); // progress 0.25
  assert.ok(Math.abs(lrMultiplier(s, 10)) < 1e-15);
});

test('constant: warmup then flat', () => {
  const s = { name: 'constant', warmupSteps: 3, totalSteps: 10 } as const;
  assert.deepEqual([0, 1, 3, 9].map((k) => lrMultiplier(s, k)), [0, 1 / 3, 1, 1]);
  assert.equal(lrMultiplier({ name: 'constant', warmupSteps: 0, totalSteps: 10 }, 0), 1);
});

test('no warmup: the first update runs at the full rate', () => {
  assert.equal(lrMultiplier({ name: 'linear', warmupSteps: 0, totalSteps: 10 }, 0), 1);
});

test('warmup steps from a ratio round up, as HF does; explicit steps win', () => {
  assert.equal(warmupSteps(115, { warmupRatio: 0.1 }), 12);
  assert.equal(warmupSteps(100, { warmupRatio: 0.1 }), 10);
  assert.equal(warmupSteps(100, {}), 0);
  assert.equal(warmupSteps(100, { warmupSteps: 7 }), 7);
});
