// Sobol' low-discrepancy points (Gray-code construction, Joe & Kuo direction numbers "new-joe-kuo-6.21201",
// dimensions 1–32), with an optional random digital shift (XOR) that keeps the net property but decorrelates seeds.
import { Rng } from './rng.js';

const BITS = 32;

// Dimensions 2…32 of new-joe-kuo-6.21201 (S. Joe and F. Y. Kuo, SIAM J. Sci. Comput. 30, 2008):
// [degree s, coefficient a, initial direction numbers m_1 … m_s].
const DIRECTION_TABLE: [number, number, number[]][] = [
  [1, 0, [1]], [2, 1, [1, 3]], [3, 1, [1, 3, 1]], [3, 2, [1, 1, 1]], [4, 1, [1, 1, 3, 3]], [4, 4, [1, 3, 5, 13]],
  [5, 2, [1, 1, 5, 5, 17]], [5, 4, [1, 1, 5, 5, 5]], [5, 7, [1, 1, 7, 11, 19]], [5, 11, [1, 1, 5, 1, 1]],
  [5, 13, [1, 1, 1, 3, 11]], [5, 14, [1, 3, 5, 5, 31]], [6, 1, [1, 3, 3, 9, 7, 49]], [6, 13, [1, 1, 1, 15, 21, 21]],
  [6, 16, [1, 3, 1, 13, 27, 49]], [6, 19, [1, 1, 1, 15, 7, 5]], [6, 22, [1, 3, 1, 15, 13, 25]],
  [6, 25, [1, 1, 5, 5, 19, 61]], [7, 1, [1, 3, 7, 11, 23, 15, 103]], [7, 4, [1, 3, 7, 13, 13, 15, 69]],
  [7, 7, [1, 1, 3, 13, 7, 35, 63]], [7, 8, [1, 3, 5, 9, 1, 25, 53]], [7, 14, [1, 3, 1, 13, 9, 35, 107]],
  [7, 19, [1, 3, 1, 5, 27, 61, 31]], [7, 21, [1, 1, 5, 11, 19, 41, 61]], [7, 28, [1, 3, 5, 3, 3, 13, 69]],
  [7, 31, [1, 1, 7, 13, 1, 19, 1]], [7, 32, [1, 3, 7, 5, 13, 19, 59]], [7, 37, [1, 1, 3, 9, 25, 29, 41]],
  [7, 41, [1, 3, 5, 13, 23, 1, 55]], [7, 42, [1, 3, 7, 3, 13, 59, 17]],
];

export const SOBOL_MAX_DIMENSIONS = DIRECTION_TABLE.length + 1;

/** Direction numbers V[d][k] (k = 0 … 31), scaled to 32-bit integers. */
function directionNumbers(dimensions: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let d = 0; d < dimensions; d++) {
    const v = new Uint32Array(BITS);
    if (d === 0) {
      for (let k = 0; k < BITS; k++) v[k] = 2 ** (BITS - 1 - k);
    } else {
      const [s, a, m] = DIRECTION_TABLE[d - 1];
      for (let k = 0; k < Math.min(s, BITS); k++) v[k] = m[k] * 2 ** (BITS - 1 - k);
      for (let k = s; k < BITS; k++) {
        let value = v[k - s] ^ (v[k - s] >>> s);
        for (let j = 1; j < s; j++) if ((a >>> (s - 1 - j)) & 1) value ^= v[k - j];
        v[k] = value >>> 0;
      }
    }
    out.push(v);
  }
  return out;
}

/**
 * Point `index` (0-based) of the `dimensions`-dimensional Sobol' sequence, each coordinate in [0, 1).
 * With a `shiftSeed`, every coordinate is XORed with a seeded random 32-bit shift.
 */
export function sobolPoint(index: number, dimensions: number, shiftSeed?: number | string): number[] {
  if (dimensions < 1 || dimensions > SOBOL_MAX_DIMENSIONS) {
    throw new RangeError(`sobol supports 1 … ${SOBOL_MAX_DIMENSIONS} dimensions, got ${dimensions}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** 31) throw new RangeError(`sobol index out of range: ${index}`);
  const v = directionNumbers(dimensions);
  const gray = index ^ Math.floor(index / 2);
  const shift = shiftSeed === undefined ? undefined : new Rng('sobol-shift', shiftSeed);
  return v.map((directions) => {
    let x = 0;
    for (let k = 0; k < BITS; k++) if (Math.floor(gray / 2 ** k) % 2 === 1) x ^= directions[k];
    if (shift) x ^= Math.floor(shift.next() * 2 ** BITS);
    return (x >>> 0) / 2 ** BITS;
  });
}
