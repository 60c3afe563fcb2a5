// Chart thinning: aligned power-of-two step buckets, each keeping its extremes, plus the first and last point.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, bucketExtremes, bucketLevel, downsample, STORED_LEVELS, storedLevelAtMost } from '../../src/track/downsample.js';
import { Rng } from '../../src/sweep/rng.js';

const series = (values: number[]) => values.map((value, step) => ({ step, value, wallTime: 1000 + step }));
const steps = (points: { step: number }[]) => points.map((p) => p.step);

describe('downsample', () => {
  it('returns series that fit unchanged', () => {
    const points = series([3, 1, 2]);
    assert.deepEqual(downsample(points, 3), points);
  });

  it('keeps first, last and each aligned bucket\'s min and max, in step order', () => {
    // maxPoints 8 → 3 buckets. Steps 0..13: width 4 gives 4 buckets, width 8 gives 2 (steps 0-7 and 8-13).
    // 0-7: min 0@6, max 9@2; 8-13: min 3@8, max 7@11.
    const kept = downsample(series([5, 1, 9, 2, 2, 8, 0, 3, 3, 4, 4, 7, 4, 6]), 8);
    assert.deepEqual(steps(kept), [0, 2, 6, 8, 11, 13]);
  });

  it('skips NaN when looking for extremes but always keeps first and last', () => {
    // maxPoints 5 → 1 bucket: width 16 covers steps 0..9. Finite extremes: min -1@5, max 7@2; last (step 9) is NaN.
    const kept = downsample(series([2, NaN, 7, NaN, NaN, -1, NaN, NaN, 4, NaN]), 5);
    assert.deepEqual(steps(kept), [0, 2, 5, 9]);
    assert.ok(Number.isNaN(kept[3].value));
  });

  it('breaks ties by the earlier step, and keeps a point once', () => {
    assert.deepEqual(steps(downsample(series([1, 1, 1, 1, 1, 1]), 4)), [0, 5]);
  });

  it('keeps a one-point spike in a long series and stays within budget', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i === 6789 ? 50 : Math.sin(i / 100)));
    for (const maxPoints of [2, 3, 4, 10, 200, 1000]) {
      const kept = downsample(series(values), maxPoints);
      assert.ok(kept.length <= maxPoints, `${kept.length} > ${maxPoints}`);
      assert.equal(kept[0].step, 0);
      assert.equal(kept.at(-1)!.step, 9999);
      if (maxPoints >= 4) assert.ok(kept.some((p) => p.step === 6789), `spike lost at maxPoints ${maxPoints}`);
    }
    // 200 points → 99 buckets: width 128 gives 79 buckets over steps 0..9999 (width 64 would give 157).
    assert.equal(bucketLevel(0, 9999, 99), 7);
    assert.throws(() => downsample(series([1, 2, 3]), 1), RangeError);
  });

  it('merges the extremes of fine buckets into exactly those of coarse ones (what stored levels rely on)', () => {
    const rng = new Rng(7, 1);
    const points = Array.from({ length: 3000 }, (_, i) => ({ step: i * 3 + rng.int(3), value: rng.int(50), wallTime: i }));
    for (const [fine, coarse] of [[4, 4], [4, 7], [6, 9], [4, 12]]) {
      const merged = bucketExtremes(bucketExtremes(points, fine).flatMap((b) => [b.min, b.max]), coarse);
      assert.deepEqual(merged, bucketExtremes(points, coarse), `level ${fine} → ${coarse}`);
    }
  });

  it('picks the coarsest stored level not coarser than the one needed', () => {
    assert.equal(storedLevelAtMost(3), null);
    assert.equal(storedLevelAtMost(4), 4);
    assert.equal(storedLevelAtMost(7), 6);
    assert.equal(storedLevelAtMost(99), STORED_LEVELS.at(-1));
  });

  it('assembles candidates without duplicates in (step, wall time) order', () => {
    const [a, b, c] = [{ step: 1, value: 5, wallTime: 9 }, { step: 1, value: 2, wallTime: 4 }, { step: 7, value: 0, wallTime: 1 }];
    assert.deepEqual(assemble(a, c, [{ bucket: 0, min: b, max: a }, { bucket: 1, min: c, max: c }]), [b, a, c]);
  });
});
