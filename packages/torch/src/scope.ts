// Tensor lifetime: scope(fn) frees every tensor created inside fn except those it returns or keep()s
// (like tfjs's tidy). Tensors register with the innermost open scope when created.
import { TorchError } from './errors.js';

/** What scope bookkeeping needs of a tensor (implemented by Tensor). */
export interface Scoped {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopeStack: Scoped[][] = [];
const keptTensors = new WeakSet<Scoped>();
let isTensor: (value: unknown) => value is Scoped = (_value): _value is Scoped => false;

/** Called once by tensor.ts (avoids an import cycle). */
export function setTensorPredicate(predicate: (value: unknown) => value is Scoped): void {
  isTensor = predicate;
}

export function track(tensor: Scoped): void {
  const innermost = scopeStack[scopeStack.length - 1];
  if (innermost !== undefined) innermost.push(tensor);
}

/** Marks a tensor to survive every enclosing scope; the caller disposes it (or lets GC do it). */
export function keep<T extends Scoped>(tensor: T): T {
  keptTensors.add(tensor);
  return tensor;
}

export function isKept(tensor: Scoped): boolean {
  return keptTensors.has(tensor);
}

/**
 * Runs fn; afterwards disposes every tensor created inside it, except the tensors found in its result
 * (arrays, Maps, Sets and object properties are walked) and those passed to keep(). Returned tensors move
 * to the enclosing scope. fn must be synchronous: a Promise result is a TorchError.
 */
export function scope<T>(fn: () => T): T {
  const created: Scoped[] = [];
  scopeStack.push(created);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopeStack.pop();
    disposeAllExcept(created, new Set());
    throw error;
  }
  scopeStack.pop();
  if (isPromiseLike(result)) {
    disposeAllExcept(created, new Set());
    throw new TorchError('torch.scope(fn): fn returned a Promise; scopes track synchronous code only (await outside, scope inside)');
  }
  const survivors = tensorsIn(result);
  disposeAllExcept(created, survivors);
  const parent = scopeStack[scopeStack.length - 1];
  if (parent !== undefined) for (const tensor of survivors) if (!keptTensors.has(tensor)) parent.push(tensor);
  return result;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function disposeAllExcept(created: Scoped[], survivors: Set<Scoped>): void {
  for (const tensor of created) if (!survivors.has(tensor) && !keptTensors.has(tensor)) tensor.dispose();
}

/** Every tensor reachable from value through arrays, Maps, Sets and plain or class-instance properties. */
function tensorsIn(value: unknown): Set<Scoped> {
  const found = new Set<Scoped>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    if (isTensor(v)) {
      found.add(v);
      return;
    }
    if (seen.has(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return;
    seen.add(v);
    if (Array.isArray(v) || v instanceof Set) for (const item of v) visit(item);
    else if (v instanceof Map) for (const [key, item] of v) (visit(key), visit(item));
    else for (const item of Object.values(v)) visit(item);
  };
  visit(value);
  return found;
}
