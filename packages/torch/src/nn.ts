// torch.nn utilities (modules are built by tunelab's models from Tensors and F).
import { native } from './native.js';
import { handleOf, type Tensor } from './tensor.js';

/**
 * Scales the gradients of params in place so that their global normType-norm is at most maxNorm
 * (torch.nn.utils.clip_grad_norm_). Returns the total norm before clipping.
 */
function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): number {
  return native.clipGradNorm(params.map((p) => handleOf(p, 'clipGradNorm')), maxNorm, normType);
}

export const utils = { clipGradNorm };
