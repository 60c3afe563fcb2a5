// Every tensor op against values computed independently in JS (float64 references) or by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '@tunelab/torch';
import { assertClose, assertShape, device, erf, f32, f64, jsRandom } from './helpers.js';

const xs = [-2.5, -1, -0.3, 0, 0.4, 1.2, 3];

describe('elementwise unary ops', () => {
  const cases: [string, (t: torch.Tensor) => torch.Tensor, (x: number) => number, number[]?][] = [
    ['exp', (t) => t.exp(), Math.exp],
    ['log', (t) => t.log(), Math.log, [0.1, 1, 2.5, 10]],
    ['log1p', (t) => t.log1p(), Math.log1p, [0, 0.5, 3]],
    ['expm1', (t) => t.expm1(), Math.expm1],
    ['sqrt', (t) => t.sqrt(), Math.sqrt, [0, 0.25, 2, 9]],
    ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), [0.25, 2, 9]],
    ['abs', (t) => t.abs(), Math.abs],
    ['neg', (t) => t.neg(), (x) => -x],
    ['square', (t) => t.square(), (x) => x * x],
    ['reciprocal', (t) => t.reciprocal(), (x) => 1 / x, [-2, 0.5, 4]],
    ['sign', (t) => t.sign(), Math.sign],
    ['sin', (t) => t.sin(), Math.sin],
    ['cos', (t) => t.cos(), Math.cos],
    ['tanh', (t) => t.tanh(), Math.tanh],
    ['sigmoid', (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x))],
    ['relu', (t) => t.relu(), (x) => Math.max(0, x)],
    ['erf', (t) => t.erf(), erf],
    ['gelu', (t) => t.gelu(), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))],
    ['gelu tanh', (t) => t.gelu('tanh'), (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))],
    ['floor', (t) => t.floor(), Math.floor],
    ['ceil', (t) => t.ceil(), Math.ceil],
    ['trunc', (t) => t.trunc(), Math.trunc],
    ['round (half to even)', (t) => t.round(), (x) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x)), [-2.5, -0.4, 0.5, 1.5, 2.6]],
  ];
  for (const [name, op, reference, inputs = xs] of cases) {
    it(name, () => {
      assertClose(op(f64(inputs)), inputs.map(reference), 1e-12, name);
      assertClose(op(f32(inputs)), inputs.map(reference), 2e-6, `${name} float32`);
    });
  }
  it('clamp', () => {
    assert.deepEqual(f64(xs).clamp(-1, 1).toArray(), xs.map((x) => Math.min(1, Math.max(-1, x))));
    assert.deepEqual(f64(xs).clamp(0).toArray(), xs.map((x) => Math.max(0, x)));
    assert.deepEqual(f64(xs).clamp(null, 0).toArray(), xs.map((x) => Math.min(0, x)));
  });
  it('softmax and logSoftmax along a dim', () => {
    const rows = [[1, 2, 3], [-1, 0, 5]];
    const soft = rows.map((r) => { const m = Math.max(...r); const e = r.map((v) => Math.exp(v - m)); const s = e.reduce((a, b) => a + b); return e.map((v) => v / s); });
    assertClose(f64(rows).softmax(1), soft.flat(), 1e-12);
    assertClose(f64(rows).logSoftmax(-1), soft.flat().map(Math.log), 1e-12);
    const cols = [0, 1, 2].map((j) => { const c = [rows[0][j], rows[1][j]]; const e = c.map(Math.exp); const s = e[0] + e[1]; return e.map((v) => v / s); });
    assertClose(f64(rows).softmax(0), [cols[0][0], cols[1][0], cols[2][0], cols[0][1], cols[1][1], cols[2][1]], 1e-12);
  });
  it('isnan, isfinite, logical ops', () => {
    const t = torch.tensor([NaN, Infinity, 1], { dtype: 'float32', device });
    assert.deepEqual(t.isnan().tolist(), [1, 0, 0]);
    assert.deepEqual(t.isfinite().tolist(), [0, 0, 1]);
    const a = torch.tensor([true, true, false, false], { device }), b = torch.tensor([true, false, true, false], { device });
    assert.deepEqual(a.logicalAnd(b).tolist(), [1, 0, 0, 0]);
    assert.deepEqual(a.logicalOr(b).tolist(), [1, 1, 1, 0]);
    assert.deepEqual(a.logicalXor(b).tolist(), [0, 1, 1, 0]);
    assert.deepEqual(a.logicalNot().tolist(), [0, 0, 1, 1]);
    assert.deepEqual(a.logicalAnd(true).tolist(), [1, 1, 0, 0]);
    assert.equal(a.any().item(), 1);
    assert.equal(a.all().item(), 0);
  });
});

describe('binary ops', () => {
  const a = [1.5, -2, 3, 0.25], b = [2, 4, -1.5, 0.5];
  const cases: [string, (x: torch.Tensor, y: torch.Tensor) => torch.Tensor, (x: number, y: number) => number][] = [
    ['add', (x, y) => x.add(y), (x, y) => x + y],
    ['add alpha', (x, y) => x.add(y, 3), (x, y) => x + 3 * y],
    ['sub', (x, y) => x.sub(y), (x, y) => x - y],
    ['sub alpha', (x, y) => x.sub(y, 0.5), (x, y) => x - 0.5 * y],
    ['mul', (x, y) => x.mul(y), (x, y) => x * y],
    ['div', (x, y) => x.div(y), (x, y) => x / y],
    ['pow', (x, y) => x.abs().pow(y), (x, y) => Math.abs(x) ** y],
    ['remainder (sign of divisor)', (x, y) => x.remainder(y), (x, y) => x - Math.floor(x / y) * y],
    ['fmod (sign of dividend)', (x, y) => x.fmod(y), (x, y) => x % y],
    ['maximum', (x, y) => x.maximum(y), Math.max],
    ['minimum', (x, y) => x.minimum(y), Math.min],
  ];
  for (const [name, op, reference] of cases) {
    it(name, () => assertClose(op(f64(a), f64(b)), a.map((x, i) => reference(x, b[i])), 1e-12, name));
  }
  it('numbers on the right, with PyTorch type promotion', () => {
    assertClose(f64(a).add(1), a.map((x) => x + 1), 1e-12);
    assertClose(f64(a).mul(-0.5), a.map((x) => x * -0.5), 1e-12);
    assertClose(f64(a).pow(2), a.map((x) => x * x), 1e-12);
    assertClose(f64(a).div(4), a.map((x) => x / 4), 1e-12);
    const ints = torch.tensor([1, 2, 3], { device });
    assert.equal(ints.add(1).dtype, 'int64');
    assert.equal(ints.mul(0.5).dtype, 'float32');
    assert.deepEqual(ints.mul(0.5).tolist(), [0.5, 1, 1.5]);
    assert.equal(ints.div(2).dtype, 'float32'); // true division, like torch.div
    assert.equal(f32([1]).add(f64([1])).dtype, 'float64');
  });
  it('broadcasting', () => {
    const col = f64([[1], [2]]), row = f64([10, 20, 30]);
    assert.deepEqual(col.add(row).tolist(), [[11, 21, 31], [12, 22, 32]]);
    assert.deepEqual(col.mul(row).shape, [2, 3]);
  });
  it('comparisons return bool tensors', () => {
    const t = f32([1, 2, 3]);
    for (const [name, result, expected] of [
      ['eq', t.eq(2), [0, 1, 0]], ['ne', t.ne(2), [1, 0, 1]], ['lt', t.lt(2), [1, 0, 0]],
      ['le', t.le(2), [1, 1, 0]], ['gt', t.gt(2), [0, 0, 1]], ['ge', t.ge(f32([3, 2, 1])), [0, 1, 1]],
    ] as const) {
      assert.equal(result.dtype, 'bool', name);
      assert.deepEqual(result.tolist(), expected, name);
    }
  });
  it('matmul, mm and bmm against a JS matrix product', () => {
    const m = 3, k = 4, n = 2;
    const A = jsRandom(m * k, 3), B = jsRandom(k * n, 4);
    const C = Array.from({ length: m * n }, (_, idx) => {
      const i = Math.floor(idx / n), j = idx % n;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
      return s;
    });
    const tA = torch.fromTypedArray(Float64Array.from(A), [m, k], { device }), tB = torch.fromTypedArray(Float64Array.from(B), [k, n], { device });
    assertClose(tA.matmul(tB), C, 1e-12);
    assertClose(tA.mm(tB), C, 1e-12);
    assertClose(tA.unsqueeze(0).expand(2, m, k).bmm(tB.unsqueeze(0).expand(2, k, n)), [...C, ...C], 1e-12);
    assertClose(tA.unsqueeze(0).matmul(tB), C, 1e-12); // broadcast batch
    assertClose(tA.matmul(tB.select(1, 0)), C.filter((_, i) => i % n === 0), 1e-12); // matrix @ vector
  });
});

describe('shape and view ops', () => {
  const base = () => torch.arange(24, { device }).view(2, 3, 4);
  it('view, reshape, flatten, unsqueeze, squeeze', () => {
    assertShape(base().view([6, 4]), [6, 4]);
    assertShape(base().view(-1, 8), [3, 8]);
    assertShape(base().reshape(4, 6), [4, 6]);
    assert.deepEqual(base().flatten().toArray(), Array.from({ length: 24 }, (_, i) => i));
    assertShape(base().flatten(1), [2, 12]);
    assertShape(base().flatten(0, 1), [6, 4]);
    assertShape(base().unsqueeze(1), [2, 1, 3, 4]);
    assertShape(base().unsqueeze(-1), [2, 3, 4, 1]);
    assertShape(torch.zeros([1, 3, 1]).squeeze(), [3]);
    assertShape(torch.zeros([1, 3, 1]).squeeze(0), [3, 1]);
  });
  it('transpose, permute, t, contiguous, expand, repeat, flip', () => {
    const m = torch.tensor([[1, 2, 3], [4, 5, 6]], { device });
    assert.deepEqual(m.transpose(0, 1).tolist(), [[1, 4], [2, 5], [3, 6]]);
    assert.deepEqual(m.t().tolist(), [[1, 4], [2, 5], [3, 6]]);
    assert.equal(m.t().isContiguous(), false);
    assert.equal(m.t().contiguous().isContiguous(), true);
    assert.deepEqual(m.t().contiguous().stride(), [2, 1]);
    assertShape(base().permute(2, 0, 1), [4, 2, 3]);
    assert.equal(base().permute(2, 0, 1).select(0, 1).select(0, 1).select(0, 2).item(), 1 * 12 + 2 * 4 + 1);
    assert.deepEqual(torch.tensor([[1], [2]], { device }).expand(2, 3).tolist(), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(torch.tensor([1, 2], { device }).repeat(2).tolist(), [1, 2, 1, 2]);
    assert.deepEqual(m.flip(1).tolist(), [[3, 2, 1], [6, 5, 4]]);
  });
  it('slice with negative bounds and steps, select, narrow', () => {
    const v = torch.arange(10, { device });
    assert.deepEqual(v.slice(0, 2, 5).tolist(), [2, 3, 4]);
    assert.deepEqual(v.slice(0, -3).tolist(), [7, 8, 9]);
    assert.deepEqual(v.slice(0, 1, -1, 3).tolist(), [1, 4, 7]);
    assert.deepEqual(v.slice(0, 8, 100).tolist(), [8, 9]);
    const m = base();
    assert.deepEqual(m.slice(2, 1, 3).select(0, 1).tolist(), [[13, 14], [17, 18], [21, 22]]);
    assert.deepEqual(m.select(1, -1).tolist(), [[8, 9, 10, 11], [20, 21, 22, 23]]);
    assert.deepEqual(v.narrow(0, 3, 2).tolist(), [3, 4]);
  });
  it('indexSelect, gather, index, maskedFill, tril, triu', () => {
    const m = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', device });
    const idx = torch.tensor([2, 0], { device });
    assert.deepEqual(m.indexSelect(1, idx).tolist(), [[3, 1], [6, 4]]);
    assert.deepEqual(m.gather(1, torch.tensor([[0, 0], [2, 1]], { device })).tolist(), [[1, 1], [6, 5]]);
    assert.deepEqual(m.index(torch.tensor([1, 1, 0], { device })).tolist(), [[4, 5, 6], [4, 5, 6], [1, 2, 3]]);
    assert.deepEqual(m.index(m.gt(3)).tolist(), [4, 5, 6]);
    const mask = torch.tensor([[true, false, false], [false, false, true]], { device });
    assert.deepEqual(m.maskedFill(mask, -1).tolist(), [[-1, 2, 3], [4, 5, -1]]);
    assert.deepEqual(m.maskedFill(mask, -Infinity).toArray()[0], -Infinity);
    const sq = torch.ones([3, 3], { device });
    assert.deepEqual(sq.tril().tolist(), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
    assert.deepEqual(sq.triu(1).tolist(), [[0, 1, 1], [0, 0, 1], [0, 0, 0]]);
  });
  it('split and chunk', () => {
    const v = torch.arange(7, { device });
    assert.deepEqual(v.split(3).map((t) => t.tolist()), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(v.split([2, 5]).map((t) => t.tolist()), [[0, 1], [2, 3, 4, 5, 6]]);
    assert.deepEqual(v.chunk(2).map((t) => t.tolist()), [[0, 1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(base().chunk(3, 1).map((t) => t.shape), [[2, 1, 4], [2, 1, 4], [2, 1, 4]]);
  });
  it('views share storage, clone and detach', () => {
    const t = torch.zeros([4], { device });
    t.view(2, 2).select(0, 1).fill_(5);
    assert.deepEqual(t.tolist(), [0, 0, 5, 5]);
    const c = t.clone();
    c.fill_(1);
    assert.deepEqual(t.tolist(), [0, 0, 5, 5]);
    const g = torch.ones([2], { requiresGrad: true });
    assert.equal(g.detach().requiresGrad, false);
  });
});

describe('reductions', () => {
  const rows = [[1, 5, 2], [7, -3, 4]];
  it('sum and mean over all, one and several dims', () => {
    const t = f64(rows);
    assert.equal(t.sum().item(), 16);
    assert.deepEqual(t.sum(0).tolist(), [8, 2, 6]);
    assert.deepEqual(t.sum(1, true).tolist(), [[8], [8]]);
    assert.deepEqual(t.sum([0, 1]).item(), 16);
    assertClose(t.mean(), [16 / 6], 1e-12);
    assertClose(t.mean(-1), [8 / 3, 8 / 3], 1e-12);
    assert.equal(torch.tensor([true, true, false], { device }).sum().dtype, 'int64');
    assert.equal(torch.tensor([true, true, false], { device }).sum().item(), 2);
  });
  it('max, min, argmax, argmin', () => {
    const t = f64(rows);
    assert.equal(t.max().item(), 7);
    assert.equal(t.min().item(), -3);
    const { values, indices } = t.max(1);
    assert.deepEqual([values.tolist(), indices.tolist()], [[5, 7], [1, 0]]);
    const mins = t.min(0, true);
    assert.deepEqual([mins.values.tolist(), mins.indices.tolist()], [[[1, -3, 2]], [[0, 1, 0]]]);
    assert.equal(t.argmax().item(), 3);
    assert.deepEqual(t.argmax(1).tolist(), [1, 0]);
    assert.deepEqual(t.argmin(1, true).tolist(), [[0], [1]]);
  });
  it('topk and sort', () => {
    const t = f64([3, 1, 4, 1.5, 9, 2]);
    const top = t.topk(3);
    assert.deepEqual([top.values.tolist(), top.indices.tolist()], [[9, 4, 3], [4, 2, 0]]);
    const bottom = t.topk(2, -1, false);
    assert.deepEqual(bottom.values.tolist(), [1, 1.5]);
    const sorted = t.sort(0, true);
    assert.deepEqual(sorted.values.tolist(), [9, 4, 3, 2, 1.5, 1]);
    assert.deepEqual(sorted.indices.tolist(), [4, 2, 0, 5, 3, 1]);
  });
  it('var, std, norm, prod, cumsum', () => {
    const v = [2, 4, 4, 4, 5, 5, 7, 9];
    const mean = 5;
    const ss = v.reduce((a, x) => a + (x - mean) ** 2, 0);
    assertClose(f64(v).var(), [ss / 7], 1e-12);
    assertClose(f64(v).var(undefined, { correction: 0 }), [ss / 8], 1e-12);
    assertClose(f64(v).std(undefined, { correction: 0 }), [2], 1e-12);
    assertClose(f64(rows).var(1), [13 / 3, 79 / 3], 1e-12);
    assertClose(f64([3, 4]).norm(), [5], 1e-12);
    assertClose(f64([3, -4]).norm(1), [7], 1e-12);
    assertClose(f64(rows).norm(2, 1), [Math.hypot(1, 5, 2), Math.hypot(7, -3, 4)], 1e-12);
    assert.equal(f64([2, 3, 4]).prod().item(), 24);
    assert.deepEqual(f64([1, 2, 3]).cumsum(0).tolist(), [1, 3, 6]);
  });
});

describe('in-place ops', () => {
  it('copy_, fill_, zero_, add_, sub_, mul_, div_, clamp_, maskedFill_ return the same tensor', () => {
    const t = f64([1, 2, 3]);
    assert.equal(t.add_(1), t);
    assert.deepEqual(t.tolist(), [2, 3, 4]);
    t.add_(f64([1, 1, 1]), 2);
    assert.deepEqual(t.tolist(), [4, 5, 6]);
    t.sub_(1).mul_(2).div_(f64([2, 4, 5]));
    assert.deepEqual(t.tolist(), [3, 2, 2]);
    t.clamp_(2.5);
    assert.deepEqual(t.tolist(), [3, 2.5, 2.5]);
    t.maskedFill_(torch.tensor([false, true, false], { device }), 0);
    assert.deepEqual(t.tolist(), [3, 0, 2.5]);
    t.copy_(f32([7, 8, 9]));
    assert.deepEqual([t.dtype, t.tolist()], ['float64', [7, 8, 9]]);
    assert.deepEqual(t.fill_(2).tolist(), [2, 2, 2]);
    assert.deepEqual(t.zero_().tolist(), [0, 0, 0]);
    torch.manualSeed(1);
    const u = torch.zeros([1000], { device }).uniform_(-2, -1).toArray();
    assert.ok(u.every((x) => x >= -2 && x < -1));
    const n = torch.zeros([4000], { dtype: 'float64', device }).normal_(3, 0.5).toArray();
    assert.ok(Math.abs(n.reduce((a, b) => a + b) / n.length - 3) < 0.05);
  });
});
