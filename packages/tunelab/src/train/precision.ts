// Device and numeric precision: resolving `auto`, running the forward pass under autocast, and the fp16 loss scaler.
// Weights and optimizer state always stay fp32 (master weights); autocast runs matmuls in bf16/fp16.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import { TrainConfigError } from './errors.js';

export const DEVICES = ['cpu', 'cuda', 'auto'] as const;
export type DeviceFlag = (typeof DEVICES)[number];
export const PRECISIONS = ['fp32', 'bf16', 'fp16', 'auto'] as const;
export type PrecisionFlag = (typeof PRECISIONS)[number];
export type Precision = Exclude<PrecisionFlag, 'auto'>;
export type ComputeDevice = 'cpu' | 'cuda';

/** CPU threads libtorch computes with in train, eval and predict: --threads, else every core. */
export function computeThreads(flag?: number): number {
  return flag ?? availableParallelism();
}

/** The CPU's vector extensions that matter for bf16, from the `flags` line of /proc/cpuinfo (Linux). */
export interface CpuFeatures {
  avx2: boolean;
  avx512: boolean;
  /** AVX512-BF16: native bf16 dot products. */
  avx512Bf16: boolean;
  /** AMX tiles with bf16 (Sapphire Rapids and later). */
  amxBf16: boolean;
}

/** Reads the CPU's flags; null where /proc/cpuinfo is not there (not Linux). */
export function cpuFeatures(cpuinfo?: string): CpuFeatures | null {
  let text = cpuinfo;
  try {
    text ??= readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  const line = /^flags\s*:(.*)$/m.exec(text);
  if (!line) return null;
  const flags = new Set(line[1].trim().split(/\s+/));
  return { avx2: flags.has('avx2'), avx512: flags.has('avx512f'), avx512Bf16: flags.has('avx512_bf16'), amxBf16: flags.has('amx_bf16') };
}

export function resolveDevice(flag: DeviceFlag): ComputeDevice {
  if (flag === 'cuda' && !torch.cuda.isAvailable()) {
    throw new TrainConfigError('--device cuda: no CUDA device is available (this libtorch build or machine has none)');
  }
  if (flag === 'auto') return torch.cuda.isAvailable() ? 'cuda' : 'cpu';
  return flag;
}

/** `auto` is bf16 where the hardware runs it natively (any CUDA GPU here; a CPU with AVX512-BF16/AMX), else fp32. */
export function resolvePrecision(flag: PrecisionFlag, device: ComputeDevice): Precision {
  if (flag === 'fp16' && device === 'cpu') {
    throw new TrainConfigError('--precision fp16 needs --device cuda (CPU autocast is bf16 only; use --precision bf16)');
  }
  if (flag !== 'auto') return flag;
  if (device === 'cuda') return 'bf16';
  return torch.buildInfo().bf16Cpu ? 'bf16' : 'fp32';
}

/**
 * What training runs with and why, for its output: `device cpu, precision bf16 (auto: this CPU has AVX512-BF16/AMX,
 * where bf16 autocast measured faster; --precision fp32 for full precision)`.
 */
export function describePrecision(flag: PrecisionFlag, device: ComputeDevice, precision: Precision): string {
  const why = flag !== 'auto' ? `--precision ${flag}`
    : device === 'cuda' ? 'auto: bf16 autocast on CUDA'
      : precision === 'bf16' ? 'auto: this CPU has AVX512-BF16/AMX, where bf16 autocast measured faster; --precision fp32 for full precision'
        : 'auto: this CPU has no native bf16';
  return `device ${device}, precision ${precision} (${why})`;
}

/** Runs `fn` (a forward pass) under autocast for bf16/fp16, plainly for fp32. */
export function withAutocast<T>(precision: Precision, device: ComputeDevice, fn: () => T): T {
  if (precision === 'fp32') return fn();
  return torch.autocast({ device, dtype: precision === 'bf16' ? 'bfloat16' : 'float16' }, fn);
}

/**
 * Dynamic loss scaling for fp16 (PyTorch's GradScaler defaults): the loss is multiplied by `scale` before backward so
 * small gradients survive fp16; gradients are divided back before clipping; a step whose gradients overflowed is
 * skipped and the scale halved; after `growthInterval` clean steps the scale doubles.
 */
export class LossScaler {
  private cleanSteps = 0;
  constructor(public scale = 65536, private readonly growthInterval = 2000) {}

  scaleLoss(loss: Tensor): Tensor {
    return loss.mul(this.scale);
  }

  unscaleGradients(params: Tensor[]): void {
    const inverse = 1 / this.scale;
    for (const p of params) p.grad?.mul_(inverse);
  }

  /** Records whether this step's gradients were finite; returns false when the optimizer step must be skipped. */
  update(gradNorm: number): boolean {
    if (!Number.isFinite(gradNorm)) {
      this.scale /= 2;
      this.cleanSteps = 0;
      return false;
    }
    if (++this.cleanSteps >= this.growthInterval) {
      this.scale *= 2;
      this.cleanSteps = 0;
    }
    return true;
  }

  stateDict(): { scale: number; cleanSteps: number } {
    return { scale: this.scale, cleanSteps: this.cleanSteps };
  }

  loadStateDict(state: { scale: number; cleanSteps: number }): void {
    this.scale = state.scale;
    this.cleanSteps = state.cleanSteps;
  }
}
