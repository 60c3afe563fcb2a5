// Batches to model inputs, and the no-grad forward pass over a list of batches (evaluation and prediction).
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import type { Batch } from '../data/collate.js';
import type { EncoderInputs, PreTrainedModel } from '../models/pretrained.js';
import { withAutocast, type ComputeDevice, type Precision } from './precision.js';

export type { Batch };

/** The model surface the trainer uses: every head of models/ (a PreTrainedModel) has it. */
export type TrainableModel = PreTrainedModel;

/** A model output copied to the CPU as float32. */
export interface HostArray {
  data: Float32Array;
  shape: number[];
}

export interface BatchOutputs {
  batch: Batch;
  /** Every tensor output but the loss (`logits`, or `start_logits` and `end_logits`). */
  outputs: Record<string, HostArray>;
}

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
  return inputs;
}

function hasLabels(batch: Batch): boolean {
  return batch.labels !== undefined || batch.start_positions !== undefined;
}

export interface InferenceResult {
  /** Mean loss over examples (batch losses weighted by batch size), or null when the batches carry no labels. */
  loss: number | null;
  batches: BatchOutputs[];
}

/** Forward passes in eval mode without gradients; outputs come back as float32 host arrays, one entry per batch. */
export function runInference(
  model: TrainableModel,
  batches: Batch[],
  opts: { device: ComputeDevice; precision: Precision },
): InferenceResult {
  model.eval();
  let lossSum = 0;
  let lossCount = 0;
  const results: BatchOutputs[] = [];
  torch.noGrad(() => {
    for (const batch of batches) {
      torch.scope(() => {
        const withLabels = hasLabels(batch);
        const out = withAutocast(opts.precision, opts.device, () =>
          model.forward(toModelInputs(batch, opts.device, withLabels)));
        if (withLabels && out.loss) {
          lossSum += out.loss.item() * batch.size[0];
          lossCount += batch.size[0];
        }
        const outputs: Record<string, HostArray> = {};
        for (const [name, value] of Object.entries(out)) {
          if (name === 'loss' || !value) continue;
          const host = value.detach().float().cpu();
          outputs[name] = { data: host.toTypedArray() as Float32Array, shape: host.shape };
        }
        results.push({ batch, outputs });
      });
    }
  });
  return { loss: lossCount > 0 ? lossSum / lossCount : null, batches: results };
}
