// torch.cuda: devices and caching-allocator statistics.
import { TorchError } from './errors.js';
import { native } from './native.js';
import type { Device } from './types.js';

type DeviceArg = Device | number | undefined;

export function isAvailable(): boolean {
  return native.cudaIsAvailable();
}
export function deviceCount(): number {
  return native.cudaDeviceCount();
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
