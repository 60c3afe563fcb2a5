// torch.* creation functions: from JS data, constant fills, ranges, random sampling, joins.
import { TorchError } from './errors.js';
import { native, type Handle } from './native.js';
import { handleOf, operand, Tensor, type TensorOrNumber } from './tensor.js';
import type { DType, Device, NestedArray, TensorOptions } from './types.js';

type Shape = number | number[];
type SourceArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Int16Array | Int8Array;

function shapeOf(shape: Shape): number[] {
  return typeof shape === 'number' ? [shape] : shape;
}

/** Wraps a fresh handle and applies opts.requiresGrad. */
function made(handle: Handle, opts: TensorOptions): Tensor {
  const tensor = new Tensor(handle);
  if (opts.requiresGrad) tensor.requiresGrad_(true);
  return tensor;
}

/**
 * torch.tensor: nested arrays of numbers or booleans. dtype is inferred like PyTorch's from the values:
 * all booleans → bool, all integers → int64, otherwise float32 (JS has no 1 vs 1.0: pass dtype for floats).
 */
export function tensor(data: NestedArray<number | boolean>, opts: TensorOptions = {}): Tensor {
  const shape: number[] = [];
  for (let level: NestedArray<number | boolean> = data; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const flat: (number | boolean)[] = [];
  const walk = (value: NestedArray<number | boolean>, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(value)) throw new TorchError(`torch.tensor: ragged nested array (too deep at depth ${depth})`);
      if (typeof value !== 'number' && typeof value !== 'boolean') throw new TorchError(`torch.tensor: expected numbers or booleans, got ${typeof value}`);
      flat.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      throw new TorchError(`torch.tensor: ragged nested array (expected length ${shape[depth]} at depth ${depth})`);
    }
    for (const item of value) walk(item, depth + 1);
  };
  walk(data, 0);
  const allBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
  if (!allBool && flat.some((v) => typeof v === 'boolean')) throw new TorchError('torch.tensor: mixed booleans and numbers');
  const dtype: DType = opts.dtype ?? (allBool ? 'bool' : flat.every((v) => Number.isInteger(v)) ? 'int64' : 'float32');
  const source = allBool ? Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0)) : Float64Array.from(flat as number[]);
  return made(native.fromTypedArray(source, shape, allBool ? 'uint8' : 'float64', dtype, opts.device ?? null), opts);
}

function naturalDtype(data: SourceArray, requested: DType | undefined): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) {
    if (requested !== 'float16' && requested !== 'bfloat16') {
      throw new TorchError("torch.fromTypedArray: a Uint16Array holds raw half-precision bits: pass dtype 'float16' or 'bfloat16'");
    }
    return requested;
  }
  throw new TorchError('torch.fromTypedArray: unsupported array type');
}

/** A tensor holding a copy of data, read as its own element type (Uint16Array: raw float16/bfloat16 bits). */
export function fromTypedArray(data: SourceArray, shape: number[], opts: { dtype?: DType; device?: Device; requiresGrad?: boolean } = {}): Tensor {
  const source = naturalDtype(data, opts.dtype);
  return made(native.fromTypedArray(data, shape, source, opts.dtype ?? source, opts.device ?? null), opts);
}

export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return made(native.zeros(shapeOf(shape), opts.dtype ?? null, opts.device ?? null), opts);
}
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return made(native.ones(shapeOf(shape), opts.dtype ?? null, opts.device ?? null), opts);
}
export function empty(shape: Shape, opts: TensorOptions = {}): Tensor {
  return made(native.empty(shapeOf(shape), opts.dtype ?? null, opts.device ?? null), opts);
}
/** dtype defaults to bool for a boolean value and float32 for numbers (pass dtype for integer fills). */
export function full(shape: Shape, value: number | boolean, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  return made(native.full(shapeOf(shape), value, dtype, opts.device ?? null), opts);
}
export function zerosLike(t: Tensor): Tensor {
  return new Tensor(native.zerosLike(handleOf(t, 'zerosLike')));
}
export function onesLike(t: Tensor): Tensor {
  return new Tensor(native.onesLike(handleOf(t, 'onesLike')));
}
export function fullLike(t: Tensor, value: number | boolean): Tensor {
  return new Tensor(native.fullLike(handleOf(t, 'fullLike'), value));
}
export function randLike(t: Tensor): Tensor {
  return new Tensor(native.randLike(handleOf(t, 'randLike')));
}
export function randnLike(t: Tensor): Tensor {
  return new Tensor(native.randnLike(handleOf(t, 'randnLike')));
}

/** arange(end, opts?) | arange(start, end, step?, opts?): int64 when every bound is an integer, else float32. */
export function arange(end: number, opts?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, opts?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number | TensorOptions, d?: TensorOptions): Tensor {
  let start = 0, end = a, step = 1;
  let opts: TensorOptions = {};
  if (typeof b === 'number') {
    start = a;
    end = b;
    if (typeof c === 'number') step = c;
    opts = (typeof c === 'object' ? c : d) ?? {};
  } else if (b !== undefined) {
    opts = b;
  }
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int64' : 'float32');
  return made(native.arange(start, end, step, dtype, opts.device ?? null), opts);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  return made(native.linspace(start, end, steps, opts.dtype ?? null, opts.device ?? null), opts);
}
export function eye(n: number, opts: TensorOptions = {}): Tensor {
  return made(native.eye(n, opts.dtype ?? null, opts.device ?? null), opts);
}

export function rand(shape: Shape, opts: TensorOptions = {}): Tensor {
  return made(native.rand(shapeOf(shape), opts.dtype ?? null, opts.device ?? null), opts);
}
export function randn(shape: Shape, opts: TensorOptions = {}): Tensor {
  return made(native.randn(shapeOf(shape), opts.dtype ?? null, opts.device ?? null), opts);
}
/** Integers uniformly in [low, high). */
export function randint(low: number, high: number, shape: Shape, opts: TensorOptions = {}): Tensor {
  return made(native.randint(low, high, shapeOf(shape), opts.dtype ?? null, opts.device ?? null), opts);
}
export function randperm(n: number, opts: TensorOptions = {}): Tensor {
  return made(native.randperm(n, opts.dtype ?? null, opts.device ?? null), opts);
}
export function bernoulli(probs: Tensor): Tensor {
  return new Tensor(native.bernoulli(handleOf(probs, 'bernoulli')));
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(tensors.map((t) => handleOf(t, 'cat')), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(tensors.map((t) => handleOf(t, 'stack')), dim));
}
/** Elementwise cond ? a : b (a and b: tensors or numbers). */
export function where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  return new Tensor(native.where(handleOf(cond, 'where'), operand(a, 'where'), operand(b, 'where')));
}
