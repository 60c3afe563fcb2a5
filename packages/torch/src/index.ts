// @tunelab/torch: PyTorch-shaped tensors, autograd, optimizers and checkpoint I/O on libtorch.
//   import * as torch from '@tunelab/torch';   import { Tensor, F, nn, optim } from '@tunelab/torch';
export { Tensor, type TensorOrNumber, type ValuesIndices } from './tensor.js';
export type { DType, Device, TensorOptions, Reduction, NestedArray } from './types.js';
export {
  tensor, fromTypedArray, zeros, ones, full, empty, zerosLike, onesLike, fullLike, randLike, randnLike,
  arange, linspace, eye, rand, randn, randint, randperm, bernoulli, cat, stack, where,
} from './creation.js';
export { noGrad, enableGrad, inferenceMode, isGradEnabled, autocast, isAutocastEnabled, type AutocastOptions } from './autograd.js';
export { scope, keep } from './scope.js';
export { manualSeed, getRngState, setRngState } from './random.js';
export {
  loadSafetensors, loadSafetensorsFromBuffer, loadSafetensorsIndex, saveSafetensors, readSafetensorsHeader,
  type LoadedSafetensors, type SafetensorsHeader, type SafetensorsEntry,
} from './safetensors.js';
export { loadPytorchBin } from './pytorch-bin.js';
export { setNumThreads, getNumThreads, buildInfo, type BuildInfo } from './build-info.js';
export * from './errors.js';
export * as errors from './errors.js';
export * as F from './functional.js';
export * as optim from './optim.js';
export * as nn from './nn.js';
export * as cuda from './cuda.js';
export * as distributed from './distributed.js';
