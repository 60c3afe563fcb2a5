// torch.nn.functional, camelCased: import { F } from '@tunelab/torch'.
import { native } from './native.js';
import { handleOf, optionalHandle, Tensor } from './tensor.js';
import type { Reduction } from './types.js';

export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native.linear(handleOf(x, 'F.linear'), handleOf(weight, 'F.linear'), optionalHandle(bias, 'F.linear')));
}

/** Rows of weight picked by ids; the row paddingIdx receives no gradient. */
export function embedding(ids: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  return new Tensor(native.embedding(handleOf(ids, 'F.embedding'), handleOf(weight, 'F.embedding'), paddingIdx ?? null));
}

export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return new Tensor(native.layer_norm(handleOf(x, 'F.layerNorm'), normalizedShape, optionalHandle(weight, 'F.layerNorm'),
    optionalHandle(bias, 'F.layerNorm'), eps));
}

export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return new Tensor(native.dropout(handleOf(x, 'F.dropout'), p, training));
}

export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return x.gelu(approximate);
}
export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}

export interface CrossEntropyOptions {
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: Reduction;
  weight?: Tensor | null;
}

/** logits [N, C] or [N, C, d...]; target class indices (int64) or class probabilities. */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  return new Tensor(native.cross_entropy(handleOf(logits, 'F.crossEntropy'), handleOf(target, 'F.crossEntropy'),
    optionalHandle(options.weight, 'F.crossEntropy'), options.reduction ?? 'mean', options.ignoreIndex ?? -100, options.labelSmoothing ?? 0));
}

export function nllLoss(logProbs: Tensor, target: Tensor, options: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  return new Tensor(native.nll_loss(handleOf(logProbs, 'F.nllLoss'), handleOf(target, 'F.nllLoss'), optionalHandle(options.weight, 'F.nllLoss'),
    options.reduction ?? 'mean', options.ignoreIndex ?? -100));
}

export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  return new Tensor(native.mse_loss(handleOf(input, 'F.mseLoss'), handleOf(target, 'F.mseLoss'), options.reduction ?? 'mean'));
}

export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor,
  options: { reduction?: Reduction; weight?: Tensor | null; posWeight?: Tensor | null } = {}): Tensor {
  return new Tensor(native.bce_with_logits(handleOf(input, 'F.binaryCrossEntropyWithLogits'), handleOf(target, 'F.binaryCrossEntropyWithLogits'),
    optionalHandle(options.weight, 'F.binaryCrossEntropyWithLogits'), optionalHandle(options.posWeight, 'F.binaryCrossEntropyWithLogits'),
    options.reduction ?? 'mean'));
}

export interface AttentionOptions {
  /** Additive float mask broadcastable to [B, H, Tq, Tk], or bool (true = attend). */
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  /** false turns dropout off (dropoutP applies only while training). */
  training?: boolean;
  /** Defaults to 1 / sqrt(head dim). */
  scale?: number;
}

/** softmax(q kᵀ · scale + mask) v over [B, H, T, D] tensors; native kernels on libtorch ≥ 2.0. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const dropoutP = options.training === false ? 0 : (options.dropoutP ?? 0);
  return new Tensor(native.scaled_dot_product_attention(handleOf(q, 'F.scaledDotProductAttention'), handleOf(k, 'F.scaledDotProductAttention'),
    handleOf(v, 'F.scaledDotProductAttention'), optionalHandle(options.attnMask, 'F.scaledDotProductAttention'), dropoutP,
    options.isCausal ?? false, options.scale ?? null));
}
