// Shared by the model tests: the tiny-bert fixtures, the device/precision the parity tests run under, relative
// errors computed in float64, and small float64 reference functions for hand-checked head outputs.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, '../fixtures/tiny-bert');
export const LEGACY_BIN = join(HERE, '../fixtures/tiny-bert/pretraining-legacy-bin');
/** ../shared beside the repository root (read-only data: configs, GLUE, SQuAD). */
export const SHARED = resolve(HERE, '../../../..', '../shared');

/** TUNELAB_TEST_DEVICE=cuda reruns the parity tests on a GPU; TUNELAB_TEST_AUTOCAST=bf16 under bf16 autocast. */
export const DEVICE = (process.env.TUNELAB_TEST_DEVICE ?? 'cpu') as 'cpu' | 'cuda';
export const AUTOCAST = process.env.TUNELAB_TEST_AUTOCAST === 'bf16' ? 'bfloat16' : null;

/**
 * The fixture README's float32 tolerances, or looser ones under bf16 autocast (8-bit mantissa matmuls).
 * `zeroGradient`: how far (as a share of the global gradient norm) a gradient that is zero by symmetry may stray.
 */
export const TOLERANCE = AUTOCAST
  ? { output: 3e-2, grad: 1.5e-1, trajectory: 5e-2, zeroGradient: 1e-3 }
  : { output: 1e-5, grad: 1e-4, trajectory: 1e-4, zeroGradient: 1e-6 };

export function withPrecision<T>(fn: () => T): T {
  return AUTOCAST ? torch.autocast({ device: DEVICE, dtype: AUTOCAST }, fn) : fn();
}

export interface Fixture {
  dir: string;
  inputs: Map<string, Tensor>;
  expected: Map<string, Tensor>;
}

export function loadFixture(name: string): Fixture {
  const dir = join(FIXTURES, name);
  return {
    dir,
    inputs: torch.loadSafetensors(join(dir, 'inputs.safetensors')).tensors,
    expected: torch.loadSafetensors(join(dir, 'expected.safetensors')).tensors,
  };
}

/** Model inputs as a trainer passes them: named tensors, input_ids among them. */
export type Inputs = Record<string, Tensor> & { input_ids: Tensor };

/** The model inputs of a fixture (labels named as HF's forward arguments), moved to `device`. */
export function modelInputs(fixture: Fixture, { labels = true, device = DEVICE } = {}): Inputs {
  const out = {} as Inputs;
  for (const [key, tensor] of fixture.inputs) {
    if (key.startsWith('label.') && !labels) continue;
    out[key.replace(/^label\./, '')] = tensor.to(device);
  }
  return out;
}

/** Float64 copy of a tensor's values (any device or float dtype). */
export function values(tensor: Tensor): Float64Array {
  return torch.scope(() => Float64Array.from(tensor.detach().to({ device: 'cpu', dtype: 'float64' }).toArray()));
}

/**
 * ‖a − b‖ / ‖b‖ in float64. With `tokenMask` ([B, T] 0/1), only positions where it is 1 count: `a` and `b` are
 * [B, T, …] and each token's trailing values are compared (per-token outputs are defined at real tokens only).
 */
export function relativeError(actual: Tensor, expected: Tensor, tokenMask?: Tensor): number {
  const a = values(actual);
  const b = values(expected);
  if (a.length !== b.length) throw new Error(`size ${a.length} vs ${b.length}`);
  const mask = tokenMask ? values(tokenMask) : null;
  const perToken = mask ? a.length / mask.length : 1;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && mask[Math.floor(i / perToken)] === 0) continue;
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}

// ---- float64 references (row-major number arrays) ----

export function matVec(weight: Float64Array, bias: Float64Array | null, x: ArrayLike<number>): number[] {
  const out = bias ? Array.from(bias) : new Array<number>(weight.length / x.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    for (let i = 0; i < x.length; i++) out[o]! += weight[o * x.length + i]! * x[i]!;
  }
  return out;
}

export function erf(x: number): number {
  // Maclaurin series near 0, continued fraction of erfc in the tails: both accurate to ~1e-13.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 200; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = 0;
  for (let n = 60; n >= 1; n--) fraction = (n / 2) / (t + fraction);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + fraction));
}

export const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

export function layerNorm(x: number[], weight: Float64Array, bias: Float64Array, eps: number): number[] {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * weight[i]! + bias[i]!);
}

export function logSoftmax(row: number[]): number[] {
  const max = Math.max(...row);
  const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - logSum);
}

/** Mean cross entropy of rows against class ids, skipping `ignore`. */
export function crossEntropy(rows: number[][], targets: number[], ignore = -100): number {
  let total = 0;
  let count = 0;
  rows.forEach((row, i) => {
    if (targets[i] === ignore) return;
    total -= logSoftmax(row)[targets[i]!]!;
    count++;
  });
  return total / count;
}

/** Rows of a [N, C] (or [B, T, C] flattened) float64 array. */
export function rows(flat: Float64Array, width: number): number[][] {
  return Array.from({ length: flat.length / width }, (_, r) => Array.from(flat.subarray(r * width, (r + 1) * width)));
}

/** Captures what models/ logs while fn runs. */
export async function captureWarnings<T>(fn: () => Promise<T> | T): Promise<{ result: T; lines: string[] }> {
  const { logging } = await import('../../src/models/logging.js');
  const lines: string[] = [];
  const previous = logging.setSink((line) => lines.push(line));
  try {
    return { result: await fn(), lines };
  } finally {
    logging.setSink(previous);
  }
}
