// Loads the compiled addon (build/Release/tunelab_torch.node) and types its functions.
// Only files of this package import it: native handles never leave @tunelab/torch.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TorchError } from './errors.js';

/** An opaque reference to a libtorch tensor. */
export type Handle = { readonly __tensorHandle: unique symbol };
type H = Handle;
/** An opaque reference to an at::cuda::CUDAGraph. */
export type GraphHandle = { readonly __cudaGraphHandle: unique symbol };
type Num = number;
type OptNum = number | null | undefined;
type Str = string | null | undefined;
type TensorOrNum = H | number | boolean;
type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Int16Array | Int8Array;

export interface NativeBuildInfo {
  libtorch: string; config: string; parallelInfo: string; threads: number; interopThreads: number;
  mkldnn: boolean; mkl: boolean; openmp: boolean; lapack: boolean; cxx11Abi: boolean;
  cudaAvailable: boolean; cudaVersion: number | null; cudnnVersion: number | null;
}

type Unary = (t: H) => H;
type Binary = (t: H, o: TensorOrNum) => H;
type InPlace = (t: H, o: TensorOrNum) => void;

export interface NativeBinding {
  withCudaUtils: boolean;
  setErrorClass(cls: new (message: string) => Error): void;
  dispose(h: H): void;
  isLive(h: H): boolean;
  // creation
  fromTypedArray(data: TypedData, shape: Num[], sourceDtype: string, dtype: Str, device: Str): H;
  zeros(shape: Num[], dtype: Str, device: Str): H;
  ones(shape: Num[], dtype: Str, device: Str): H;
  empty(shape: Num[], dtype: Str, device: Str): H;
  full(shape: Num[], value: number | boolean, dtype: Str, device: Str): H;
  zerosLike: Unary; onesLike: Unary; randLike: Unary; randnLike: Unary;
  fullLike(t: H, value: number | boolean): H;
  arange(start: Num, end: Num, step: Num, dtype: Str, device: Str): H;
  rand(shape: Num[], dtype: Str, device: Str): H;
  randn(shape: Num[], dtype: Str, device: Str): H;
  randint(low: Num, high: Num, shape: Num[], dtype: Str, device: Str): H;
  randperm(n: Num, dtype: Str, device: Str): H;
  bernoulli: Unary;
  cat(ts: H[], dim: Num): H;
  stack(ts: H[], dim: Num): H;
  where(cond: H, a: TensorOrNum, b: TensorOrNum): H;
  eye(n: Num, dtype: Str, device: Str): H;
  linspace(start: Num, end: Num, steps: Num, dtype: Str, device: Str): H;
  // metadata and data
  shape(t: H): number[]; stride(t: H): number[]; dtype(t: H): string; device(t: H): string;
  ndim(t: H): number; numel(t: H): number; isContiguous(t: H): boolean;
  requiresGrad(t: H): boolean; setRequiresGrad(t: H, flag: boolean): void; isLeaf(t: H): boolean;
  grad(t: H): H | null; setGrad(t: H, g: H | null): void; gradFn(t: H): string | null; retainGrad(t: H): void;
  backward(t: H, gradient: H | null, retainGraph: boolean | null, createGraph: boolean | null): void;
  item(t: H): number;
  toTypedArray(t: H): TypedData;
  toFloat64Array(t: H): Float64Array;
  toBytes(t: H): Buffer;
  to(t: H, dtype: Str, device: Str, copy: boolean | null): H;
  sameTensor(a: H, b: H): boolean;
  dataPtr(t: H): number;
  // pointwise
  neg: Unary; exp: Unary; log: Unary; sqrt: Unary; rsqrt: Unary; abs: Unary; tanh: Unary; sigmoid: Unary; relu: Unary;
  sin: Unary; cos: Unary; square: Unary; floor: Unary; ceil: Unary; round: Unary; sign: Unary; reciprocal: Unary;
  log1p: Unary; expm1: Unary; erf: Unary; logical_not: Unary; isnan: Unary; isfinite: Unary; trunc: Unary;
  contiguous: Unary; clone: Unary; detach: Unary; t: Unary; any: Unary; all: Unary;
  mul: Binary; div: Binary; pow: Binary; eq: Binary; ne: Binary; lt: Binary; le: Binary; gt: Binary; ge: Binary;
  remainder: Binary; fmod: Binary; logical_and: Binary; logical_or: Binary; logical_xor: Binary;
  add(t: H, o: TensorOrNum, alpha: OptNum): H;
  sub(t: H, o: TensorOrNum, alpha: OptNum): H;
  maximum(a: H, b: H): H; minimum(a: H, b: H): H; matmul(a: H, b: H): H; bmm(a: H, b: H): H; mm(a: H, b: H): H;
  clamp(t: H, min: OptNum, max: OptNum): H;
  gelu(t: H, approximate: string): H;
  softmax(t: H, dim: Num): H; log_softmax(t: H, dim: Num): H;
  masked_fill(t: H, mask: H, value: TensorOrNum): H;
  copy_(t: H, src: H): void; fill_(t: H, v: number | boolean): void; zero_(t: H): void;
  mul_: InPlace; div_: InPlace;
  add_(t: H, o: TensorOrNum, alpha: OptNum): void; sub_(t: H, o: TensorOrNum, alpha: OptNum): void;
  clamp_(t: H, min: OptNum, max: OptNum): void; masked_fill_(t: H, mask: H, v: number | boolean): void;
  uniform_(t: H, from: Num, to: Num): void; normal_(t: H, mean: Num, std: Num): void;
  // shape and reductions
  view(t: H, shape: Num[]): H; reshape(t: H, shape: Num[]): H; expand(t: H, shape: Num[]): H; permute(t: H, dims: Num[]): H;
  repeat(t: H, r: Num[]): H; flip(t: H, dims: Num[]): H;
  flatten(t: H, start: Num, end: Num): H; unsqueeze(t: H, dim: Num): H; squeeze(t: H, dim: OptNum): H;
  transpose(t: H, d0: Num, d1: Num): H;
  slice(t: H, dim: Num, start: Num, end: OptNum, step: Num): H;
  select(t: H, dim: Num, index: Num): H; narrow(t: H, dim: Num, start: Num, length: Num): H;
  index_select(t: H, dim: Num, index: H): H; gather(t: H, dim: Num, index: H): H; index(t: H, index: H): H;
  tril(t: H, diagonal: Num): H; triu(t: H, diagonal: Num): H;
  split(t: H, sizes: Num | Num[], dim: Num): H[]; chunk(t: H, n: Num, dim: Num): H[];
  sum(t: H, dim: Num[] | null, keepdim: boolean): H; mean(t: H, dim: Num[] | null, keepdim: boolean): H;
  var(t: H, dim: Num[] | null, correction: Num, keepdim: boolean): H;
  norm(t: H, p: Num, dim: Num[] | null, keepdim: boolean): H;
  prod: Unary; cumsum(t: H, dim: Num): H;
  max(t: H, dim: OptNum, keepdim: boolean): H | [H, H]; min(t: H, dim: OptNum, keepdim: boolean): H | [H, H];
  argmax(t: H, dim: OptNum, keepdim: boolean): H; argmin(t: H, dim: OptNum, keepdim: boolean): H;
  topk(t: H, k: Num, dim: Num, largest: boolean, sorted: boolean): [H, H];
  sort(t: H, dim: Num, descending: boolean): [H, H];
  // nn
  linear(x: H, w: H, b: H | null): H;
  embedding(ids: H, w: H, paddingIdx: OptNum): H;
  layer_norm(x: H, shape: Num[], w: H | null, b: H | null, eps: Num): H;
  dropout(x: H, p: Num, training: boolean): H;
  cross_entropy(logits: H, target: H, weight: H | null, reduction: string, ignoreIndex: Num, labelSmoothing: Num): H;
  nll_loss(logp: H, target: H, weight: H | null, reduction: string, ignoreIndex: Num): H;
  mse_loss(a: H, b: H, reduction: string): H;
  bce_with_logits(a: H, b: H, weight: H | null, posWeight: H | null, reduction: string): H;
  scaled_dot_product_attention(q: H, k: H, v: H, mask: H | null, dropoutP: Num, isCausal: boolean, scale: OptNum): H;
  // optim
  hasGrads(params: H[]): boolean[];
  adamwSingle(p: H[], m: H[], v: H[], steps: Num[], lr: Num, b1: Num, b2: Num, eps: Num, wd: Num): void;
  adamwForeach(p: H[], m: H[], v: H[], steps: Num[], lr: Num, b1: Num, b2: Num, eps: Num, wd: Num): void;
  adamwFused(p: H[], m: H[], v: H[], stepTensors: H[], lr: Num, b1: Num, b2: Num, eps: Num, wd: Num): void;
  hasFusedAdamW(device: 'cpu' | 'cuda'): boolean;
  clipGradNorm(params: H[], maxNorm: Num, normType: Num): H;
  // state
  isGradEnabled(): boolean; setGradEnabled(on: boolean): void;
  enterInferenceMode(): void; exitInferenceMode(): void; isInferenceMode(): boolean;
  autocastEnter(device: string, dtype: string, enabled: boolean): void; autocastExit(): void;
  isAutocastEnabled(device: string): boolean;
  manualSeed(seed: Num): void;
  getRngState(device: Str): Uint8Array; setRngState(state: Uint8Array, device: Str): void;
  setNumThreads(n: Num): void; getNumThreads(): number;
  cudaIsAvailable(): boolean; cudaDeviceCount(): number; cudaSynchronize(device: OptNum): void;
  cudaMemoryAllocated?(device: Str | number): number; cudaMaxMemoryAllocated?(device: Str | number): number;
  cudaMemoryReserved?(device: Str | number): number; cudaResetPeakMemoryStats?(device: Str | number): void;
  cudaEmptyCache?(): void;
  // CUDA graphs (native/cuda_graph.cpp): CUDA builds against libtorch >= 2.0 only
  cudaGraphCreate?(): GraphHandle; cudaGraphCaptureBegin?(graph: GraphHandle, pool: [number, number] | null): void;
  cudaGraphCaptureEnd?(graph: GraphHandle): void; cudaGraphReplay?(graph: GraphHandle): void;
  cudaGraphReset?(graph: GraphHandle): void; cudaGraphPool?(graph: GraphHandle): [number, number];
  adamwFusedLrTensor?(params: H[], expAvgs: H[], expAvgSqs: H[], stepTensors: H[], lr: H, beta1: Num, beta2: Num, eps: Num, weightDecay: Num): void;
  buildInfo(): NativeBuildInfo;
  // serialization
  readFileBytes(path: string, offset: Num, length: Num): H;
  viewBytesAs(bytes: H, begin: Num, end: Num, dtype: string, shape: Num[]): H;
  viewStorage(bytes: H, dtype: string, storageOffset: Num, shape: Num[], strides: Num[]): H;
}

function findAddon(): string {
  const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const candidates = [join(packageRoot, 'build', 'Release', 'tunelab_torch.node'), join(packageRoot, 'build', 'Debug', 'tunelab_torch.node')];
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new TorchError(`the @tunelab/torch addon is not built (looked for ${candidates[0]}): run \`npm run build -w @tunelab/torch\``);
  }
  return found;
}

const require = createRequire(import.meta.url);
export const native = require(findAddon()) as NativeBinding;
native.setErrorClass(TorchError);
