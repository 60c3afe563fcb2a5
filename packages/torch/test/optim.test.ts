// optim.AdamW against torch.optim.AdamW's own trajectory (fixtures/adamw-reference.json, written by PyTorch-Python)
// and a float64 reference of the update rule; nn.utils.clipGradNorm against a JS norm.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '@tunelab/torch';
import { nn, optim, TorchError, type Tensor } from '@tunelab/torch';
import { assertClose, device, jsRandom } from './helpers.js';

interface Reference {
  initial: number[][];
  shapes: number[][];
  steps: { grads: number[][]; params: number[][] }[];
  exp_avg_sq_final: number[][];
}
const reference = JSON.parse(readFileSync(new URL('./fixtures/adamw-reference.json', import.meta.url), 'utf8')) as Reference;
// Same libtorch, same single-tensor kernel sequence on the CPU: bit-identical; elsewhere (2.x lerp, CUDA foreach) ≤ 1 ulp-ish.
const exact = device === 'cpu' && torch.buildInfo().libtorch.startsWith('1.13');

function makeParams(): Tensor[] {
  return reference.initial.map((values, i) => torch.fromTypedArray(Float32Array.from(values), reference.shapes[i], { device, requiresGrad: true }));
}

function setGrads(params: Tensor[], grads: number[][]): void {
  params.forEach((p, i) => (p.grad = torch.fromTypedArray(Float32Array.from(grads[i]), reference.shapes[i], { device })));
}

function makeOptimizer(params: Tensor[], options: optim.AdamWOptions = {}): optim.AdamW {
  return new optim.AdamW([{ params: [params[0]], lr: 1e-2, weightDecay: 0.1 }, { params: [params[1]], lr: 5e-3, weightDecay: 0 }],
    { betas: [0.9, 0.99], eps: 1e-6, ...options });
}

function checkTrajectory(options: optim.AdamWOptions, tolerance: number): void {
  const params = makeParams();
  const opt = makeOptimizer(params, options);
  reference.steps.forEach((step, s) => {
    if (s === 3) opt.paramGroups[0].lr = 2e-3;
    setGrads(params, step.grads);
    opt.step();
    params.forEach((p, i) => {
      if (tolerance === 0) assert.deepEqual(p.toArray(), step.params[i], `step ${s} param ${i}`);
      else assertClose(p, step.params[i], tolerance, `step ${s} param ${i}`);
    });
  });
  const state = opt.stateDict().state;
  assert.deepEqual(state.map((s) => s.step), [5, 5]);
  state.forEach((s, i) => assertClose(s.exp_avg_sq, reference.exp_avg_sq_final[i], tolerance || 1e-7));
}

describe('optim.AdamW', () => {
  it('matches torch.optim.AdamW step for step (param groups, lr changed mid-run)', () => checkTrajectory({}, exact ? 0 : 1e-6));
  it('the foreach path gives the same numbers', () => checkTrajectory({ foreach: true }, 1e-6));
  it('the fused path gives the same numbers (libtorch kernel, or on older CPU builds the binding loop)', () => {
    const [major, minor] = torch.buildInfo().libtorch.split('.').map(Number);
    assert.equal(optim.AdamW.fusedAvailable('cpu'), true);
    if (device !== 'cpu' && major * 100 + minor < 201) {
      assert.throws(() => makeOptimizer(makeParams(), { fused: true }), /fused on cuda needs libtorch >= 2.1/);
    } else {
      checkTrajectory({ fused: true }, 1e-6);
    }
  });
  it('the fused path follows the single-tensor path on a large parameter, in float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      // More elements than one parallel chunk (2^15), and a length that is no multiple of a vector width.
      const values = jsRandom(100_003, 7);
      const params = [false, true].map(() => torch.fromTypedArray(Float64Array.from(values), [values.length], { device, requiresGrad: true }).to(dtype));
      params.forEach((p) => p.requiresGrad_());
      const [single, fused] = params.map((p, i) => new optim.AdamW([p], { lr: 1e-2, weightDecay: 0.05, fused: i === 1 }));
      for (let step = 1; step <= 4; step++) {
        const grad = Float64Array.from(jsRandom(values.length, 100 + step));
        params.forEach((p) => (p.grad = torch.fromTypedArray(grad, [values.length], { device }).to(dtype)));
        single.step();
        fused.step();
      }
      const [a, b] = params.map((p) => p.toArray() as number[]);
      const worst = a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
      assert.ok(worst <= (dtype === 'float32' ? 1e-6 : 1e-14), `${dtype}: worst difference ${worst}`);
      assert.ok(a.some((v, i) => v !== values[i]), 'the parameters moved');
    }
  });

  it('follows the AdamW update rule exactly in float64', () => {
    const lr = 0.05, [b1, b2] = [0.8, 0.95], eps = 1e-3, wd = 0.2;
    const p = torch.fromTypedArray(Float64Array.from([1, -2, 0.5]), [3], { device, requiresGrad: true });
    const opt = new optim.AdamW([p], { lr, betas: [b1, b2], eps, weightDecay: wd });
    let expected = [1, -2, 0.5], m = [0, 0, 0], v = [0, 0, 0];
    for (let step = 1; step <= 4; step++) {
      const g = jsRandom(3, step);
      p.grad = torch.fromTypedArray(Float64Array.from(g), [3], { device });
      opt.step();
      expected = expected.map((x, i) => {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** step) + eps;
        return x * (1 - lr * wd) - (lr / (1 - b1 ** step)) * (m[i] / denom);
      });
      assertClose(p, expected, 1e-12, `step ${step}`);
    }
  });

  it('skips parameters without gradients and zeroGrad drops or zeroes them', () => {
    const params = makeParams();
    const opt = makeOptimizer(params);
    params[0].grad = torch.onesLike(params[0]);
    opt.step();
    assert.deepEqual(params[1].toArray(), reference.initial[1]);
    assert.deepEqual(opt.stateDict().state.map((s) => s.step), [1, 0]);
    opt.zeroGrad(false);
    assert.deepEqual(params[0].grad?.toArray(), [0, 0, 0, 0, 0, 0]);
    opt.zeroGrad();
    assert.equal(params[0].grad, null);
  });

  it('stateDict / loadStateDict resume gives the uninterrupted trajectory', () => {
    const params = makeParams();
    const opt = makeOptimizer(params);
    reference.steps.slice(0, 3).forEach((step) => (setGrads(params, step.grads), opt.step()));
    const saved = opt.stateDict();
    const savedCopy = {
      ...saved,
      state: saved.state.map((s) => ({ step: s.step, exp_avg: s.exp_avg.clone(), exp_avg_sq: s.exp_avg_sq.clone() })),
    };
    const resumedParams = params.map((p) => p.detach().clone().requiresGrad_());
    const resumed = makeOptimizer(resumedParams, { lr: 0.5 });
    resumed.loadStateDict(savedCopy);
    assert.equal(resumed.paramGroups[1].lr, 5e-3);
    reference.steps.slice(3).forEach((step, s) => {
      if (s === 0) resumed.paramGroups[0].lr = 2e-3;
      setGrads(resumedParams, step.grads);
      resumed.step();
    });
    resumedParams.forEach((p, i) => assertClose(p, reference.steps[4].params[i], exact ? 0 : 1e-6));
    assert.throws(() => resumed.loadStateDict({ ...savedCopy, paramGroups: savedCopy.paramGroups.slice(1) }), TorchError);
  });

  it('rejects bad hyperparameters and duplicated parameters', () => {
    const p = torch.zeros([1], { requiresGrad: true });
    assert.throws(() => new optim.AdamW([p], { lr: -1 }), /invalid learning rate/);
    assert.throws(() => new optim.AdamW([p], { betas: [1, 0.9] }), /invalid beta1/);
    assert.throws(() => new optim.AdamW([{ params: [p] }, { params: [p] }]), /more than one param group/);
  });

  it('keeps its state alive when stepped inside a scope', () => {
    const p = torch.ones([2], { device, requiresGrad: true });
    const opt = new optim.AdamW([p]);
    torch.scope(() => {
      p.mul(3).sum().backward();
      opt.step();
    });
    assert.equal(opt.stateDict().state[0].exp_avg.isDisposed, false);
    assertClose(opt.stateDict().state[0].exp_avg, [0.3, 0.3], 1e-6);
  });
});

describe('nn.utils.clipGradNorm', () => {
  it('returns the total norm and scales gradients to maxNorm', () => {
    const a = torch.zeros([2], { dtype: 'float64', device, requiresGrad: true });
    const b = torch.zeros([1], { dtype: 'float64', device, requiresGrad: true });
    a.grad = torch.tensor([3, 4], { dtype: 'float64', device });
    b.grad = torch.tensor([12], { dtype: 'float64', device });
    const total = nn.utils.clipGradNorm([a, b], 6.5);
    assert.deepEqual(total.shape, [], 'a 0-dim tensor');
    assert.ok(total.device.startsWith(device), `on the gradients' device, got ${total.device}`);
    assert.equal(total.item(), 13);
    const coef = 6.5 / (13 + 1e-6);
    assertClose(a.grad, [3 * coef, 4 * coef], 1e-12);
    assertClose(b.grad, [12 * coef], 1e-12);
    assertClose([nn.utils.clipGradNorm([a, b], 100).item()], [13 * coef], 1e-12, 'already small: norm returned');
    assertClose(b.grad, [12 * coef], 1e-12, 'and gradients unchanged');
  });
  it('supports the infinity norm and ignores parameters without gradients', () => {
    const a = torch.zeros([3], { dtype: 'float64', device, requiresGrad: true });
    const none = torch.zeros([3], { dtype: 'float64', device, requiresGrad: true });
    a.grad = torch.tensor([1, -8, 2], { dtype: 'float64', device });
    assert.equal(nn.utils.clipGradNorm([a, none], 4, Infinity).item(), 8);
    assertClose(a.grad, [1, -8, 2].map((g) => (g * 4) / (8 + 1e-6)), 1e-12);
    assert.equal(nn.utils.clipGradNorm([none], 1).item(), 0);
  });
});
