// Autograd basics, grad modes, autocast and scope()/keep()/dispose() lifetimes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '@tunelab/torch';
import { TensorDisposedError, TorchError, type Tensor } from '@tunelab/torch';
import { assertClose, device, f64 } from './helpers.js';

describe('autograd', () => {
  it('backward accumulates into leaves; isLeaf, gradFn, retainGrad', () => {
    const x = f64([1, 2, 3], true);
    const y = x.mul(x).retainGrad();
    assert.equal(x.isLeaf, true);
    assert.equal(y.isLeaf, false);
    assert.equal(y.gradFn, 'MulBackward0');
    y.sum().backward();
    assert.deepEqual(x.grad?.tolist(), [2, 4, 6]);
    assert.deepEqual(y.grad?.tolist(), [1, 1, 1]);
    x.mul(3).sum().backward();
    assert.deepEqual(x.grad?.tolist(), [5, 7, 9], 'gradients accumulate');
    x.grad = null;
    assert.equal(x.grad, null);
  });
  it('backward with an explicit gradient and retainGraph', () => {
    const x = f64([1, 2], true);
    const y = x.exp();
    y.backward(f64([1, 0.5]), { retainGraph: true });
    y.backward(f64([1, 0.5]));
    assertClose(x.grad!, [2 * Math.exp(1), Math.exp(2)], 1e-12);
  });
  it('requiresGrad setter and requiresGrad_', () => {
    const t = torch.zeros([2], { device });
    assert.equal(t.requiresGrad, false);
    t.requiresGrad = true;
    assert.equal(t.requiresGrad, true);
    assert.equal(t.requiresGrad_(false), t);
    assert.equal(t.requiresGrad, false);
  });
});

describe('grad modes', () => {
  it('noGrad records nothing and restores the mode, also after a throw', () => {
    const x = f64([1], true);
    const y = torch.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    assert.throws(() => torch.noGrad(() => { throw new Error('boom'); }), /boom/);
    assert.equal(torch.isGradEnabled(), true);
  });
  it('enableGrad inside noGrad; inferenceMode', () => {
    const x = f64([1], true);
    const y = torch.noGrad(() => torch.enableGrad(() => x.mul(2)));
    assert.equal(y.requiresGrad, true);
    const z = torch.inferenceMode(() => x.mul(2));
    assert.equal(z.requiresGrad, false);
    assert.equal(z.item(), 2);
  });
  it('callbacks returning a Promise are rejected', () => {
    assert.throws(() => torch.noGrad(async () => 1), TorchError);
    assert.equal(torch.isGradEnabled(), true);
    assert.throws(() => torch.scope(async () => 1), TorchError);
  });
});

describe('autocast', () => {
  const a = () => torch.ones([2, 2], { device }), b = () => torch.ones([2, 2], { device });
  const lowDtype = device === 'cpu' ? 'bfloat16' : 'float16';
  const castDevice = device === 'cpu' ? 'cpu' : 'cuda';
  it('runs eligible ops in the low-precision dtype inside the region only', () => {
    const inside = torch.autocast({ device: castDevice, dtype: lowDtype }, () => a().matmul(b()));
    assert.equal(inside.dtype, lowDtype);
    assert.deepEqual(inside.float().tolist(), [[2, 2], [2, 2]]);
    assert.equal(a().matmul(b()).dtype, 'float32');
    assert.equal(torch.isAutocastEnabled(castDevice), false);
  });
  it('nests, honours enabled: false, and restores the outer state', () => {
    torch.autocast({ device: castDevice, dtype: lowDtype }, () => {
      const off = torch.autocast({ device: castDevice, dtype: lowDtype, enabled: false }, () => a().matmul(b()));
      assert.equal(off.dtype, 'float32');
      assert.equal(torch.isAutocastEnabled(castDevice), true);
      assert.equal(a().matmul(b()).dtype, lowDtype);
    });
    assert.equal(torch.isAutocastEnabled(castDevice), false);
  });
  it('gradients flow to float32 leaves through autocast', () => {
    const w = torch.ones([2, 2], { device, requiresGrad: true });
    torch.autocast({ device: castDevice, dtype: lowDtype }, () => a().matmul(w).float().sum()).backward();
    assert.equal(w.grad?.dtype, 'float32');
    assert.deepEqual(w.grad?.tolist(), [[2, 2], [2, 2]]);
  });
  it('rejects an unknown device', () => {
    assert.throws(() => torch.autocast({ device: 'tpu' as 'cpu', dtype: 'bfloat16' }, () => 0), TorchError);
  });
});

describe('scope, keep, dispose', () => {
  it('disposes what fn created except what it returns (nested in arrays, objects, Maps)', () => {
    let inner: Tensor[] = [];
    const result = torch.scope(() => {
      const a = torch.ones([2]), b = a.add(1), c = b.mul(2), d = c.neg();
      inner = [a, b, c, d];
      return { list: [b], map: new Map([['c', c]]) };
    });
    assert.deepEqual(inner.map((t) => t.isDisposed), [true, false, false, true]);
    assert.deepEqual(result.list[0].tolist(), [2, 2]);
    assert.deepEqual(result.map.get('c')?.tolist(), [4, 4]);
  });
  it('keep() survives every scope; returned tensors move to the enclosing scope', () => {
    let kept: Tensor | undefined, passedUp: Tensor | undefined;
    torch.scope(() => {
      passedUp = torch.scope(() => {
        kept = torch.keep(torch.zeros([1]));
        return torch.ones([1]);
      });
      assert.equal(passedUp.isDisposed, false);
    });
    assert.equal(kept?.isDisposed, false);
    assert.equal(passedUp?.isDisposed, true);
    kept?.dispose();
  });
  it('disposes everything when fn throws', () => {
    let made: Tensor | undefined;
    assert.throws(() => torch.scope(() => { made = torch.ones([1]); throw new Error('fail'); }), /fail/);
    assert.equal(made?.isDisposed, true);
  });
  it('a disposed tensor throws TensorDisposedError and dispose() is idempotent', () => {
    const t = torch.ones([1]);
    t.dispose();
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.throws(() => t.add(1), TensorDisposedError);
    assert.throws(() => torch.ones([1]).add(t), TensorDisposedError);
    assert.throws(() => t.shape, TensorDisposedError);
    assert.equal(t.toString(), 'tensor(<disposed>)');
  });
  it('disposing a view leaves its base intact', () => {
    const base = torch.arange(4, { device });
    base.view(2, 2).dispose();
    assert.deepEqual(base.tolist(), [0, 1, 2, 3]);
  });
});
