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

/**
 * Whether forward passes may be captured (evaluation and prediction: train/graph-forward.ts): `auto` means on for
 * CUDA, off (silently) elsewhere; it needs the addon's CUDAGraph binding.
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

/** Whether the training step may be captured: what a forward pass needs, and no training-only blocker. */
export function resolveCudaGraphs(mode: CudaGraphMode, context: CudaGraphContext): CudaGraphDecision {
  const forward = resolveInferenceGraphs(mode, context.device, context.graphsCompiled);
  if (!forward.enabled) return forward;
  const reason = trainingBlocker(context);
  return reason ? { enabled: false, fallback: `CUDA graphs off: ${reason}` } : forward;
}

/** Why this run's training step cannot be captured where a forward pass can; null when it can. */
function trainingBlocker(context: CudaGraphContext): string | null {
  if (context.capturableOptimizer === false) {
    return `the addon has no fused AdamW that reads the learning rate from the device (libtorch ${torch.buildInfo().libtorch}; needs >= 2.2)`;
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
 * row on bf16 tensor cores that want multiples of 8 anyway. On CPU fewer shapes do not pay for the padding they add
 * (bench/train-throughput.ts --pad-to-multiple-of 1,8,16 --full: 0.113, 0.134, 0.174 s a step), so CPU runs pad to
 * the longest row.
 */
export function defaultPadToMultipleOf(device: ComputeDevice): number {
  return device === 'cuda' ? 64 : 1;
}
