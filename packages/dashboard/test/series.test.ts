// The chart helpers behind the run and sweep pages: which series are smoothed and how (time-weighted EMA), which are
// shown as numbers, the y range of a flat series, and epochs for steps. Values are worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochsAt, flatRange, isScalar, toXY } from '../src/charts/series.js';
import { isSmoothable, smoothEma } from '../src/charts/smoothing.js';

test('evaluation series are never smoothed; train series are', () => {
  assert.deepEqual(['eval_f1', 'eval_loss', 'final_eval_accuracy', 'train_loss', 'learning_rate'].map(isSmoothable),
    [false, false, false, true, true]);
});

test('the EMA weighs by distance in x, not by point count', () => {
  // Evenly spaced: weight w per gap. Debiased: first value kept; second = (w·(1-w)·a + (1-w)·b) / (1 - w²).
  const even = smoothEma([0, 1, 2], [1, 0, 0], 0.5);
  assert.equal(even[0], 1);
  assert.ok(Math.abs(even[1]! - (0.5 * 0.5 * 1 + 0.5 * 0) / 0.75) < 1e-12);
  // The same values with the second point twice as far away decay by w² across that gap: it forgets more.
  const uneven = smoothEma([0, 2, 3], [1, 0, 0], 0.5);
  assert.ok(uneven[1]! < even[1]!, `${uneven[1]} < ${even[1]}`);
  // A constant stays constant (debiased), and weight 0 is the raw series.
  assert.deepEqual(smoothEma([0, 5, 6, 20], [2, 2, 2, 2], 0.9).map((v) => Number(v!.toFixed(12))), [2, 2, 2, 2]);
  assert.deepEqual(toXY([[1, 3, 0], [2, 4, 0]], 'step', 0).ys, [3, 4]);
});

test('summaries and one-point series are numbers, curves are charts', () => {
  assert.equal(isScalar('best_step', [[10, 10, 0], [10, 10, 0]]), true);
  assert.equal(isScalar('epoch', [[1, 0.5, 0], [2, 1, 0]]), true);
  assert.equal(isScalar('eval_f1', [[4, 0, 0]]), true);
  assert.equal(isScalar('eval_f1', [[4, 0, 0], [8, 0.5, 0]]), false);
});

test('a flat series gets a range around its value (0 does not run 0–100)', () => {
  assert.deepEqual(flatRange(0, 0), [-1, 1]);
  assert.deepEqual(flatRange(0.5, 0.5), [0.45, 0.55]);
  assert.equal(flatRange(0.2, 0.7), null);
});

test('epochs for steps: exact, interpolated between logged steps, null outside', () => {
  const epochs: [number, number, number][] = [[10, 0.5, 0], [20, 1, 0], [40, 2, 0]];
  assert.deepEqual(epochsAt([10, 15, 30, 40, 5, 50], epochs), [0.5, 0.75, 1.5, 2, null, null]);
});
