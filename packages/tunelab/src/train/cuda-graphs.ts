// `--cuda-graphs auto|on|off`: whether the training step may be captured in CUDA graphs. Capture needs a CUDA device,
// an addon compiled with at::cuda::CUDAGraph (libtorch >= 2.0 with CUDA), and a step that never waits on the host
// (fp16's loss scaler reads the gradient norm each step; data-parallel all-reduces are not captured). Where it is
// impossible, training runs eagerly and says why in one line.
import * as torch from '@tunelab/torch';
import type { ComputeDevice, Precision } from './precision.js';

export const CUDA_GRAPH_MODES = ['auto', 'on', 'off'] as const;
export type CudaGraphMode = (typeof CUDA_GRAPH_MODES)[number];

export interface CudaGraphContext {
  device: ComputeDevice;
  precision: Precision;
  /** Ranks in a data-parallel job. */
  worldSize: number;
  /** Whether the addon has the CUDAGraph binding (torch.cuda.graphsAvailable()). */
  graphsCompiled: boolean;
  /** Whether the addon has the fused AdamW reading its learning rate from a device tensor (default: it has). */
  capturableOptimizer?: boolean;
  /** Micro-batches per optimizer step (default 1). */
  gradAccum?: number;
}

export interface CudaGraphDecision {
  enabled: boolean;
  /** One line for the user when graphs were asked for (or implied by auto on CUDA) and are not used; else null. */
  fallback: string | null;
}

/** Decides whether to capture: `auto` means on for CUDA, off (silently) elsewhere. */
export function resolveCudaGraphs(mode: CudaGraphMode, context: CudaGraphContext): CudaGraphDecision {
  if (mode === 'off') return { enabled: false, fallback: null };
  if (context.device !== 'cuda') {
    return { enabled: false, fallback: mode === 'on' ? `CUDA graphs off: they need --device cuda (this run is on ${context.device})` : null };
  }
  const reason = captureBlocker(context);
  return reason ? { enabled: false, fallback: `CUDA graphs off: ${reason}` } : { enabled: true, fallback: null };
}

/**
 * Whether evaluation and prediction replay their forward passes from CUDA graphs (train/graph-forward.ts): `auto`
 * means on for CUDA. A forward needs less than a training step: no optimizer, no loss scaling, one batch.
 */
export function resolveInferenceGraphs(mode: CudaGraphMode, device: ComputeDevice, graphsCompiled: boolean): CudaGraphDecision {
  if (mode === 'off') return { enabled: false, fallback: null };
  if (device !== 'cuda') {
    return { enabled: false, fallback: mode === 'on' ? `CUDA graphs off: they need --device cuda (this run is on ${device})` : null };
  }
  if (!graphsCompiled) {
    return { enabled: false, fallback: `CUDA graphs off: the addon was built without at::cuda::CUDAGraph (libtorch ${torch.buildInfo().libtorch}; needs >= 2.0 with CUDA)` };
  }
  return { enabled: true, fallback: null };
}

/** Why this run's step cannot be captured on CUDA; null when it can. */
function captureBlocker(context: CudaGraphContext): string | null {
  const libtorch = () => torch.buildInfo().libtorch;
  if (!context.graphsCompiled) return `the addon was built without at::cuda::CUDAGraph (libtorch ${libtorch()}; needs >= 2.0 with CUDA)`;
  if (context.capturableOptimizer === false) {
    return `the addon has no fused AdamW that reads the learning rate from the device (libtorch ${libtorch()}; needs >= 2.2)`;
  }
  const gradAccum = context.gradAccum ?? 1;
  if (gradAccum > 1) return `--grad-accum ${gradAccum} splits a step over several batches, which one graph per batch shape cannot hold`;
  if (context.precision === 'fp16') return 'fp16 loss scaling reads the gradient norm on the host every step (use --precision bf16)';
  if (context.worldSize > 1) return 'data-parallel all-reduces run between backward and the optimizer step, outside a capturable step';
  return null;
}

/**
 * The default --pad-to-multiple-of: 64 on CUDA, 1 (no bucketing) elsewhere. On CUDA a new [B, T] shape costs kernel
 * selection (and, with graphs, a capture), so fewer shapes pay; MRPC's length-grouped epoch has ~100 distinct
 * lengths, which multiples of 64 cut to at most 8 at max_seq_length 512 (2 at 128), for padding of at most 63 tokens a
 * row on bf16 tensor cores that want multiples of 8 anyway. On CPU a shape costs nothing extra and padding costs its
 * FLOPs (bench/train-throughput.ts), so CPU runs pad to the longest row.
 */
export function defaultPadToMultipleOf(device: ComputeDevice): number {
  return device === 'cuda' ? 64 : 1;
}
