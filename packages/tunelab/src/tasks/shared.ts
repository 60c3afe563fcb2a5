// Helpers the task families share: limiting a data set, reading a split's output rows back per feature, softmax, and
// a split's batches.
import { evalBatches, type Batch } from '../data/collate.js';
import type { BatchOutputs, DataOptions, EvalSplit } from './types.js';

export function limit<T extends { examples: unknown[] }>(dataset: T, max: number | undefined): T {
  return max === undefined ? dataset : { ...dataset, examples: dataset.examples.slice(0, max) };
}

/** No data files given: the task's Hub data set is used. */
export function noFilesGiven(options: DataOptions): boolean {
  return !options.trainFile && !options.validationFile && !options.testFile;
}

/** Per feature, its row of output `name` (batch padding included), from batches in any order. */
export function gatherRows(count: number, batches: BatchOutputs[], name: string): Float32Array[] {
  const rows: Float32Array[] = new Array(count);
  for (const { batch, outputs } of batches) {
    const output = outputs[name];
    const width = output.data.length / batch.size[0];
    batch.feature_index.forEach((feature, r) => { rows[feature] = output.data.subarray(r * width, (r + 1) * width); });
  }
  return rows;
}

export function softmax(row: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  const exps = Array.from(row, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Evaluation batches of a split, in data order; lengths rounded up to a multiple of `padToMultipleOf` (CUDA: fewer
 * shapes, so the forward passes' CUDA graphs replay instead of being captured for every new length).
 */
export function splitBatches(split: EvalSplit, batchSize: number, padId: number, padToMultipleOf = 1): Batch[] {
  return split.batches ? split.batches(batchSize, padId) : evalBatches(split.set, { batchSize, padId, padToMultipleOf });
}
