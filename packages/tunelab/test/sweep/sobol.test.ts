// Sobol' points against the published sequence and the net property that makes them even.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SOBOL_MAX_DIMENSIONS, sobolPoint } from '../../src/sweep/sobol.js';

describe('sobolPoint', () => {
  it('matches the first points of the unshifted 3-D sequence', () => {
    const expected = [
      [0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
      [0.375, 0.375, 0.625], [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375],
    ];
    expected.forEach((point, i) => assert.deepEqual(sobolPoint(i, 3), point, `point ${i}`));
  });

  it('stratifies every dimension: the first 2^m points hit each of the 2^m cells once', () => {
    const m = 7;
    const points = Array.from({ length: 2 ** m }, (_, i) => sobolPoint(i, SOBOL_MAX_DIMENSIONS));
    for (let d = 0; d < SOBOL_MAX_DIMENSIONS; d++) {
      const cells = new Set(points.map((p) => Math.floor(p[d] * 2 ** m)));
      assert.equal(cells.size, 2 ** m, `dimension ${d + 1}`);
    }
  });

  it('makes dimensions 1–2 a (0, m, 2)-net, with or without a digital shift', () => {
    const m = 6;
    for (const shift of [undefined, 42]) {
      const points = Array.from({ length: 2 ** m }, (_, i) => sobolPoint(i, 2, shift));
      for (let a = 0; a <= m; a++) {
        const cells = new Set(points.map(([x, y]) => `${Math.floor(x * 2 ** a)},${Math.floor(y * 2 ** (m - a))}`));
        assert.equal(cells.size, 2 ** m, `boxes 2^-${a} × 2^-${m - a}, shift ${shift}`);
      }
    }
  });

  it('rejects dimensions it has no direction numbers for', () => {
    assert.throws(() => sobolPoint(0, SOBOL_MAX_DIMENSIONS + 1), RangeError);
    assert.throws(() => sobolPoint(-1, 2), RangeError);
  });
});
