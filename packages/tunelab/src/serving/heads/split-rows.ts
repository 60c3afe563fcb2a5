// The rows one input ran as, handed to its prediction split (tasks' prepareTextPrediction) as the split's own
// scoring reads them: each row its own batch, per-token outputs cut to the row's tokens, so an answer never
// depends on the requests it was batched (and padded) with.
import type { Feature } from '../../data/features.js';
import type { EvalSplit } from '../../tasks/index.js';
import type { InferenceResult } from '../../train/inference.js';
import type { RowOutputs } from './types.js';

/** The split's prediction records for `rows` (one per feature of the split, in order). */
export function scoreRows(split: EvalSplit, rows: RowOutputs[], tokenOutputs: readonly string[]): Record<string, unknown>[] {
  const result: InferenceResult = { loss: null, batches: split.set.features.map((feature, i) => oneRowBatch(feature, i, rows[i], tokenOutputs)) };
  return split.score(result).records;
}

function oneRowBatch(feature: Feature, index: number, row: RowOutputs, tokenOutputs: readonly string[]) {
  const length = feature.input_ids.length;
  const outputs = Object.fromEntries(Object.entries(row).map(([name, array]) => {
    if (!tokenOutputs.includes(name)) return [name, { data: array.data, shape: [1, ...array.shape] }];
    const [, ...inner] = array.shape;
    const width = inner.reduce((a, b) => a * b, 1);
    return [name, { data: array.data.subarray(0, length * width), shape: [1, length, ...inner] }];
  }));
  return {
    batch: {
      size: [1, length] as [number, number], input_ids: feature.input_ids, token_type_ids: feature.token_type_ids,
      attention_mask: new Int32Array(length).fill(1), feature_index: Int32Array.of(index),
    },
    outputs,
  };
}
