// torch.nn.functional against float64 references computed in JS.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '@tunelab/torch';
import { F, TorchError } from '@tunelab/torch';
import { assertClose, device, erf, f64, jsRandom } from './helpers.js';

function t64(values: number[], shape: number[]): torch.Tensor {
  return torch.fromTypedArray(Float64Array.from(values), shape, { device });
}
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
function logSumExp(row: number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
}

describe('F.linear, F.embedding, F.layerNorm', () => {
  it('linear = x Wᵀ + b', () => {
    const x = jsRandom(2 * 3, 1), w = jsRandom(4 * 3, 2), b = jsRandom(4, 3);
    const expected = [0, 1].flatMap((i) => [0, 1, 2, 3].map((o) => b[o] + [0, 1, 2].reduce((s, k) => s + x[i * 3 + k] * w[o * 3 + k], 0)));
    assertClose(F.linear(t64(x, [2, 3]), t64(w, [4, 3]), t64(b, [4])), expected, 1e-12);
    assertClose(F.linear(t64(x, [2, 3]), t64(w, [4, 3])), expected.map((v, i) => v - b[i % 4]), 1e-12);
  });
  it('embedding picks rows; paddingIdx gets no gradient', () => {
    const weight = t64([0, 1, 10, 11, 20, 21], [3, 2]).requiresGrad_();
    const ids = torch.tensor([[2, 0], [0, 0]], { device });
    const out = F.embedding(ids, weight, 0);
    assert.deepEqual(out.tolist(), [[[20, 21], [0, 1]], [[0, 1], [0, 1]]]);
    out.sum().backward();
    assert.deepEqual(weight.grad?.tolist(), [[0, 0], [0, 0], [1, 1]]);
  });
  it('layerNorm normalises the last dims with weight and bias', () => {
    const x = jsRandom(2 * 4, 5), w = jsRandom(4, 6), b = jsRandom(4, 7), eps = 1e-5;
    const expected = [0, 1].flatMap((r) => {
      const row = x.slice(r * 4, r * 4 + 4);
      const mean = row.reduce((a, v) => a + v) / 4;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / 4;
      return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * w[i] + b[i]);
    });
    assertClose(F.layerNorm(t64(x, [2, 4]), [4], t64(w, [4]), t64(b, [4]), eps), expected, 1e-10);
    const plain = F.layerNorm(t64(x, [2, 4]), [4]);
    assertClose(plain.mean(-1), [0, 0], 1e-12);
  });
});

describe('F.dropout, activations', () => {
  it('dropout zeroes with probability p and scales the rest by 1/(1-p)', () => {
    torch.manualSeed(3);
    const out = F.dropout(torch.ones([10000], { device }), 0.25, true).toArray();
    assert.ok(out.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
    const kept = out.filter((v) => v !== 0).length / out.length;
    assert.ok(Math.abs(kept - 0.75) < 0.02, `kept ${kept}`);
    assert.deepEqual(F.dropout(f64([1, 2]), 0.5, false).tolist(), [1, 2]);
    assert.throws(() => F.dropout(f64([1]), 1.5, true), TorchError);
  });
  it('training dropout in every float dtype: the kept share, the scale, its gradient, and the seed', () => {
    for (const dtype of ['float64', 'float32', 'bfloat16'] as const) {
      const p = 0.1;
      const x = torch.randn([200_000], { device }).to(dtype).requiresGrad_();
      torch.manualSeed(5);
      const y = F.dropout(x, p, true);
      y.sum().backward();
      const [xs, ys, gs] = [x, y, x.grad!].map((t) => t.to('float64').toArray() as number[]);
      const scale = dtype === 'bfloat16' ? 1.109375 : 1 / (1 - p); // 1/0.9 rounded to bf16
      let kept = 0, keptPairs = 0;
      ys.forEach((v, i) => {
        const keep = gs[i] !== 0;
        if (keep) kept++;
        if (keep && i % 2 === 1 && gs[i - 1] !== 0) keptPairs++;
        assert.ok(keep ? Math.abs(gs[i] - scale) < 1e-6 : v === 0, `${dtype} element ${i}: grad ${gs[i]}, out ${v}`);
        if (keep) assert.ok(Math.abs(v - xs[i] * scale) <= Math.abs(xs[i] * scale) * (dtype === 'bfloat16' ? 8e-3 : 1e-6));
      });
      // Binomial: 4 standard deviations of 200,000 draws is about 0.27 % of the share.
      assert.ok(Math.abs(kept / xs.length - (1 - p)) < 0.0027, `${dtype}: kept share ${kept / xs.length}`);
      // Neighbouring elements are independent: both kept in (1-p)^2 of the pairs.
      assert.ok(Math.abs(keptPairs / (xs.length / 2) - (1 - p) ** 2) < 0.005, `${dtype}: kept pairs ${keptPairs}`);
      torch.manualSeed(5);
      const again = F.dropout(x, p, true).to('float64').toArray() as number[];
      assert.deepEqual(again, ys, `${dtype}: the same seed gives the same mask`);
      const next = F.dropout(x, p, true).to('float64').toArray() as number[];
      assert.ok(next.some((v, i) => (v === 0) !== (ys[i] === 0)), `${dtype}: the next call draws a new mask`);
    }
  });
  it('dropout masks do not depend on the number of threads', () => {
    const x = torch.ones([300_000], { device });
    const threads = torch.getNumThreads();
    const masks = [1, 2].map((n) => {
      torch.setNumThreads(n);
      torch.manualSeed(21);
      return F.dropout(x, 0.3, true).toArray();
    });
    torch.setNumThreads(threads);
    assert.deepEqual(masks[0], masks[1]);
  });
  it('dropout masks come back with a saved RNG state', () => {
    const x = torch.ones([4096], { device });
    torch.manualSeed(9);
    F.dropout(x, 0.5, true);
    const state = torch.getRngState(device);
    const first = F.dropout(x, 0.5, true).toArray();
    torch.setRngState(state, device);
    assert.deepEqual(F.dropout(x, 0.5, true).toArray(), first);
  });
  it('gelu, relu, softmax, logSoftmax wrappers', () => {
    assertClose(F.gelu(f64([-1, 0.5])), [-1, 0.5].map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))), 1e-12);
    assert.deepEqual(F.relu(f64([-1, 2])).tolist(), [0, 2]);
    assertClose(F.softmax(f64([0, Math.log(3)]), 0), [0.25, 0.75], 1e-12);
    assertClose(F.logSoftmax(f64([0, Math.log(3)]), 0), [Math.log(0.25), Math.log(0.75)], 1e-12);
  });
});

describe('losses', () => {
  const logits = [[2, 0.5, -1], [0.1, 0.2, 0.3], [-2, 3, 1]];
  const targets = [0, 2, 1];
  const nll = logits.map((row, i) => logSumExp(row) - row[targets[i]]);
  it('crossEntropy: mean, sum, none, ignoreIndex', () => {
    const x = f64(logits);
    assertClose(F.crossEntropy(x, torch.tensor(targets, { device })), [nll.reduce((a, b) => a + b) / 3], 1e-12);
    assertClose(F.crossEntropy(x, torch.tensor(targets, { device }), { reduction: 'sum' }), [nll.reduce((a, b) => a + b)], 1e-12);
    assertClose(F.crossEntropy(x, torch.tensor(targets, { device }), { reduction: 'none' }), nll, 1e-12);
    assertClose(F.crossEntropy(x, torch.tensor([0, -100, 1], { device })), [(nll[0] + nll[2]) / 2], 1e-12);
  });
  it('crossEntropy with label smoothing and class-dimension-second inputs', () => {
    const eps = 0.1, C = 3;
    const smoothed = logits.map((row, i) => {
      const lse = logSumExp(row);
      const logp = row.map((v) => v - lse);
      return -(1 - eps) * logp[targets[i]] - (eps / C) * logp.reduce((a, b) => a + b);
    });
    assertClose(F.crossEntropy(f64(logits), torch.tensor(targets, { device }), { labelSmoothing: eps }), [smoothed.reduce((a, b) => a + b) / 3], 1e-12);
    // [N, C, T]: the class dimension is 1, as in PyTorch
    const nct = f64(logits).t().unsqueeze(0); // [1, 3 classes, 3 positions]
    assertClose(F.crossEntropy(nct, torch.tensor([targets], { device }), { reduction: 'none' }), nll, 1e-12);
  });
  it('nllLoss on log-probabilities', () => {
    assertClose(F.nllLoss(f64(logits).logSoftmax(1), torch.tensor(targets, { device })), [nll.reduce((a, b) => a + b) / 3], 1e-12);
  });
  it('mseLoss', () => {
    assertClose(F.mseLoss(f64([1, 2, 3]), f64([1, 0, 0])), [(0 + 4 + 9) / 3], 1e-12);
    assertClose(F.mseLoss(f64([1, 2, 3]), f64([1, 0, 0]), { reduction: 'sum' }), [13], 1e-12);
  });
  it('binaryCrossEntropyWithLogits (numerically stable form)', () => {
    const x = [-3, 0.5, 40], y = [0, 1, 1];
    const per = x.map((v, i) => Math.max(v, 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v))));
    assertClose(F.binaryCrossEntropyWithLogits(f64(x), f64(y)), [per.reduce((a, b) => a + b) / 3], 1e-12);
    assertClose(F.binaryCrossEntropyWithLogits(f64(x), f64(y), { reduction: 'none', posWeight: f64([2]) }),
      // -[pw·y·log σ(x) + (1-y)·log(1-σ(x))] with log σ(x) = -softplus(-x), log(1-σ(x)) = -softplus(x)
      x.map((v, i) => 2 * y[i] * softplus(-v) + (1 - y[i]) * softplus(v)), 1e-12);
  });
});

describe('F.scaledDotProductAttention', () => {
  const B = 1, H = 2, T = 3, D = 4;
  const q = jsRandom(B * H * T * D, 11), k = jsRandom(B * H * T * D, 12), v = jsRandom(B * H * T * D, 13);
  function reference(mask: (h: number, i: number, j: number) => number): number[] {
    const out: number[] = [];
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const scores = [0, 1, 2].map((j) => {
          let s = 0;
          for (let d = 0; d < D; d++) s += q[(h * T + i) * D + d] * k[(h * T + j) * D + d];
          return s / Math.sqrt(D) + mask(h, i, j);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b);
        for (let d = 0; d < D; d++) out.push(e.reduce((acc, w, j) => acc + (w / z) * v[(h * T + j) * D + d], 0));
      }
    }
    return out;
  }
  const shape = [B, H, T, D];
  it('without a mask', () => {
    assertClose(F.scaledDotProductAttention(t64(q, shape), t64(k, shape), t64(v, shape)), reference(() => 0), 1e-12);
  });
  it('with an additive float mask broadcast over heads and queries', () => {
    const maskValues = [0, -1e9, -0.5];
    const mask = t64(maskValues, [1, 1, 1, T]);
    assertClose(F.scaledDotProductAttention(t64(q, shape), t64(k, shape), t64(v, shape), { attnMask: mask }), reference((_h, _i, j) => maskValues[j]), 1e-12);
  });
  it('with a bool mask (true = attend) and causally', () => {
    const keep = torch.tensor([[[[true, true, false]]]], { device });
    assertClose(F.scaledDotProductAttention(t64(q, shape), t64(k, shape), t64(v, shape), { attnMask: keep }), reference((_h, _i, j) => (j === 2 ? -Infinity : 0)), 1e-12);
    assertClose(F.scaledDotProductAttention(t64(q, shape), t64(k, shape), t64(v, shape), { isCausal: true }), reference((_h, i, j) => (j > i ? -Infinity : 0)), 1e-12);
  });
  it('dropout applies only when training', () => {
    const args = [t64(q, shape), t64(k, shape), t64(v, shape)] as const;
    assertClose(F.scaledDotProductAttention(...args, { dropoutP: 0.9, training: false }), reference(() => 0), 1e-12);
    torch.manualSeed(0);
    const dropped = F.scaledDotProductAttention(...args, { dropoutP: 0.9 }).toArray();
    assert.notDeepEqual(dropped, reference(() => 0));
  });
});
