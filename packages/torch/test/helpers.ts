// Shared test helpers: the device under test, float64 reference comparisons, finite-difference gradcheck.
import assert from 'node:assert/strict';
import * as torch from '@tunelab/torch';
import type { Device, Tensor } from '@tunelab/torch';

/** TUNELAB_TEST_DEVICE=cuda runs the device-parametrised tests on CUDA. */
export const device = (process.env.TUNELAB_TEST_DEVICE ?? 'cpu') as Device;

/** A float64 tensor on the device under test. */
export function f64(data: number[] | number[][] | number[][][], requiresGrad = false): Tensor {
  return torch.tensor(data, { dtype: 'float64', device, requiresGrad });
}
export function f32(data: number[] | number[][] | number[][][]): Tensor {
  return torch.tensor(data, { dtype: 'float32', device });
}

export function assertClose(actual: number[] | Tensor, expected: number[], tolerance = 1e-6, label = ''): void {
  const values = Array.isArray(actual) ? actual : actual.toArray();
  assert.equal(values.length, expected.length, `${label} length ${values.length} vs ${expected.length}`);
  values.forEach((v, i) => {
    const e = expected[i];
    if (Number.isNaN(e)) return assert.ok(Number.isNaN(v), `${label}[${i}]: expected NaN, got ${v}`);
    if (!Number.isFinite(e)) return assert.equal(v, e, `${label}[${i}]`);
    assert.ok(Math.abs(v - e) <= tolerance * Math.max(1, Math.abs(e)), `${label}[${i}]: ${v} vs expected ${e} (tolerance ${tolerance})`);
  });
}

export function assertShape(t: Tensor, shape: number[]): void {
  assert.deepEqual(t.shape, shape);
}

/** Deterministic pseudo-random numbers in [-1, 1) (xorshift), independent of libtorch's generator. */
export function jsRandom(n: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out.push((s / 4294967296) * 2 - 1);
  }
  return out;
}

/** erf by its Taylor series (exact to float64 precision for |x| < 4). */
export function erf(x: number): number {
  let sum = 0, term = x, n = 0;
  while (Math.abs(term) > 1e-17 * Math.max(1, Math.abs(sum)) || n < 5) {
    sum += term / (2 * n + 1);
    n++;
    term *= (-x * x) / n;
    if (n > 200) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export interface GradInput {
  shape: number[];
  values?: number[];
  /** Inputs that are not differentiated (indices, masks, targets). */
  constant?: Tensor;
}

/**
 * Compares autograd's gradients of sum(fn(inputs) * w) with central finite differences, in float64.
 * Differentiable inputs are float64 tensors built from `values` (random when omitted).
 */
export function gradcheck(name: string, fn: (...inputs: Tensor[]) => Tensor, inputs: GradInput[], { eps = 1e-6, tolerance = 1e-5 } = {}): void {
  torch.scope(() => {
    const values = inputs.map((input, i) => input.values ?? jsRandom(input.shape.reduce((a, b) => a * b, 1), 7 + 13 * i));
    const make = (vals: number[][], requiresGrad: boolean): Tensor[] =>
      inputs.map((input, i) => input.constant ?? torch.fromTypedArray(Float64Array.from(vals[i]), input.shape, { device, requiresGrad }));
    const tensors = make(values, true);
    const out = fn(...tensors);
    const weight = torch.fromTypedArray(Float64Array.from(jsRandom(out.numel(), 99)), out.shape, { device });
    out.mul(weight).sum().backward();
    const lossAt = (vals: number[][]): number => torch.noGrad(() => torch.scope(() => fn(...make(vals, false)).mul(weight).sum().item()));
    inputs.forEach((input, i) => {
      if (input.constant) return;
      const analytic = tensors[i].grad?.toArray() ?? new Array(values[i].length).fill(0);
      values[i].forEach((v, j) => {
        const plus = values.map((arr) => arr.slice());
        const minus = values.map((arr) => arr.slice());
        plus[i][j] = v + eps;
        minus[i][j] = v - eps;
        const numeric = (lossAt(plus) - lossAt(minus)) / (2 * eps);
        assert.ok(Math.abs(analytic[j] - numeric) <= tolerance * Math.max(1, Math.abs(numeric)),
          `${name}: d/dinput${i}[${j}] autograd ${analytic[j]} vs finite difference ${numeric}`);
      });
    });
  });
}
