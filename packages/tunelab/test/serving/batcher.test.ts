// The dynamic batcher alone (no model): batch size and wait, grouping by length, failures and the queue bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DynamicBatcher, QueueFullError } from '../../src/serving/batcher.js';
import type { Feature } from '../../src/data/features.js';

const row = (length: number): Feature => ({ input_ids: new Int32Array(length).fill(length), token_type_ids: new Int32Array(length) });

/** A batcher whose "model" answers each row with its length and records the lengths of every batch. */
function recording(options: {
  maxBatchSize: number; maxWaitMs: number; maxQueuedRows?: number; maxTokensPerRun?: number; fail?: (lengths: number[]) => boolean;
}) {
  const batches: number[][] = [];
  const batcher = new DynamicBatcher({
    maxBatchSize: options.maxBatchSize, maxWaitMs: options.maxWaitMs, maxQueuedRows: options.maxQueuedRows ?? 100,
    ...(options.maxTokensPerRun ? { maxTokensPerRun: options.maxTokensPerRun } : {}),
    run(features) {
      const lengths = features.map((f) => f.input_ids.length);
      batches.push(lengths);
      if (options.fail?.(lengths)) throw new Error('forward failed');
      return lengths.map((length) => ({ logits: { data: Float32Array.of(length), shape: [1] } }));
    },
  });
  const lengthOf = async (features: Feature[]) => (await batcher.submit(features)).map((r) => r.logits.data[0]);
  return { batcher, batches, lengthOf };
}

test('rows that arrive together run together, each input gets its own rows back in order', async () => {
  const { batches, lengthOf } = recording({ maxBatchSize: 8, maxWaitMs: 20 });
  const answers = await Promise.all([lengthOf([row(3)]), lengthOf([row(7), row(5)]), lengthOf([row(4)])]);
  assert.deepEqual(answers, [[3], [7, 5], [4]]);
  assert.deepEqual(batches, [[3, 7, 5, 4]]);
});

test('a full queue runs at once, the rest waits for its batch; beyond the batch size rows are grouped by length', async () => {
  const { batches, lengthOf } = recording({ maxBatchSize: 2, maxWaitMs: 10_000 });
  // Oldest first (5), with the row closest to it in length (6); then the long ones together.
  const answers = await Promise.all([5, 50, 6, 51].map((length) => lengthOf([row(length)])));
  assert.deepEqual(answers, [[5], [50], [6], [51]]);
  assert.deepEqual(batches, [[5, 6], [50, 51]]);
});

test('a batch over max-tokens-per-run runs as passes of inputs sorted by length, never splitting an input', async () => {
  const { batches, lengthOf } = recording({ maxBatchSize: 8, maxWaitMs: 0, maxTokensPerRun: 20 });
  const answers = await Promise.all([[3], [10, 9], [4], [11]].map((lengths) => lengthOf(lengths.map(row))));
  assert.deepEqual(answers, [[3], [10, 9], [4], [11]]);
  // 2 rows × 4 fit in 20 tokens; adding the 2 rows of the input of length 10 would make 4 × 10.
  assert.deepEqual(batches, [[3, 4], [10, 9], [11]]);
});

test('a lone row runs at once when no other request is on its way', async () => {
  const { batches, lengthOf } = recording({ maxBatchSize: 8, maxWaitMs: 10_000 });
  assert.deepEqual(await lengthOf([row(9)]), [9]);
  assert.deepEqual(batches, [[9]]);
});

test('queued rows wait for an announced request: they run with its rows once it arrives, or alone after max-wait', async () => {
  const { batcher, batches, lengthOf } = recording({ maxBatchSize: 8, maxWaitMs: 10_000 });
  const coming = batcher.expect();
  const first = lengthOf([row(3)]);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(batches, [], 'ran before the announced request came');
  const second = lengthOf([row(4)]);
  coming();
  assert.deepEqual(await Promise.all([first, second]), [[3], [4]]);
  assert.deepEqual(batches, [[3, 4]]);

  const waited = recording({ maxBatchSize: 8, maxWaitMs: 40 });
  const never = waited.batcher.expect();
  const started = performance.now();
  assert.deepEqual(await waited.lengthOf([row(9)]), [9]);
  assert.ok(performance.now() - started >= 35, 'ran before its wait was over');
  never();
  assert.deepEqual(waited.batches, [[9]]);
});

test('a failing batch fails its inputs only; the queue bound refuses what does not fit', async () => {
  const { batcher, lengthOf } = recording({ maxBatchSize: 1, maxWaitMs: 0, maxQueuedRows: 3, fail: (lengths) => lengths[0] === 13 });
  const [bad, good] = await Promise.allSettled([lengthOf([row(13)]), lengthOf([row(2)])]);
  assert.equal(bad.status, 'rejected');
  assert.deepEqual(good, { status: 'fulfilled', value: [2] });
  assert.equal(batcher.hasRoomFor(4), false);
  await assert.rejects(batcher.submit([row(1), row(1), row(1), row(1)]), QueueFullError);
  assert.ok(batcher.idle);
});
