// `--unpad auto|on|off`: whether a batch's encoder runs on its real tokens only (models/unpad.ts, FasterTransformer's
// "remove padding"; outputs equal the padded path's at every real token). It pays where a batch carries much padding
// and costs where it carries little, for the gather and scatter around each attention. bench/unpad-step.ts (BERT-mini,
// 2 CPU threads, whole trainer steps, per batch by its padding share): fp32 0.92× under 10 %, 1.10× at 10–30 %,
// 1.47× at 30–50 %; bf16 0.91×, 0.97×, 1.21×. So `auto` unpads a CPU batch from 25 % padding on: length-grouped
// batches (about 5 % padding) stay padded, batches padded to 128 (about 49 %) do not.
// Not on CUDA under `auto`: finding a batch's token count reads a value from the device every forward (the host
// waits for the GPU), and a captured step needs shapes that do not depend on the data.
import type { Batch } from '../data/collate.js';
import type { ComputeDevice } from './precision.js';

export const UNPAD_MODES = ['auto', 'on', 'off'] as const;
export type UnpadMode = (typeof UNPAD_MODES)[number];

/** `auto` on the CPU: the padding share from which a batch runs unpadded (both precisions break even below it). */
export const AUTO_UNPAD_MIN_PADDING = 0.25;

export interface UnpadDecision {
  /** A batch runs unpadded when its padding share is at least this (0: any padding); null: never. */
  minPadding: number | null;
  /** One line for the user: what was chosen, or why `on` could not be. */
  line: string | null;
}

export function resolveUnpad(mode: UnpadMode, device: ComputeDevice, cudaGraphs: boolean): UnpadDecision {
  if (mode === 'off') return { minPadding: null, line: null };
  if (mode === 'on') {
    if (cudaGraphs) return { minPadding: null, line: 'unpad off: a step captured in a CUDA graph needs shapes that do not depend on the data (--cuda-graphs off allows --unpad on)' };
    return { minPadding: 0, line: 'unpad on: every batch with padding runs on its real tokens only' };
  }
  if (device !== 'cpu') return { minPadding: null, line: null };
  return {
    minPadding: AUTO_UNPAD_MIN_PADDING,
    line: `unpad auto: batches with at least ${AUTO_UNPAD_MIN_PADDING * 100} % padding run on their real tokens only (--unpad off keeps them padded)`,
  };
}

/** The share of a batch's positions that are padding. */
export function paddingShare(batch: Batch): number {
  const mask = batch.attention_mask;
  let tokens = 0;
  for (let i = 0; i < mask.length; i++) tokens += mask[i] !== 0 ? 1 : 0;
  return mask.length === 0 ? 0 : 1 - tokens / mask.length;
}

/** Whether a batch with this padding share runs unpadded under a decision's `minPadding`. */
export function unpadsAtShare(share: number, minPadding: number | null | undefined): boolean {
  return minPadding !== null && minPadding !== undefined && share > 0 && share >= minPadding;
}

/** Whether this batch runs unpadded under a decision's `minPadding`. */
export function unpadsBatch(batch: Batch, minPadding: number | null | undefined): boolean {
  return unpadsAtShare(paddingShare(batch), minPadding);
}
