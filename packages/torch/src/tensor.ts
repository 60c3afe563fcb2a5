// Tensor: a PyTorch-shaped wrapper around one libtorch tensor handle.
// Every op returns a new Tensor (registered with the innermost scope()); in-place ops (name_) return `this`.
import { TensorDisposedError, TorchError } from './errors.js';
import { native, type Handle } from './native.js';
import { setTensorPredicate, track, type Scoped } from './scope.js';
import { isDType, type DType, type Device, type NestedArray } from './types.js';

export type TensorOrNumber = Tensor | number;
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

let handleOfImpl: (tensor: Tensor, operation: string) => Handle;

/** The native handle of a tensor (for modules of this package only; throws TensorDisposedError). */
export function handleOf(tensor: Tensor, operation = 'tensor'): Handle {
  if (!(tensor instanceof Tensor)) throw new TorchError(`${operation}: expected a Tensor, got ${describe(tensor)}`);
  return handleOfImpl(tensor, operation);
}

/** Tensor or number argument → what the native layer takes. */
export function operand(value: TensorOrNumber | boolean, operation: string): Handle | number | boolean {
  if (value instanceof Tensor) return handleOfImpl(value, operation);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  throw new TorchError(`${operation}: expected a Tensor or a number, got ${describe(value)}`);
}

export function optionalHandle(tensor: Tensor | null | undefined, operation: string): Handle | null {
  return tensor == null ? null : handleOf(tensor, operation);
}

export function wrapHandle(handle: Handle): Tensor {
  return new Tensor(handle);
}

export function wrapHandles(handles: Handle[]): Tensor[] {
  return handles.map((h) => new Tensor(h));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** shape given as (...dims) or ([dims]). */
function dims(args: (number | number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? args[0] : (args as number[]);
}

function dimList(dim: number | number[] | undefined): number[] | null {
  if (dim === undefined) return null;
  return Array.isArray(dim) ? dim : [dim];
}

export class Tensor implements Scoped {
  #handle: Handle | null;

  static {
    handleOfImpl = (tensor, operation) => {
      const handle = tensor.#handle;
      if (handle === null) throw new TensorDisposedError(operation);
      return handle;
    };
  }

  /** Tensors are made by torch.* functions and ops; the handle type cannot be built outside this package. */
  constructor(handle: Handle) {
    this.#handle = handle;
    track(this);
  }

  #h(operation: string): Handle {
    const handle = this.#handle;
    if (handle === null) throw new TensorDisposedError(operation);
    return handle;
  }

  // ---- lifetime ----
  dispose(): void {
    if (this.#handle === null) return;
    native.dispose(this.#handle);
    this.#handle = null;
  }
  get isDisposed(): boolean {
    return this.#handle === null;
  }

  // ---- metadata ----
  get shape(): number[] {
    return native.shape(this.#h('shape'));
  }
  get dtype(): DType {
    return native.dtype(this.#h('dtype')) as DType;
  }
  get device(): Device {
    return native.device(this.#h('device')) as Device;
  }
  get ndim(): number {
    return native.ndim(this.#h('ndim'));
  }
  numel(): number {
    return native.numel(this.#h('numel'));
  }
  size(dim?: number): number | number[] {
    const shape = this.shape;
    if (dim === undefined) return shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (d < 0 || d >= shape.length) throw new TorchError(`size(${dim}): dimension out of range for a ${shape.length}-d tensor`);
    return shape[d];
  }
  stride(): number[] {
    return native.stride(this.#h('stride'));
  }
  isContiguous(): boolean {
    return native.isContiguous(this.#h('isContiguous'));
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native.requiresGrad(this.#h('requiresGrad'));
  }
  set requiresGrad(flag: boolean) {
    native.setRequiresGrad(this.#h('requiresGrad'), flag);
  }
  requiresGrad_(flag = true): this {
    native.setRequiresGrad(this.#h('requiresGrad_'), flag);
    return this;
  }
  get grad(): Tensor | null {
    const g = native.grad(this.#h('grad'));
    return g === null ? null : new Tensor(g);
  }
  set grad(value: Tensor | null) {
    native.setGrad(this.#h('grad'), value === null ? null : handleOf(value, 'grad'));
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.#h('isLeaf'));
  }
  /** Name of the autograd node that made this tensor (e.g. 'AddBackward0'), or null for leaves. */
  get gradFn(): string | null {
    return native.gradFn(this.#h('gradFn'));
  }
  retainGrad(): this {
    native.retainGrad(this.#h('retainGrad'));
    return this;
  }
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward(this.#h('backward'), optionalHandle(gradient, 'backward'), options.retainGraph ?? null, options.createGraph ?? null);
  }
  detach(): Tensor {
    return new Tensor(native.detach(this.#h('detach')));
  }

  // ---- data out ----
  item(): number {
    return native.item(this.#h('item'));
  }
  /** Values as numbers, flat and row-major (int64 beyond 2^53 loses precision; use toTypedArray()). */
  toArray(): number[] {
    return Array.from(native.toFloat64Array(this.#h('toArray')));
  }
  /** A copy of the data in its own type: Float32Array, Float64Array, BigInt64Array (int64), Int32Array,
   *  Uint8Array (uint8, bool), Uint16Array (raw float16/bfloat16 bits), Int16Array, Int8Array. */
  toTypedArray(): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array | Int16Array | Int8Array {
    return native.toTypedArray(this.#h('toTypedArray'));
  }
  /** Nested arrays shaped like the tensor (a number for 0-d tensors). */
  tolist(): NestedArray {
    const flat = native.toFloat64Array(this.#h('tolist'));
    const shape = this.shape;
    let offset = 0;
    const build = (level: number): NestedArray => {
      if (level === shape.length) return flat[offset++];
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[level]; i++) out.push(build(level + 1));
      return out;
    };
    return build(0);
  }
  toString(): string {
    if (this.#handle === null) return 'tensor(<disposed>)';
    const dtype = this.dtype;
    const integral = !(dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16');
    const format = (v: number): string => (dtype === 'bool' ? (v ? 'True' : 'False') : integral ? String(v) : formatFloat(v));
    const numel = this.numel();
    let body: string;
    if (numel > 1000) body = `[... ${numel} values, shape [${this.shape.join(', ')}] ...]`;
    else body = formatNested(this.tolist(), format);
    const extras: string[] = [];
    if (this.device !== 'cpu') extras.push(`device='${this.device}'`);
    if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') extras.push(`dtype=${dtype}`);
    if (this.requiresGrad) extras.push('requires_grad=True');
    return `tensor(${[body, ...extras].join(', ')})`;
  }

  // ---- conversion ----
  to(target: Device | DType | { device?: Device; dtype?: DType; copy?: boolean }): Tensor {
    let device: Device | undefined;
    let dtype: DType | undefined;
    let copy = false;
    if (typeof target === 'string') {
      if (isDType(target)) dtype = target;
      else device = target;
    } else {
      ({ device, dtype } = target);
      copy = target.copy ?? false;
    }
    return new Tensor(native.to(this.#h('to'), dtype ?? null, device ?? null, copy));
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(index?: number): Tensor {
    return this.to(index === undefined ? 'cuda' : `cuda:${index}`);
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  half(): Tensor {
    return this.to('float16');
  }
  bfloat16(): Tensor {
    return this.to('bfloat16');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }

  // ---- shape ----
  view(...shape: number[] | [number[]]): Tensor {
    return new Tensor(native.view(this.#h('view'), dims(shape)));
  }
  reshape(...shape: number[] | [number[]]): Tensor {
    return new Tensor(native.reshape(this.#h('reshape'), dims(shape)));
  }
  expand(...shape: number[] | [number[]]): Tensor {
    return new Tensor(native.expand(this.#h('expand'), dims(shape)));
  }
  permute(...order: number[] | [number[]]): Tensor {
    return new Tensor(native.permute(this.#h('permute'), dims(order)));
  }
  repeat(...times: number[] | [number[]]): Tensor {
    return new Tensor(native.repeat(this.#h('repeat'), dims(times)));
  }
  flip(...axes: number[] | [number[]]): Tensor {
    return new Tensor(native.flip(this.#h('flip'), dims(axes)));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(native.flatten(this.#h('flatten'), startDim, endDim));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.#h('unsqueeze'), dim));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.#h('squeeze'), dim ?? null));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(native.transpose(this.#h('transpose'), dim0, dim1));
  }
  /** Matrix transpose of a ≤ 2-d tensor (torch.Tensor.t). */
  t(): Tensor {
    return new Tensor(native.t(this.#h('t')));
  }
  contiguous(): Tensor {
    return new Tensor(native.contiguous(this.#h('contiguous')));
  }
  clone(): Tensor {
    return new Tensor(native.clone(this.#h('clone')));
  }

  // ---- indexing ----
  /** t[:, start:end:step] along dim; negative and out-of-range bounds behave as in Python slicing. */
  slice(dim: number, start: number, end?: number, step = 1): Tensor {
    return new Tensor(native.slice(this.#h('slice'), dim, start, end ?? null, step));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(native.select(this.#h('select'), dim, index));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native.narrow(this.#h('narrow'), dim, start, length));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.index_select(this.#h('indexSelect'), dim, handleOf(index, 'indexSelect')));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.#h('gather'), dim, handleOf(index, 'gather')));
  }
  /** t[index] with an int64 index tensor or a bool mask (advanced indexing on the leading dims). */
  index(index: Tensor): Tensor {
    return new Tensor(native.index(this.#h('index'), handleOf(index, 'index')));
  }
  split(sizeOrSizes: number | number[], dim = 0): Tensor[] {
    return wrapHandles(native.split(this.#h('split'), sizeOrSizes, dim));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return wrapHandles(native.chunk(this.#h('chunk'), chunks, dim));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(native.tril(this.#h('tril'), diagonal));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(native.triu(this.#h('triu'), diagonal));
  }
  maskedFill(mask: Tensor, value: TensorOrNumber | boolean): Tensor {
    return new Tensor(native.masked_fill(this.#h('maskedFill'), handleOf(mask, 'maskedFill'), operand(value, 'maskedFill')));
  }

  // ---- arithmetic ----
  add(other: TensorOrNumber, alpha?: number): Tensor {
    return new Tensor(native.add(this.#h('add'), operand(other, 'add'), alpha ?? null));
  }
  sub(other: TensorOrNumber, alpha?: number): Tensor {
    return new Tensor(native.sub(this.#h('sub'), operand(other, 'sub'), alpha ?? null));
  }
  mul(other: TensorOrNumber): Tensor {
    return new Tensor(native.mul(this.#h('mul'), operand(other, 'mul')));
  }
  div(other: TensorOrNumber): Tensor {
    return new Tensor(native.div(this.#h('div'), operand(other, 'div')));
  }
  pow(exponent: TensorOrNumber): Tensor {
    return new Tensor(native.pow(this.#h('pow'), operand(exponent, 'pow')));
  }
  remainder(other: TensorOrNumber): Tensor {
    return new Tensor(native.remainder(this.#h('remainder'), operand(other, 'remainder')));
  }
  fmod(other: TensorOrNumber): Tensor {
    return new Tensor(native.fmod(this.#h('fmod'), operand(other, 'fmod')));
  }
  neg(): Tensor {
    return new Tensor(native.neg(this.#h('neg')));
  }
  matmul(other: Tensor): Tensor {
    return new Tensor(native.matmul(this.#h('matmul'), handleOf(other, 'matmul')));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(native.bmm(this.#h('bmm'), handleOf(other, 'bmm')));
  }
  mm(other: Tensor): Tensor {
    return new Tensor(native.mm(this.#h('mm'), handleOf(other, 'mm')));
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(native.maximum(this.#h('maximum'), handleOf(other, 'maximum')));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(native.minimum(this.#h('minimum'), handleOf(other, 'minimum')));
  }

  // ---- elementwise functions ----
  exp(): Tensor {
    return new Tensor(native.exp(this.#h('exp')));
  }
  log(): Tensor {
    return new Tensor(native.log(this.#h('log')));
  }
  log1p(): Tensor {
    return new Tensor(native.log1p(this.#h('log1p')));
  }
  expm1(): Tensor {
    return new Tensor(native.expm1(this.#h('expm1')));
  }
  sqrt(): Tensor {
    return new Tensor(native.sqrt(this.#h('sqrt')));
  }
  rsqrt(): Tensor {
    return new Tensor(native.rsqrt(this.#h('rsqrt')));
  }
  square(): Tensor {
    return new Tensor(native.square(this.#h('square')));
  }
  reciprocal(): Tensor {
    return new Tensor(native.reciprocal(this.#h('reciprocal')));
  }
  abs(): Tensor {
    return new Tensor(native.abs(this.#h('abs')));
  }
  sign(): Tensor {
    return new Tensor(native.sign(this.#h('sign')));
  }
  sin(): Tensor {
    return new Tensor(native.sin(this.#h('sin')));
  }
  cos(): Tensor {
    return new Tensor(native.cos(this.#h('cos')));
  }
  tanh(): Tensor {
    return new Tensor(native.tanh(this.#h('tanh')));
  }
  sigmoid(): Tensor {
    return new Tensor(native.sigmoid(this.#h('sigmoid')));
  }
  relu(): Tensor {
    return new Tensor(native.relu(this.#h('relu')));
  }
  erf(): Tensor {
    return new Tensor(native.erf(this.#h('erf')));
  }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(native.gelu(this.#h('gelu'), approximate));
  }
  floor(): Tensor {
    return new Tensor(native.floor(this.#h('floor')));
  }
  ceil(): Tensor {
    return new Tensor(native.ceil(this.#h('ceil')));
  }
  round(): Tensor {
    return new Tensor(native.round(this.#h('round')));
  }
  trunc(): Tensor {
    return new Tensor(native.trunc(this.#h('trunc')));
  }
  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this.#h('softmax'), dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native.log_softmax(this.#h('logSoftmax'), dim));
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(native.clamp(this.#h('clamp'), min ?? null, max ?? null));
  }

  // ---- comparison and logic (→ bool tensors) ----
  eq(other: TensorOrNumber): Tensor {
    return new Tensor(native.eq(this.#h('eq'), operand(other, 'eq')));
  }
  ne(other: TensorOrNumber): Tensor {
    return new Tensor(native.ne(this.#h('ne'), operand(other, 'ne')));
  }
  lt(other: TensorOrNumber): Tensor {
    return new Tensor(native.lt(this.#h('lt'), operand(other, 'lt')));
  }
  le(other: TensorOrNumber): Tensor {
    return new Tensor(native.le(this.#h('le'), operand(other, 'le')));
  }
  gt(other: TensorOrNumber): Tensor {
    return new Tensor(native.gt(this.#h('gt'), operand(other, 'gt')));
  }
  ge(other: TensorOrNumber): Tensor {
    return new Tensor(native.ge(this.#h('ge'), operand(other, 'ge')));
  }
  logicalAnd(other: TensorOrNumber | boolean): Tensor {
    return new Tensor(native.logical_and(this.#h('logicalAnd'), operand(other, 'logicalAnd')));
  }
  logicalOr(other: TensorOrNumber | boolean): Tensor {
    return new Tensor(native.logical_or(this.#h('logicalOr'), operand(other, 'logicalOr')));
  }
  logicalXor(other: TensorOrNumber | boolean): Tensor {
    return new Tensor(native.logical_xor(this.#h('logicalXor'), operand(other, 'logicalXor')));
  }
  logicalNot(): Tensor {
    return new Tensor(native.logical_not(this.#h('logicalNot')));
  }
  isnan(): Tensor {
    return new Tensor(native.isnan(this.#h('isnan')));
  }
  isfinite(): Tensor {
    return new Tensor(native.isfinite(this.#h('isfinite')));
  }
  any(): Tensor {
    return new Tensor(native.any(this.#h('any')));
  }
  all(): Tensor {
    return new Tensor(native.all(this.#h('all')));
  }

  // ---- reductions ----
  sum(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.sum(this.#h('sum'), dimList(dim), keepdim));
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.mean(this.#h('mean'), dimList(dim), keepdim));
  }
  /** Variance with Bessel's correction by default (correction = 1), like torch.var. */
  var(dim?: number | number[], options: { correction?: 0 | 1; keepdim?: boolean } = {}): Tensor {
    return new Tensor(native.var(this.#h('var'), dimList(dim), options.correction ?? 1, options.keepdim ?? false));
  }
  std(dim?: number | number[], options: { correction?: 0 | 1; keepdim?: boolean } = {}): Tensor {
    return scopedSqrt(this.var(dim, options));
  }
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    return new Tensor(native.norm(this.#h('norm'), p, dimList(dim), keepdim));
  }
  prod(): Tensor {
    return new Tensor(native.prod(this.#h('prod')));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native.cumsum(this.#h('cumsum'), dim));
  }
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | ValuesIndices {
    return reduceWithIndices(native.max(this.#h('max'), dim ?? null, keepdim));
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | ValuesIndices {
    return reduceWithIndices(native.min(this.#h('min'), dim ?? null, keepdim));
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.#h('argmax'), dim ?? null, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmin(this.#h('argmin'), dim ?? null, keepdim));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
    const [values, indices] = native.topk(this.#h('topk'), k, dim, largest, sorted);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }
  sort(dim = -1, descending = false): ValuesIndices {
    const [values, indices] = native.sort(this.#h('sort'), dim, descending);
    return { values: new Tensor(values), indices: new Tensor(indices) };
  }

  // ---- in place (return this) ----
  copy_(src: Tensor): this {
    native.copy_(this.#h('copy_'), handleOf(src, 'copy_'));
    return this;
  }
  fill_(value: number | boolean): this {
    native.fill_(this.#h('fill_'), value);
    return this;
  }
  zero_(): this {
    native.zero_(this.#h('zero_'));
    return this;
  }
  add_(other: TensorOrNumber, alpha?: number): this {
    native.add_(this.#h('add_'), operand(other, 'add_'), alpha ?? null);
    return this;
  }
  sub_(other: TensorOrNumber, alpha?: number): this {
    native.sub_(this.#h('sub_'), operand(other, 'sub_'), alpha ?? null);
    return this;
  }
  mul_(other: TensorOrNumber): this {
    native.mul_(this.#h('mul_'), operand(other, 'mul_'));
    return this;
  }
  div_(other: TensorOrNumber): this {
    native.div_(this.#h('div_'), operand(other, 'div_'));
    return this;
  }
  clamp_(min?: number | null, max?: number | null): this {
    native.clamp_(this.#h('clamp_'), min ?? null, max ?? null);
    return this;
  }
  maskedFill_(mask: Tensor, value: number | boolean): this {
    native.masked_fill_(this.#h('maskedFill_'), handleOf(mask, 'maskedFill_'), value);
    return this;
  }
  uniform_(from = 0, to = 1): this {
    native.uniform_(this.#h('uniform_'), from, to);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    native.normal_(this.#h('normal_'), mean, std);
    return this;
  }
}

setTensorPredicate((value: unknown): value is Tensor => value instanceof Tensor);

function reduceWithIndices(result: Handle | [Handle, Handle]): Tensor | ValuesIndices {
  if (Array.isArray(result)) return { values: new Tensor(result[0]), indices: new Tensor(result[1]) };
  return new Tensor(result);
}

function scopedSqrt(variance: Tensor): Tensor {
  const out = variance.sqrt();
  variance.dispose();
  return out;
}

function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e8) return `${v}.`;
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e8) ? v.toExponential(4) : String(Number(v.toFixed(4)));
}

function formatNested(value: NestedArray, format: (v: number) => string): string {
  if (typeof value === 'number') return format(value);
  return `[${value.map((v) => formatNested(v, format)).join(', ')}]`;
}
