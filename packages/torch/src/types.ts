// Public value types shared by every module of @tunelab/torch.

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}
export type Reduction = 'mean' | 'sum' | 'none';
/** Nested number arrays, as tolist() returns and torch.tensor() accepts. */
export type NestedArray<T = number> = T | NestedArray<T>[];

export const DTYPES: ReadonlySet<string> = new Set<DType>([
  'float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool',
]);

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && DTYPES.has(value);
}

export function isFloatingDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}
