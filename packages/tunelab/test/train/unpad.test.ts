// --unpad: which batches run on their real tokens only, and a trainer that does so trains as the padded one does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Batch } from '../../src/data/collate.js';
import { trainBatches } from '../../src/data/collate.js';
import type { ForwardOptions } from '../../src/models/modules.js';
import { train } from '../../src/train/trainer.js';
import { AUTO_UNPAD_MIN_PADDING, paddingShare, resolveUnpad, unpadsBatch } from '../../src/train/unpad.js';
import { baseOptions, maxAbsDifference, randomFeatures, tempDir, tinyClassifier, weights } from './helpers.js';

function batchWithMask(rows: number[][]): Batch {
  const width = Math.max(...rows.map((row) => row.length));
  const mask = new Int32Array(rows.length * width);
  rows.forEach((row, r) => row.forEach((value, t) => { mask[r * width + t] = value; }));
  return { size: [rows.length, width], input_ids: new Int32Array(mask.length), token_type_ids: new Int32Array(mask.length), attention_mask: mask };
}

test('resolveUnpad: auto unpads CPU batches from 25 % padding, never on CUDA; on is refused under CUDA graphs with a reason', () => {
  assert.deepEqual(resolveUnpad('off', 'cpu', false), { minPadding: null, line: null });
  const auto = resolveUnpad('auto', 'cpu', false);
  assert.equal(auto.minPadding, AUTO_UNPAD_MIN_PADDING);
  assert.match(auto.line!, /^unpad auto: batches with at least 25 % padding/);
  assert.deepEqual(resolveUnpad('auto', 'cuda', true), { minPadding: null, line: null });
  assert.deepEqual(resolveUnpad('auto', 'cuda', false), { minPadding: null, line: null });
  assert.equal(resolveUnpad('on', 'cuda', false).minPadding, 0);
  const refused = resolveUnpad('on', 'cuda', true);
  assert.equal(refused.minPadding, null);
  assert.match(refused.line!, /^unpad off: a step captured in a CUDA graph/);
});

test('a batch unpads when its padding share reaches the threshold, and never without padding', () => {
  const half = batchWithMask([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]]); // 6 of 16 padding
  assert.equal(paddingShare(half), 6 / 16);
  assert.equal(unpadsBatch(half, 0.25), true);
  assert.equal(unpadsBatch(half, 0.4), false);
  assert.equal(unpadsBatch(half, null), false);
  assert.equal(unpadsBatch(half, undefined), false);
  const full = batchWithMask([[1, 1], [1, 1]]);
  assert.equal(paddingShare(full), 0);
  assert.equal(unpadsBatch(full, 0), false);
});

test('the trainer runs heavily padded batches unpadded, and trains to the same weights as padded (dropout 0)', async () => {
  // Padded to 32 positions, rows of 4–20 tokens: about 60 % padding in every batch.
  const set = randomFeatures(48, 3);
  const batches = () => trainBatches(set, { batchSize: 8, seed: 7, epoch: 0, groupByLength: false, padId: 0, padToMultipleOf: 32 });
  assert.ok(batches().every((batch) => paddingShare(batch) > 0.25));
  const run = async (unpadMinPadding: number | null) => {
    const model = tinyClassifier(5, 0);
    const asked: boolean[] = [];
    const forward = model.forward.bind(model);
    model.forward = (inputs, options?: ForwardOptions) => {
      asked.push(options?.unpad ?? false);
      return forward(inputs, options);
    };
    await train({
      model, trainBatches: batches, saveModel: () => {},
      options: baseOptions(tempDir(), { epochs: 1, saveEvery: 1e9, evalEvery: 1e9, unpadMinPadding }),
    });
    return { asked, weights: weights(model) };
  };
  const padded = await run(null);
  const unpadded = await run(AUTO_UNPAD_MIN_PADDING);
  assert.deepEqual(padded.asked, Array(6).fill(false));
  assert.deepEqual(unpadded.asked, Array(6).fill(true));
  const difference = maxAbsDifference(padded.weights, unpadded.weights);
  assert.ok(difference < 1e-5, `weights differ by ${difference} after 6 steps`);
});
