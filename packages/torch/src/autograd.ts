// Grad mode, inference mode and autocast: thread-local libtorch state set around a synchronous callback.
import { TorchError } from './errors.js';
import { native } from './native.js';
import { isPromiseLike } from './scope.js';

function synchronous<T>(result: T, name: string): T {
  if (isPromiseLike(result)) {
    throw new TorchError(`${name}(fn): fn returned a Promise; this mode applies to synchronous code only (call it inside the async code)`);
  }
  return result;
}

function withGradMode<T>(enabled: boolean, fn: () => T, name: string): T {
  const previous = native.isGradEnabled();
  native.setGradEnabled(enabled);
  try {
    return synchronous(fn(), name);
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn without recording autograd history (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn, 'torch.noGrad');
}

/** Runs fn with autograd recording on, even inside noGrad (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn, 'torch.enableGrad');
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Runs fn in inference mode (torch.inference_mode): faster than noGrad; its tensors never enter autograd. */
export function inferenceMode<T>(fn: () => T): T {
  native.enterInferenceMode();
  try {
    return synchronous(fn(), 'torch.inferenceMode');
  } finally {
    native.exitInferenceMode();
  }
}

export interface AutocastOptions {
  device: 'cpu' | 'cuda';
  dtype: 'bfloat16' | 'float16';
  enabled?: boolean;
}

/** Runs fn under automatic mixed precision (torch.autocast): eligible ops (matmul, linear, ...) run in dtype. */
export function autocast<T>(options: AutocastOptions, fn: () => T): T {
  native.autocastEnter(options.device, options.dtype, options.enabled ?? true);
  try {
    return synchronous(fn(), 'torch.autocast');
  } finally {
    native.autocastExit();
  }
}

export function isAutocastEnabled(device: 'cpu' | 'cuda' = 'cuda'): boolean {
  return native.isAutocastEnabled(device);
}
