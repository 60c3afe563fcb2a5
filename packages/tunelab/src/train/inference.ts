// Batches to model inputs, and the no-grad forward pass over a list of batches (evaluation and prediction).
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import type { Batch } from '../data/collate.js';
import type { EncoderInputs, PreTrainedModel } from '../models/pretrained.js';
import { shardRange } from '../distributed/sharding.js';
import type { BatchOutputs, HostArray, InferenceResult } from '../tasks/types.js';
import type { GraphedForwards } from './graph-forward.js';
import { withAutocast, type ComputeDevice, type Precision } from './precision.js';
import { unpadsBatch } from './unpad.js';

export type { BatchOutputs, HostArray, InferenceResult };

export type { Batch };

/** The model surface the trainer uses: every head of models/ (a PreTrainedModel) has it. */
export type TrainableModel = PreTrainedModel;

/** Typed arrays → tensors on `device`: ids as int64, class labels as int64, regression targets as float32. */
export function toModelInputs(batch: Batch, device: ComputeDevice, withLabels: boolean): EncoderInputs & Record<string, Tensor> {
  const [b, t] = batch.size;
  const ids = (data: Int32Array, shape: number[]) => torch.fromTypedArray(data, shape, { dtype: 'int64', device });
  const inputs: EncoderInputs & Record<string, Tensor> = {
    input_ids: ids(batch.input_ids, [b, t]),
    attention_mask: ids(batch.attention_mask, [b, t]),
  };
  if (batch.token_type_ids) inputs.token_type_ids = ids(batch.token_type_ids, [b, t]);
  if (!withLabels) return inputs;
  if (batch.labels) {
    const shape = batch.labels.length === b ? [b] : [b, t];
    inputs.labels = batch.labels instanceof Float32Array
      ? torch.fromTypedArray(batch.labels, shape, { dtype: 'float32', device })
      : ids(batch.labels, shape);
  }
  if (batch.start_positions) inputs.start_positions = ids(batch.start_positions, [b]);
  if (batch.end_positions) inputs.end_positions = ids(batch.end_positions, [b]);
  if (batch.next_sentence_label) inputs.next_sentence_label = ids(batch.next_sentence_label, [b]);
  return inputs;
}

function hasLabels(batch: Batch): boolean {
  return batch.labels !== undefined || batch.start_positions !== undefined;
}

/** Ranks that share an evaluation: each runs its part of the batches, and every rank receives every part. */
export interface InferenceGroup {
  rank: number;
  worldSize: number;
  allGatherBytes(local: Uint8Array): Uint8Array[];
}

export interface InferenceOptions {
  device: ComputeDevice;
  precision: Precision;
  /** Spread the batches over these ranks (contiguous parts, so gathering in rank order keeps the batch order). */
  group?: InferenceGroup;
  /** Called after each batch this process ran (a progress bar). */
  onBatch?: (done: number, total: number) => void;
  /** Outputs to copy to the host (default all): an MLM evaluation needs only the loss, not B × T × V logits. */
  outputs?: readonly string[];
  /** CUDA graphs of the forward passes (--cuda-graphs on CUDA); the caller owns and disposes of the cache. */
  graphs?: GraphedForwards | null;
  /** Run a batch unpadded when its padding share is at least this (train/unpad.ts); absent/null: never. */
  unpadMinPadding?: number | null;
}

/** What one process computed: outputs of its batches and the loss sum behind the mean. */
interface LocalInference {
  lossSum: number;
  lossCount: number;
  outputs: Record<string, HostArray>[];
}

/**
 * Inference forward passes (dropout off) without gradients; outputs come back as float32 host arrays, one entry per batch,
 * in batch order. With a group of several ranks, every rank gets the same result for a fraction of the work.
 */
export function runInference(model: TrainableModel, batches: Batch[], opts: InferenceOptions): InferenceResult {
  const group = opts.group;
  if (!group || group.worldSize === 1) return toResult(batches, [runLocal(model, batches, opts)]);
  const { start, end } = shardRange(batches.length, group.rank, group.worldSize);
  const local = runLocal(model, batches.slice(start, end), opts);
  return toResult(batches, group.allGatherBytes(encodeLocal(local)).map(decodeLocal));
}

function runLocal(model: TrainableModel, batches: Batch[], opts: InferenceOptions): LocalInference {
  const result: LocalInference = { lossSum: 0, lossCount: 0, outputs: [] };
  // The host reads a batch's outputs only after the next batch's forward is queued: on CUDA the reads wait for the
  // GPU, and this way the GPU always has the next batch to work on while they wait.
  let pending: DeviceOutputs | null = null;
  torch.noGrad(() => {
    for (const batch of batches) {
      const queued = torch.scope(() => keepOutputs(queueForward(model, batch, opts), batch, opts));
      if (pending) readOutputs(pending, result, opts, batches.length);
      pending = queued;
    }
    if (pending) readOutputs(pending, result, opts, batches.length);
  });
  return result;
}

/** One batch's outputs still on the device (kept out of scopes until read). */
interface DeviceOutputs {
  rows: number;
  loss: Tensor | null;
  outputs: Record<string, Tensor>;
}

/** The forward of one batch: replayed from a CUDA graph when opts.graphs has one for its shape, else eager. */
function queueForward(model: TrainableModel, batch: Batch, opts: InferenceOptions): Record<string, Tensor | undefined> {
  const withLabels = hasLabels(batch);
  return opts.graphs?.forward(model, batch, withLabels)
    ?? withAutocast(opts.precision, opts.device, () =>
      model.forward(toModelInputs(batch, opts.device, withLabels),
        { outputs: opts.outputs, unpad: unpadsBatch(batch, opts.unpadMinPadding) }));
}

function keepOutputs(out: Record<string, Tensor | undefined>, batch: Batch, opts: InferenceOptions): DeviceOutputs {
  const outputs: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(out)) {
    if (name === 'loss' || !value || (opts.outputs && !opts.outputs.includes(name))) continue;
    outputs[name] = torch.keep(value.detach().float());
  }
  const loss = hasLabels(batch) && out.loss ? torch.keep(out.loss.detach().float()) : null;
  return { rows: batch.size[0], loss, outputs };
}

function readOutputs(device: DeviceOutputs, result: LocalInference, opts: InferenceOptions, total: number): void {
  if (device.loss) {
    result.lossSum += device.loss.item() * device.rows;
    result.lossCount += device.rows;
    device.loss.dispose();
  }
  const outputs: Record<string, HostArray> = {};
  for (const [name, value] of Object.entries(device.outputs)) {
    const host = torch.scope(() => value.cpu());
    outputs[name] = { data: host.toTypedArray() as Float32Array, shape: host.shape };
    host.dispose();
    value.dispose();
  }
  result.outputs.push(outputs);
  opts.onBatch?.(result.outputs.length, total);
}

/** The parts of every rank (in rank order) joined back onto the batches they came from. */
function toResult(batches: Batch[], parts: LocalInference[]): InferenceResult {
  const outputs = parts.flatMap((part) => part.outputs);
  if (outputs.length !== batches.length) {
    throw new Error(`inference returned ${outputs.length} batch outputs for ${batches.length} batches`);
  }
  const lossSum = parts.reduce((sum, part) => sum + part.lossSum, 0);
  const lossCount = parts.reduce((sum, part) => sum + part.lossCount, 0);
  return { loss: lossCount > 0 ? lossSum / lossCount : null, batches: batches.map((batch, i) => ({ batch, outputs: outputs[i] })) };
}

// Wire format of a LocalInference between ranks: [header length: u32 LE][JSON header][padding to 4][float32 data].
interface WireHeader {
  lossSum: number;
  lossCount: number;
  /** Per batch: output name → shape, in the order the float data follows. */
  shapes: [string, number[]][][];
}

function encodeLocal(local: LocalInference): Uint8Array {
  const header: WireHeader = {
    lossSum: local.lossSum, lossCount: local.lossCount,
    shapes: local.outputs.map((outputs) => Object.entries(outputs).map(([name, array]) => [name, array.shape])),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataOffset = align4(4 + headerBytes.length);
  const arrays = local.outputs.flatMap((outputs) => Object.values(outputs).map((array) => array.data));
  const bytes = new Uint8Array(dataOffset + arrays.reduce((n, data) => n + data.byteLength, 0));
  new DataView(bytes.buffer).setUint32(0, headerBytes.length, true);
  bytes.set(headerBytes, 4);
  let offset = dataOffset;
  for (const data of arrays) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    offset += data.byteLength;
  }
  return bytes;
}

function decodeLocal(bytes: Uint8Array): LocalInference {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as WireHeader;
  const floats = new Float32Array(bytes.slice(align4(4 + headerLength)).buffer);
  let offset = 0;
  const outputs = header.shapes.map((entries) => {
    const batchOutputs: Record<string, HostArray> = {};
    for (const [name, shape] of entries) {
      const size = shape.reduce((a, b) => a * b, 1);
      batchOutputs[name] = { data: floats.subarray(offset, offset + size), shape };
      offset += size;
    }
    return batchOutputs;
  });
  return { lossSum: header.lossSum, lossCount: header.lossCount, outputs };
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
