// Creation functions, dtypes, conversions and data export, against hand-computed values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '@tunelab/torch';
import { TorchError } from '@tunelab/torch';
import { assertClose, assertShape, device } from './helpers.js';

describe('torch.tensor', () => {
  it('infers shape and dtype like PyTorch', () => {
    const ints = torch.tensor([[1, 2, 3], [4, 5, 6]], { device });
    assert.equal(ints.dtype, 'int64');
    assertShape(ints, [2, 3]);
    assert.deepEqual(ints.tolist(), [[1, 2, 3], [4, 5, 6]]);
    assert.equal(torch.tensor([0.5, 1]).dtype, 'float32');
    assert.equal(torch.tensor([true, false]).dtype, 'bool');
    assert.equal(torch.tensor(3.5).ndim, 0);
    assert.equal(torch.tensor(3.5).item(), 3.5);
    assertShape(torch.tensor([]), [0]);
  });
  it('converts to the requested dtype', () => {
    assert.deepEqual(torch.tensor([1.7, -1.7], { dtype: 'int32' }).tolist(), [1, -1]);
    assert.equal(torch.tensor([0.1], { dtype: 'float32' }).item(), Math.fround(0.1));
    assert.equal(torch.tensor([0.1], { dtype: 'float64' }).item(), 0.1);
    assert.deepEqual(torch.tensor([2 ** 40 + 1], { dtype: 'int64' }).toTypedArray(), BigInt64Array.from([2n ** 40n + 1n]));
  });
  it('rejects ragged and mixed data', () => {
    assert.throws(() => torch.tensor([[1, 2], [3]]), TorchError);
    assert.throws(() => torch.tensor([1, true] as unknown as number[]), TorchError);
  });
  it('sets requiresGrad', () => {
    assert.equal(torch.tensor([1], { dtype: 'float32', requiresGrad: true }).requiresGrad, true);
  });
});

describe('torch.fromTypedArray', () => {
  it('reads each array type as its own dtype', () => {
    assert.equal(torch.fromTypedArray(new Float32Array([1.5]), [1]).dtype, 'float32');
    assert.equal(torch.fromTypedArray(new Float64Array([1.5]), [1]).dtype, 'float64');
    assert.equal(torch.fromTypedArray(new Int32Array([7]), [1]).dtype, 'int32');
    assert.equal(torch.fromTypedArray(new BigInt64Array([7n]), [1]).dtype, 'int64');
    assert.equal(torch.fromTypedArray(new Uint8Array([7]), [1]).dtype, 'uint8');
    const t = torch.fromTypedArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], { device });
    assert.deepEqual(t.tolist(), [[1, 2, 3], [4, 5, 6]]);
  });
  it('reads Uint16Array as raw float16 / bfloat16 bits', () => {
    // 1.0 = 0x3C00 (f16) = 0x3F80 (bf16); -2.0 = 0xC000 in both; 0.5 = 0x3800 (f16) = 0x3F00 (bf16)
    assert.deepEqual(torch.fromTypedArray(new Uint16Array([0x3c00, 0xc000, 0x3800]), [3], { dtype: 'float16' }).toArray(), [1, -2, 0.5]);
    const bf = torch.fromTypedArray(new Uint16Array([0x3f80, 0xc000, 0x3f00]), [3], { dtype: 'bfloat16' });
    assert.deepEqual(bf.toArray(), [1, -2, 0.5]);
    assert.deepEqual(bf.toTypedArray(), new Uint16Array([0x3f80, 0xc000, 0x3f00]));
    assert.throws(() => torch.fromTypedArray(new Uint16Array([1]), [1]), TorchError);
  });
  it('converts uint8 to bool and checks the element count', () => {
    assert.deepEqual(torch.fromTypedArray(new Uint8Array([0, 2, 1]), [3], { dtype: 'bool' }).tolist(), [0, 1, 1]);
    assert.throws(() => torch.fromTypedArray(new Float32Array(5), [2, 3]), /5 elements but shape \[2, 3\] needs 6/);
  });
});

describe('constant and range creation', () => {
  it('zeros, ones, full, empty, eye, linspace', () => {
    assert.deepEqual(torch.zeros([2, 2], { device }).tolist(), [[0, 0], [0, 0]]);
    assert.deepEqual(torch.ones(3, { dtype: 'int32' }).tolist(), [1, 1, 1]);
    const filled = torch.full([2], -1.5, { device });
    assert.deepEqual([filled.dtype, filled.tolist()], ['float32', [-1.5, -1.5]]);
    assert.equal(torch.full([1], true).dtype, 'bool');
    assert.equal(torch.full([1], 3, { dtype: 'int64' }).dtype, 'int64');
    assertShape(torch.empty([4, 0, 2]), [4, 0, 2]);
    assert.deepEqual(torch.eye(2).tolist(), [[1, 0], [0, 1]]);
    assertClose(torch.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  });
  it('*Like functions keep dtype and device', () => {
    const base = torch.tensor([[1, 2]], { dtype: 'float64', device });
    for (const made of [torch.zerosLike(base), torch.onesLike(base), torch.fullLike(base, 4)]) {
      assert.deepEqual([made.dtype, made.device, made.shape], ['float64', base.device, [1, 2]]);
    }
    assert.deepEqual(torch.fullLike(base, 4).tolist(), [[4, 4]]);
    assert.deepEqual(torch.onesLike(base).tolist(), [[1, 1]]);
  });
  it('arange follows Python semantics', () => {
    assert.deepEqual(torch.arange(4).tolist(), [0, 1, 2, 3]);
    assert.equal(torch.arange(4).dtype, 'int64');
    assert.deepEqual(torch.arange(2, 8, 3).tolist(), [2, 5]);
    assert.deepEqual(torch.arange(3, 0, -1).tolist(), [3, 2, 1]);
    const fractional = torch.arange(0, 1, 0.25, { device });
    assert.deepEqual([fractional.dtype, fractional.tolist()], ['float32', [0, 0.25, 0.5, 0.75]]);
    assert.equal(torch.arange(3, { dtype: 'float64' }).dtype, 'float64');
  });
  it('cat, stack and where', () => {
    const a = torch.tensor([[1, 2]], { device }), b = torch.tensor([[3, 4]], { device });
    assert.deepEqual(torch.cat([a, b]).tolist(), [[1, 2], [3, 4]]);
    assert.deepEqual(torch.cat([a, b], 1).tolist(), [[1, 2, 3, 4]]);
    assert.deepEqual(torch.stack([a, b], 0).shape, [2, 1, 2]);
    assert.deepEqual(torch.stack([a.view(2), b.view(2)], 1).tolist(), [[1, 3], [2, 4]]);
    const cond = torch.tensor([true, false, true], { device });
    const x = torch.tensor([1, 2, 3], { dtype: 'float32', device });
    assert.deepEqual(torch.where(cond, x, 0).tolist(), [1, 0, 3]);
    assert.deepEqual(torch.where(cond, -1, x).tolist(), [-1, 2, -1]);
    assert.deepEqual(torch.where(cond, x, x.neg()).tolist(), [1, -2, 3]);
  });
});

describe('random sampling', () => {
  it('rand, randn, randint, randperm, bernoulli have the right ranges and statistics', () => {
    torch.manualSeed(123);
    const u = torch.rand([20000], { device }).toArray();
    assert.ok(u.every((v) => v >= 0 && v < 1));
    assert.ok(Math.abs(u.reduce((a, b) => a + b) / u.length - 0.5) < 0.01);
    const n = torch.randn([20000], { dtype: 'float64', device }).toArray();
    const mean = n.reduce((a, b) => a + b) / n.length;
    const variance = n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length;
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean} variance ${variance}`);
    const ints = torch.randint(3, 7, [1000], { device });
    assert.equal(ints.dtype, 'int64');
    assert.deepEqual(new Set(ints.toArray()), new Set([3, 4, 5, 6]));
    assert.deepEqual(torch.randperm(10, { device }).toArray().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(torch.bernoulli(torch.tensor([0, 1, 0, 1], { dtype: 'float32', device })).tolist(), [0, 1, 0, 1]);
  });
  it('manualSeed reproduces and getRngState/setRngState resume exactly', () => {
    torch.manualSeed(7);
    const first = torch.randn([5]).toArray();
    torch.manualSeed(7);
    assert.deepEqual(torch.randn([5]).toArray(), first);
    const state = torch.getRngState();
    assert.ok(state instanceof Uint8Array && state.length > 0);
    const next = torch.rand([4]).toArray();
    torch.setRngState(state);
    assert.deepEqual(torch.rand([4]).toArray(), next);
    if (device !== 'cpu') {
      const cudaState = torch.getRngState(device);
      const onDevice = torch.rand([4], { device }).toArray();
      torch.setRngState(cudaState, device);
      assert.deepEqual(torch.rand([4], { device }).toArray(), onDevice);
    }
  });
});

describe('conversions and data export', () => {
  it('to(dtype), to(device) and the shorthand casts', () => {
    const t = torch.tensor([1.9, -0.5, 0], { dtype: 'float32', device });
    assert.deepEqual(t.long().tolist(), [1, 0, 0]);
    assert.deepEqual(t.int().dtype, 'int32');
    assert.deepEqual(t.bool().tolist(), [1, 1, 0]);
    assert.equal(t.double().dtype, 'float64');
    assert.equal(t.half().dtype, 'float16');
    assert.deepEqual(t.bfloat16().toArray(), [1.8984375, -0.5, 0]); // 1.9 rounded to bf16's 8-bit mantissa
    assert.equal(t.cpu().device, 'cpu');
    const both = t.to({ device: 'cpu', dtype: 'float64' });
    assert.deepEqual([both.device, both.dtype], ['cpu', 'float64']);
    if (device !== 'cpu') assert.match(t.cpu().cuda().device, /^cuda:\d+$/);
  });
  it('toTypedArray returns each dtype in its own array type', () => {
    assert.ok(torch.tensor([1], { dtype: 'float32' }).toTypedArray() instanceof Float32Array);
    assert.ok(torch.tensor([1], { dtype: 'float64' }).toTypedArray() instanceof Float64Array);
    assert.ok(torch.tensor([1]).toTypedArray() instanceof BigInt64Array);
    assert.ok(torch.tensor([1], { dtype: 'int32' }).toTypedArray() instanceof Int32Array);
    assert.ok(torch.tensor([true]).toTypedArray() instanceof Uint8Array);
    assert.deepEqual(torch.tensor([[1, 2], [3, 4]], { dtype: 'float32', device }).t().toTypedArray(), new Float32Array([1, 3, 2, 4]));
  });
  it('item, tolist, toString', () => {
    assert.equal(torch.tensor([[2.5]], { device }).item(), 2.5);
    assert.deepEqual(torch.zeros([2, 1, 2]).tolist(), [[[0, 0]], [[0, 0]]]);
    assert.equal(torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' }).toString(), 'tensor([[1., 2.], [3., 4.]])');
    assert.equal(torch.tensor([1, 2]).toString(), 'tensor([1, 2])');
    assert.equal(torch.tensor([0.5], { dtype: 'float64' }).toString(), 'tensor([0.5], dtype=float64)');
  });
});
