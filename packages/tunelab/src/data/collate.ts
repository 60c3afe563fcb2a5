// Features → padded batches: rows padded to the longest feature of the batch (dynamic padding), row-major typed
// arrays ready to become [B, T] tensors.
import { IGNORE_INDEX, type FeatureSet } from './features.js';
import { trainOrder, evalOrder, type Shard } from './sampler.js';

export interface Batch {
  /** [B, T]: rows, and tokens per row after padding. */
  size: [number, number];
  input_ids: Int32Array;
  attention_mask: Int32Array;
  token_type_ids: Int32Array;
  /** Class ids [B] (Int32Array), scores [B] (Float32Array), or token labels [B × T] with IGNORE_INDEX on padding. */
  labels?: Int32Array | Float32Array;
  start_positions?: Int32Array;
  end_positions?: Int32Array;
  /** BERT pre-training: 1 where sentence B is random, 0 where it follows A ([B]). */
  next_sentence_label?: Int32Array;
  /** Which features (indices into the FeatureSet) the rows are: maps predictions back to examples. */
  feature_index: Int32Array;
}

export interface CollateOptions {
  padId: number;
  /** Round T up to a multiple of this (tensor cores like multiples of 8). Default 1. */
  padToMultipleOf?: number;
}

export function collate(set: FeatureSet, indices: readonly number[], options: CollateOptions): Batch {
  const rows = indices.map((index) => {
    const feature = set.features[index];
    if (!feature) throw new RangeError(`no feature ${index} (the set has ${set.features.length})`);
    return feature;
  });
  const multiple = options.padToMultipleOf ?? 1;
  const longest = rows.reduce((max, row) => Math.max(max, row.input_ids.length), 0);
  const width = Math.ceil(longest / multiple) * multiple;
  const b = rows.length;
  const batch: Batch = {
    size: [b, width],
    input_ids: new Int32Array(b * width).fill(options.padId),
    attention_mask: new Int32Array(b * width),
    token_type_ids: new Int32Array(b * width),
    feature_index: Int32Array.from(indices),
  };
  rows.forEach((row, r) => {
    batch.input_ids.set(row.input_ids, r * width);
    batch.attention_mask.fill(1, r * width, r * width + row.input_ids.length);
    batch.token_type_ids.set(row.token_type_ids, r * width);
  });
  switch (set.labelKind) {
    case 'class':
      batch.labels = Int32Array.from(rows, (row) => requireTarget(row.label, 'label'));
      break;
    case 'score':
      batch.labels = Float32Array.from(rows, (row) => requireTarget(row.label, 'label'));
      break;
    case 'tokens': {
      const labels = new Int32Array(b * width).fill(IGNORE_INDEX);
      rows.forEach((row, r) => labels.set(requireTarget(row.token_labels, 'token_labels'), r * width));
      batch.labels = labels;
      break;
    }
    case 'span':
      batch.start_positions = Int32Array.from(rows, (row) => requireTarget(row.start_position, 'start_position'));
      batch.end_positions = Int32Array.from(rows, (row) => requireTarget(row.end_position, 'end_position'));
      break;
    case 'none':
      break;
  }
  return batch;
}

export interface EpochBatchOptions extends CollateOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  groupByLength?: boolean;
  shard?: Shard;
}

/** This rank's training batches for one epoch, in order (see trainOrder). */
export function trainBatches(set: FeatureSet, options: EpochBatchOptions): Batch[] {
  const lengths = set.features.map((feature) => feature.input_ids.length);
  return trainOrder(lengths, options).map((indices) => collate(set, indices, options));
}

/** Evaluation batches in data order (see evalOrder). */
export function evalBatches(set: FeatureSet, options: CollateOptions & { batchSize: number; shard?: Shard }): Batch[] {
  return evalOrder(set.features.length, options).map((indices) => collate(set, indices, options));
}

function requireTarget<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new RangeError(`a feature has no ${name}, but the set's labels are ${name}`);
  return value;
}
