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
  /** Never round T past this (trainBatches and evalBatches: the set's longest row, rounded up to 8). */
  maxWidth?: number;
}

export function collate(set: FeatureSet, indices: readonly number[], options: CollateOptions): Batch {
  const rows = indices.map((index) => {
    const feature = set.features[index];
    if (!feature) throw new RangeError(`no feature ${index} (the set has ${set.features.length})`);
    return feature;
  });
  const multiple = options.padToMultipleOf ?? 1;
  const longest = rows.reduce((max, row) => Math.max(max, row.input_ids.length), 0);
  const width = Math.max(longest, Math.min(Math.ceil(longest / multiple) * multiple, options.maxWidth ?? Infinity));
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

/**
 * `batch` with dummy rows appended up to `rows`, whose labels every loss ignores (class ids, token and masked-LM labels,
 * NSP labels: -100; answer spans: T, which the span loss ignores), so the loss, a mean over labelled rows, and the
 * gradients are those of `batch` (the rows of an encoder never see each other). A dummy row is one pad token that
 * attends to itself: an all-masked row would turn the attention softmax into NaN. Its feature_index is -1.
 * null when the labels cannot be ignored (regression scores and multi-hot labels: Float32Array), or nothing to add.
 */
export function padRows(batch: Batch, rows: number): Batch | null {
  const [b, t] = batch.size;
  if (rows <= b || batch.labels instanceof Float32Array) return null;
  const grow = (data: Int32Array, perRow: number, fill: number) => {
    const out = new Int32Array(rows * perRow).fill(fill);
    out.set(data);
    return out;
  };
  const padId = findPadId(batch);
  const attention = grow(batch.attention_mask, t, 0);
  for (let r = b; r < rows; r++) attention[r * t] = 1;
  const padded: Batch = {
    size: [rows, t],
    input_ids: grow(batch.input_ids, t, padId),
    attention_mask: attention,
    token_type_ids: grow(batch.token_type_ids, t, 0),
    feature_index: grow(batch.feature_index, 1, -1),
  };
  if (batch.labels) padded.labels = grow(batch.labels, batch.labels.length === b ? 1 : t, IGNORE_INDEX);
  if (batch.start_positions) padded.start_positions = grow(batch.start_positions, 1, t);
  if (batch.end_positions) padded.end_positions = grow(batch.end_positions, 1, t);
  if (batch.next_sentence_label) padded.next_sentence_label = grow(batch.next_sentence_label, 1, IGNORE_INDEX);
  return padded;
}

/** The pad id the batch uses: the token after a row's last attended position, else 0 (any id serves a dummy row). */
function findPadId(batch: Batch): number {
  const [b, t] = batch.size;
  for (let r = 0; r < b; r++) {
    for (let i = r * t; i < (r + 1) * t; i++) if (batch.attention_mask[i] === 0) return batch.input_ids[i];
  }
  return 0;
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
  const capped = withBucketCap(lengths, options);
  return trainOrder(lengths, options).map((indices) => collate(set, indices, capped));
}

/** Evaluation batches in data order (see evalOrder). */
export function evalBatches(set: FeatureSet, options: CollateOptions & { batchSize: number; shard?: Shard }): Batch[] {
  const capped = withBucketCap(set.features.map((feature) => feature.input_ids.length), options);
  return evalOrder(set.features.length, options).map((indices) => collate(set, indices, capped));
}

/**
 * `options` with maxWidth (unless given) at the widest a bucketed batch needs to be: the set's longest row rounded up
 * to 8 (or to the multiple, if smaller). Rounding to a multiple of 64 would make MRPC's longest batches (rows up to
 * 103 tokens) 128 wide: 24 % more tokens and activation memory in the epoch's largest batches for no fewer shapes.
 */
function withBucketCap<T extends CollateOptions>(lengths: readonly number[], options: T): T {
  const multiple = options.padToMultipleOf ?? 1;
  if (options.maxWidth !== undefined || multiple <= 1 || lengths.length === 0) return options;
  const step = Math.min(8, multiple);
  const longest = lengths.reduce((max, length) => Math.max(max, length), 0);
  return { ...options, maxWidth: Math.ceil(longest / step) * step };
}

function requireTarget<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new RangeError(`a feature has no ${name}, but the set's labels are ${name}`);
  return value;
}
