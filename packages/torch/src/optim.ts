// torch.optim.AdamW: per-parameter state (step, exp_avg, exp_avg_sq) and param groups here; the update
// kernels (single-tensor on CPU, foreach on CUDA like PyTorch's defaults, or fused) are native.
import { TorchError } from './errors.js';
import { native, type Handle } from './native.js';
import { keep } from './scope.js';
import { full, zerosLike } from './creation.js';
import { handleOf, Tensor } from './tensor.js';
import type { Device } from './types.js';

export interface ParamGroup {
  params: Tensor[];
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /**
   * One pass over each parameter instead of eight: libtorch's fused kernel (CUDA from libtorch 2.1, CPU from 2.4), on
   * older CPU builds the binding's own loop with the same math. See fusedAvailable().
   */
  fused?: boolean;
  /** Force the multi-tensor (foreach) path on or off; default: on for CUDA parameters, like PyTorch. */
  foreach?: boolean;
}

export interface AdamWParamState {
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
}

export interface AdamWStateDict {
  /** One entry per parameter, in the flat order of paramGroups' params (empty before the first step). */
  state: AdamWParamState[];
  paramGroups: { lr: number; betas: [number, number]; eps: number; weightDecay: number; params: number[] }[];
}

interface ParamState extends AdamWParamState {
  /** float32 scalar on the parameter's device, for the fused kernel. */
  stepTensor?: Tensor;
}

type GroupSpec = { params: Tensor[]; lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number };

export class AdamW {
  readonly paramGroups: ParamGroup[];
  readonly defaults: Required<Omit<AdamWOptions, 'fused' | 'foreach'>>;
  private readonly fused: boolean;
  private readonly foreach: boolean | undefined;
  private readonly state = new Map<Tensor, ParamState>();

  /** Whether `fused` works for parameters on this device: always on the CPU, on CUDA with libtorch ≥ 2.1. */
  static fusedAvailable(device: Device = 'cuda'): boolean {
    return native.hasFusedAdamW(device === 'cpu' ? 'cpu' : 'cuda');
  }

  /** Whether this addon has the fused kernel that reads the learning rate from a device tensor (CUDA, libtorch ≥ 2.2). */
  static capturableAvailable(): boolean {
    return native.adamwFusedLrTensor !== undefined;
  }

  constructor(params: Tensor[] | GroupSpec[], options: AdamWOptions = {}) {
    this.defaults = { lr: options.lr ?? 1e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0.01 };
    validateHyper(this.defaults);
    this.fused = options.fused ?? false;
    this.foreach = options.foreach;
    const specs: GroupSpec[] = params.length > 0 && params[0] instanceof Tensor ? [{ params: params as Tensor[] }] : (params as GroupSpec[]);
    const seen = new Set<Tensor>();
    this.paramGroups = specs.map((spec, i) => {
      if (!Array.isArray(spec.params) || spec.params.some((p) => !(p instanceof Tensor))) throw new TorchError(`AdamW: param group ${i} needs params: Tensor[]`);
      for (const p of spec.params) {
        if (seen.has(p)) throw new TorchError(`AdamW: a parameter appears in more than one param group (group ${i})`);
        seen.add(p);
      }
      const group: ParamGroup = {
        params: spec.params,
        lr: spec.lr ?? this.defaults.lr,
        betas: spec.betas ?? this.defaults.betas,
        eps: spec.eps ?? this.defaults.eps,
        weightDecay: spec.weightDecay ?? this.defaults.weightDecay,
      };
      validateHyper(group);
      return group;
    });
    const device = this.paramGroups.find((g) => g.params.length > 0)?.params[0].device ?? 'cpu';
    if (this.fused && !AdamW.fusedAvailable(device)) {
      throw new TorchError(`AdamW: fused on ${device} needs libtorch >= 2.1 (this is ${native.buildInfo().libtorch})`);
    }
  }

  /** One AdamW update of every parameter that has a gradient; lr and weightDecay are read from the groups now. */
  step(): void {
    for (const group of this.paramGroups) {
      if (group.params.length === 0) continue;
      const handles = group.params.map((p) => handleOf(p, 'AdamW.step'));
      const withGrad = native.hasGrads(handles);
      const params: Handle[] = [], expAvgs: Handle[] = [], expAvgSqs: Handle[] = [], steps: number[] = [], stepTensors: Handle[] = [];
      group.params.forEach((param, i) => {
        if (!withGrad[i]) return;
        const state = this.stateFor(param);
        state.step += 1;
        params.push(handles[i]);
        expAvgs.push(handleOf(state.exp_avg, 'AdamW.step'));
        expAvgSqs.push(handleOf(state.exp_avg_sq, 'AdamW.step'));
        steps.push(state.step);
        if (this.fused) {
          state.stepTensor ??= keep(full([], state.step - 1, { dtype: 'float32', device: param.device }));
          stepTensors.push(handleOf(state.stepTensor, 'AdamW.step'));
        }
      });
      if (params.length === 0) continue;
      const [beta1, beta2] = group.betas;
      if (this.fused) native.adamwFused(params, expAvgs, expAvgSqs, stepTensors, group.lr, beta1, beta2, group.eps, group.weightDecay);
      else if (this.foreach ?? group.params[0].device !== 'cpu') native.adamwForeach(params, expAvgs, expAvgSqs, steps, group.lr, beta1, beta2, group.eps, group.weightDecay);
      else native.adamwSingle(params, expAvgs, expAvgSqs, steps, group.lr, beta1, beta2, group.eps, group.weightDecay);
    }
  }

  /**
   * The fused update with the learning rate read from `lr` (a float32 scalar on the parameters' device) and the step
   * counts kept on the device: nothing passes between host and device, so a CUDA graph can capture it and each replay
   * takes one more step (PyTorch's capturable fused AdamW). Needs `fused` and one eager step() first (the state).
   * The host's step counts do not follow replays: stateDict() reads them from the device.
   */
  capturableStep(lr: Tensor): void {
    const update = native.adamwFusedLrTensor;
    if (update === undefined) {
      throw new TorchError(`AdamW.capturableStep needs a CUDA build of libtorch >= 2.2 (this is ${native.buildInfo().libtorch})`);
    }
    if (!this.fused) throw new TorchError('AdamW.capturableStep needs fused: true');
    for (const group of this.paramGroups) {
      const hasGrad = native.hasGrads(group.params.map((p) => handleOf(p, 'AdamW.capturableStep')));
      const withGrad = group.params.filter((_, i) => hasGrad[i]);
      const states = withGrad.map((param) => this.state.get(param));
      if (states.some((state) => state?.stepTensor === undefined)) {
        throw new TorchError('AdamW.capturableStep: take one step() first (it creates the state)');
      }
      if (withGrad.length === 0) continue;
      const [beta1, beta2] = group.betas;
      update(
        withGrad.map((p) => handleOf(p, 'AdamW.capturableStep')),
        states.map((s) => handleOf(s!.exp_avg, 'AdamW.capturableStep')),
        states.map((s) => handleOf(s!.exp_avg_sq, 'AdamW.capturableStep')),
        states.map((s) => handleOf(s!.stepTensor!, 'AdamW.capturableStep')),
        handleOf(lr, 'AdamW.capturableStep'), beta1, beta2, group.eps, group.weightDecay,
      );
    }
  }

  /** Drops every gradient (PyTorch's default set_to_none=True); setToNone=false zeroes them in place. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const param of group.params) {
        const handle = handleOf(param, 'AdamW.zeroGrad');
        if (setToNone) native.setGrad(handle, null);
        else {
          const grad = native.grad(handle);
          if (grad !== null) native.zero_(grad);
        }
      }
    }
  }

  /** The live state tensors (not copies, like PyTorch) and the groups' hyperparameters. */
  stateDict(): AdamWStateDict {
    const flat = this.paramGroups.flatMap((g) => g.params);
    const state = this.state.size === 0 ? [] : flat.map((p) => {
      const s = this.stateFor(p);
      // The fused kernel counts on the device (capturableStep's replays advance only that count).
      return { step: s.stepTensor ? s.stepTensor.item() : s.step, exp_avg: s.exp_avg, exp_avg_sq: s.exp_avg_sq };
    });
    let index = 0;
    const paramGroups = this.paramGroups.map((g) => ({
      lr: g.lr, betas: [g.betas[0], g.betas[1]] as [number, number], eps: g.eps, weightDecay: g.weightDecay,
      params: g.params.map(() => index++),
    }));
    return { state, paramGroups };
  }

  /** Restores state saved by stateDict() (values are copied into this optimizer's own tensors). */
  loadStateDict(stateDict: AdamWStateDict): void {
    const flat = this.paramGroups.flatMap((g) => g.params);
    if (stateDict.paramGroups.length !== this.paramGroups.length) {
      throw new TorchError(`AdamW.loadStateDict: ${stateDict.paramGroups.length} param groups given, optimizer has ${this.paramGroups.length}`);
    }
    stateDict.paramGroups.forEach((saved, i) => {
      const group = this.paramGroups[i];
      if (saved.params.length !== group.params.length) {
        throw new TorchError(`AdamW.loadStateDict: param group ${i} has ${saved.params.length} params, optimizer's has ${group.params.length}`);
      }
      Object.assign(group, { lr: saved.lr, betas: [saved.betas[0], saved.betas[1]], eps: saved.eps, weightDecay: saved.weightDecay });
    });
    if (stateDict.state.length === 0) return;
    if (stateDict.state.length !== flat.length) {
      throw new TorchError(`AdamW.loadStateDict: state has ${stateDict.state.length} entries, optimizer has ${flat.length} params`);
    }
    flat.forEach((param, i) => {
      const saved = stateDict.state[i];
      const own = this.stateFor(param);
      for (const key of ['exp_avg', 'exp_avg_sq'] as const) {
        if (saved[key].shape.join() !== own[key].shape.join()) {
          throw new TorchError(`AdamW.loadStateDict: state ${i}.${key} has shape [${saved[key].shape}], parameter has [${own[key].shape}]`);
        }
        own[key].copy_(saved[key]);
      }
      own.step = saved.step;
      own.stepTensor?.fill_(saved.step);
    });
  }

  private stateFor(param: Tensor): ParamState {
    let state = this.state.get(param);
    if (state === undefined) {
      // Zeros created lazily, like PyTorch; keep() takes them out of any enclosing scope.
      state = { step: 0, exp_avg: keep(zerosLike(param)), exp_avg_sq: keep(zerosLike(param)) };
      this.state.set(param, state);
    }
    return state;
  }
}

function validateHyper(h: { lr: number; betas: [number, number]; eps: number; weightDecay: number }): void {
  if (!(h.lr >= 0)) throw new TorchError(`AdamW: invalid learning rate ${h.lr}`);
  if (!(h.eps >= 0)) throw new TorchError(`AdamW: invalid epsilon ${h.eps}`);
  if (!(h.betas[0] >= 0 && h.betas[0] < 1)) throw new TorchError(`AdamW: invalid beta1 ${h.betas[0]}`);
  if (!(h.betas[1] >= 0 && h.betas[1] < 1)) throw new TorchError(`AdamW: invalid beta2 ${h.betas[1]}`);
  if (!(h.weightDecay >= 0)) throw new TorchError(`AdamW: invalid weight decay ${h.weightDecay}`);
}
