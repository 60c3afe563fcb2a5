// Random number generators: seeding and exact state save/restore (CPU and each CUDA device).
import { native } from './native.js';
import type { Device } from './types.js';

/** Seeds the CPU generator and every CUDA device's (torch.manual_seed). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** The generator's full state as bytes (for checkpoints that resume exactly). */
export function getRngState(device: Device = 'cpu'): Uint8Array {
  return native.getRngState(device);
}

export function setRngState(state: Uint8Array, device: Device = 'cpu'): void {
  native.setRngState(state, device);
}
