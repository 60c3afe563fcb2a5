// Chart thinning keeps first, last and every bucket's extremes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { downsample } from '../../src/track/downsample.js';

const series = (values: number[]) => values.map((value, step) => ({ step, value, wallTime: step }));

describe('downsample', () => {
  it('returns short series unchanged', () => {
    const points = series([3, 1, 2]);
    assert.deepEqual(downsample(points, 10), points);
  });

  it('keeps first, last and per-bucket min and max in step order', () => {
    // 2 + 12 inner points, maxPoints 8 → 3 buckets of 4 inner points each.
    const values = [5, 1, 9, 2, 2, 8, 0, 3, 3, 4, 4, 7, 4, 6];
    const kept = downsample(series(values), 8).map((p) => p.step);
    // buckets (inner steps): 1-4 → min 1@1, max 9@2; 5-8 → min 0@6, max 8@5; 9-12 → min 4@9, max 7@11
    assert.deepEqual(kept, [0, 1, 2, 5, 6, 9, 11, 13]);
  });

  it('skips NaN when looking for extremes and rejects a bad budget', () => {
    const kept = downsample(series([0, NaN, NaN, NaN, NaN, 1]), 4);
    assert.equal(kept.length, 3);
    assert.throws(() => downsample(series([1, 2, 3]), 1), RangeError);
  });
});
