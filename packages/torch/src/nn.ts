// torch.nn utilities (modules are built by tunelab's models from Tensors and F).
import { native } from './native.js';
import { handleOf, Tensor } from './tensor.js';

/**
 * Scales the gradients of params in place so that their global normType-norm is at most maxNorm
 * (torch.nn.utils.clip_grad_norm_). Returns the total norm before clipping as a 0-dim tensor on the gradients'
 * device, as torch does: reading it (`.item()`) waits for the GPU, so a training loop reads it only when it logs.
 */
function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): Tensor {
  return new Tensor(native.clipGradNorm(params.map((p) => handleOf(p, 'clipGradNorm')), maxNorm, normType));
}

export const utils = { clipGradNorm };
