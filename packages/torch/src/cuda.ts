// torch.cuda: devices and caching-allocator statistics.
import { TorchError } from './errors.js';
import { native } from './native.js';
import type { Device } from './types.js';
import type { GraphHandle } from './native.js';

type DeviceArg = Device | number | undefined;

export function isAvailable(): boolean {
  return native.cudaIsAvailable();
}
export function deviceCount(): number {
  return native.cudaDeviceCount();
}
/** Whether this addon has the CUDAGraph binding (compiled only against libtorch >= 2.0 with CUDA) and CUDA works. */
export function graphsAvailable(): boolean {
  return native.cudaGraphCreate !== undefined && isAvailable();
}
/** Waits for every kernel queued on the device (default: the current one). */
export function synchronize(device?: DeviceArg): void {
  native.cudaSynchronize(deviceIndex(device));
}

function deviceIndex(device: DeviceArg): number | null {
  if (device === undefined) return null;
  if (typeof device === 'number') return device;
  if (device === 'cuda') return null;
  const match = /^cuda:(\d+)$/.exec(device);
  if (!match) throw new TorchError(`expected a CUDA device, got '${device}'`);
  return Number(match[1]);
}

function allocatorStat<K extends 'cudaMemoryAllocated' | 'cudaMaxMemoryAllocated' | 'cudaMemoryReserved' | 'cudaResetPeakMemoryStats'>(
  name: K,
): NonNullable<(typeof native)[K]> {
  const fn = native[name];
  if (fn === undefined) {
    throw new TorchError(isAvailable()
      ? 'CUDA memory statistics are not compiled in (cuda_runtime_api.h was not found at build time: set CUDA_HOME and rebuild)'
      : 'CUDA is not available');
  }
  return fn as NonNullable<(typeof native)[K]>;
}

/** Bytes held by tensors on the device (torch.cuda.memory_allocated). */
export function memoryAllocated(device?: DeviceArg): number {
  return allocatorStat('cudaMemoryAllocated')(deviceIndex(device));
}
export function maxMemoryAllocated(device?: DeviceArg): number {
  return allocatorStat('cudaMaxMemoryAllocated')(deviceIndex(device));
}
export function memoryReserved(device?: DeviceArg): number {
  return allocatorStat('cudaMemoryReserved')(deviceIndex(device));
}
export function resetPeakMemoryStats(device?: DeviceArg): void {
  allocatorStat('cudaResetPeakMemoryStats')(deviceIndex(device));
}
/** Returns cached, unused blocks to the driver. */
export function emptyCache(): void {
  if (native.cudaEmptyCache === undefined) {
    if (!isAvailable()) return;
    throw new TorchError('CUDA memory utilities are not compiled in (rebuild with CUDA headers)');
  }
  native.cudaEmptyCache();
}

function graphBinding(): Required<Pick<typeof native, 'cudaGraphCreate' | 'cudaGraphCaptureBegin' | 'cudaGraphCaptureEnd' | 'cudaGraphReplay' | 'cudaGraphReset' | 'cudaGraphPool'>> {
  if (native.cudaGraphCreate === undefined) {
    throw new TorchError(`CUDA graphs are not compiled in (they need a CUDA build of libtorch >= 2.0; this is ${native.buildInfo().libtorch}` +
      `${native.withCudaUtils ? '' : ' without CUDA'})`);
  }
  if (!isAvailable()) throw new TorchError('CUDA is not available');
  return native as Required<typeof native>;
}

/**
 * torch.cuda.CUDAGraph: `captureBegin()` … `captureEnd()` records the kernels queued in between (on a side stream)
 * instead of running them; `replay()` runs them again with one launch, on the same memory. Inputs must be copied
 * into the tensors the capture read (static buffers); outputs are read from the tensors it wrote. Dropout inside a
 * capture stays random: each replay advances the generator's philox offset.
 */
export class CUDAGraph {
  readonly #handle: GraphHandle;

  constructor() {
    this.#handle = graphBinding().cudaGraphCreate();
  }

  /** `pool`: another graph's pool(), to share its memory (graphs replayed in capture order may share one). */
  captureBegin(pool?: [number, number]): void {
    graphBinding().cudaGraphCaptureBegin(this.#handle, pool ?? null);
  }
  captureEnd(): void {
    graphBinding().cudaGraphCaptureEnd(this.#handle);
  }
  replay(): void {
    graphBinding().cudaGraphReplay(this.#handle);
  }
  /** Frees the captured graph and its memory pool reference. */
  reset(): void {
    graphBinding().cudaGraphReset(this.#handle);
  }
  pool(): [number, number] {
    return graphBinding().cudaGraphPool(this.#handle);
  }
}

/** Captures what `fn` queues into `graph` (torch.cuda.graph); returns fn's result (its tensors are static outputs). */
export function graph<T>(cudaGraph: CUDAGraph, fn: () => T, options: { pool?: [number, number] } = {}): T {
  cudaGraph.captureBegin(options.pool);
  try {
    return fn();
  } finally {
    cudaGraph.captureEnd();
  }
}
