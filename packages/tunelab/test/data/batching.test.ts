import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collate, evalBatches, trainBatches } from '../../src/data/collate.js';
import { IGNORE_INDEX, type Feature, type FeatureSet } from '../../src/data/features.js';
import { Rng } from '../../src/data/rng.js';
import { evalOrder, trainOrder } from '../../src/data/sampler.js';

const ids = (...values: number[]) => Int32Array.from(values);

describe('collate: dynamic padding to the longest row', () => {
  const features: Feature[] = [
    { input_ids: ids(101, 7, 102), token_type_ids: ids(0, 0, 0), label: 1, token_labels: ids(-100, 3, -100), start_position: 1, end_position: 1 },
    { input_ids: ids(101, 8, 9, 10, 102), token_type_ids: ids(0, 0, 0, 1, 1), label: 0, token_labels: ids(-100, 2, 2, 1, -100), start_position: 0, end_position: 0 },
  ];

  it('pads ids with padId, masks padding, and keeps feature indices', () => {
    const batch = collate({ labelKind: 'class', features }, [1, 0], { padId: 0 });
    assert.deepEqual(batch.size, [2, 5]);
    assert.deepEqual([...batch.input_ids], [101, 8, 9, 10, 102, 101, 7, 102, 0, 0]);
    assert.deepEqual([...batch.attention_mask], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual([...batch.token_type_ids], [0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
    assert.ok(batch.labels instanceof Int32Array);
    assert.deepEqual([...batch.labels], [0, 1]);
    assert.deepEqual([...batch.feature_index], [1, 0]);
    assert.equal(batch.start_positions, undefined);
  });

  it('gives scores as float32, token labels padded with -100, spans as positions', () => {
    const scores = collate({ labelKind: 'score', features }, [0, 1], { padId: 0 });
    assert.ok(scores.labels instanceof Float32Array);
    const tokens = collate({ labelKind: 'tokens', features }, [0, 1], { padId: 0, padToMultipleOf: 4 });
    assert.deepEqual(tokens.size, [2, 8]);
    assert.deepEqual([...tokens.labels!], [-100, 3, -100, IGNORE_INDEX, -100, -100, -100, -100, -100, 2, 2, 1, -100, -100, -100, -100]);
    const spans = collate({ labelKind: 'span', features }, [0, 1], { padId: 0 });
    assert.deepEqual([[...spans.start_positions!], [...spans.end_positions!]], [[1, 0], [1, 0]]);
    assert.equal(spans.labels, undefined);
  });
});

describe('Rng', () => {
  it('is a function of (seed, stream) alone', () => {
    const draw = (seed: number, stream: number) => { const rng = new Rng(seed, stream); return Array.from({ length: 8 }, () => rng.nextUint32()); };
    assert.deepEqual(draw(42, 0), draw(42, 0));
    assert.notDeepEqual(draw(42, 0), draw(42, 1));
    assert.notDeepEqual(draw(42, 0), draw(43, 0));
    assert.notDeepEqual(draw(2 ** 32 + 42, 0), draw(42, 0));
  });

  it('draws integers below n uniformly (chi-square over 6 bins)', () => {
    const rng = new Rng(7);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[rng.below(6)]++;
    const chi2 = counts.reduce((sum, c) => sum + (c - 10000) ** 2 / 10000, 0);
    assert.ok(chi2 < 20.5, `chi-square ${chi2} (p < 0.001 at 5 degrees of freedom is 20.5)`);
  });
});

describe('training order', () => {
  const lengths = Array.from({ length: 1000 }, (_, i) => 5 + ((i * 7919) % 120));

  it('visits every feature once per epoch, the same for the same seed and epoch', () => {
    const options = { batchSize: 16, seed: 3, epoch: 0 };
    const order = trainOrder(lengths, options);
    assert.deepEqual(order.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
    assert.deepEqual(trainOrder(lengths, options), order);
    assert.notDeepEqual(trainOrder(lengths, { ...options, epoch: 1 }), order);
    assert.notDeepEqual(trainOrder(lengths, { ...options, seed: 4 }), order);
    assert.equal(order.length, Math.ceil(1000 / 16));
  });

  it('groups by length: less padding than random batches, the longest feature first', () => {
    const padding = (batches: number[][]) => batches.reduce((sum, batch) => {
      const longest = Math.max(...batch.map((i) => lengths[i]));
      return sum + batch.reduce((s, i) => s + longest - lengths[i], 0);
    }, 0);
    const options = { batchSize: 16, seed: 3, epoch: 0 };
    const grouped = trainOrder(lengths, { ...options, groupByLength: true });
    assert.deepEqual(grouped.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
    assert.ok(padding(grouped) * 5 < padding(trainOrder(lengths, options)), `${padding(grouped)} vs random`);
    assert.ok(grouped[0].some((i) => lengths[i] === Math.max(...lengths)));
    assert.deepEqual(trainOrder(lengths, { ...options, groupByLength: true }), grouped);
    // batches are shuffled, not sorted by length
    const maxima = grouped.map((batch) => Math.max(...batch.map((i) => lengths[i])));
    assert.notDeepEqual(maxima.slice(1), [...maxima.slice(1)].sort((a, b) => b - a));
  });

  it('shards each global batch into disjoint rank slices covering it', () => {
    for (const groupByLength of [false, true]) {
      const options = { batchSize: 8, seed: 11, epoch: 2, groupByLength };
      const global = trainOrder(lengths, { ...options, batchSize: 8 * 3 });
      const ranks = [0, 1, 2].map((rank) => trainOrder(lengths, { ...options, shard: { rank, worldSize: 3 } }));
      assert.ok(ranks.every((r) => r.length === ranks[0].length), 'same number of batches on every rank');
      ranks[0].forEach((_, b) => {
        const union = [...ranks[0][b], ...ranks[1][b], ...ranks[2][b]];
        assert.equal(new Set(union).size, union.length, 'disjoint');
        assert.deepEqual(union, global[b], 'the slices make up the global batch');
      });
    }
    // 1000 = 41 × 24 + 16: the last global batch of 16 is split 6 / 5 / 5
    const last = [0, 1, 2].map((rank) => trainOrder(lengths, { batchSize: 8, seed: 1, epoch: 0, shard: { rank, worldSize: 3 } }).at(-1)!.length);
    assert.deepEqual(last, [6, 5, 5]);
  });

  it('drops a last global batch smaller than the world size, so every rank steps together', () => {
    const ranks = [0, 1, 2, 3].map((rank) => trainOrder(new Array(10).fill(5), { batchSize: 2, seed: 0, epoch: 0, shard: { rank, worldSize: 4 } }));
    assert.deepEqual(ranks.map((r) => r.map((b) => b.length)), [[2], [2], [2], [2]]);
  });

  it('rejects a rank outside the world', () => {
    assert.throws(() => trainOrder(lengths, { batchSize: 4, seed: 0, epoch: 0, shard: { rank: 3, worldSize: 3 } }),
      { message: 'shard must have 0 <= rank < worldSize (got rank 3, worldSize 3)' });
  });
});

describe('evaluation order', () => {
  it('keeps data order; ranks split each batch and together cover everything once', () => {
    assert.deepEqual(evalOrder(7, { batchSize: 3 }), [[0, 1, 2], [3, 4, 5], [6]]);
    const ranks = [0, 1].map((rank) => evalOrder(7, { batchSize: 2, shard: { rank, worldSize: 2 } }));
    assert.deepEqual(ranks, [[[0, 1], [4, 5]], [[2, 3], [6]]]);
  });

  it('builds padded batches over a feature set', () => {
    const set: FeatureSet = { labelKind: 'none', features: [3, 1, 2].map((n) => ({ input_ids: new Int32Array(n).fill(5), token_type_ids: new Int32Array(n) })) };
    assert.deepEqual(evalBatches(set, { batchSize: 2, padId: 0 }).map((b) => b.size), [[2, 3], [1, 2]]);
    const train = trainBatches(set, { batchSize: 2, padId: 0, seed: 1, epoch: 0 });
    assert.deepEqual(train.flatMap((b) => [...b.feature_index]).sort(), [0, 1, 2]);
  });
});

describe('bucketed widths stop at the set\'s longest row', () => {
  const set: FeatureSet = {
    labelKind: 'class',
    features: [5, 30, 70, 103, 12, 64].map((length) => ({
      input_ids: new Int32Array(length).fill(7), token_type_ids: new Int32Array(length), label: 0,
    })),
  };
  it('rounds up to the multiple, but never past the longest row rounded up to 8 (103 → 104, not 128)', () => {
    const widths = (batches: { size: [number, number] }[]) => batches.map((b) => b.size[1]).sort((a, b) => a - b);
    const train = trainBatches(set, { batchSize: 1, seed: 1, epoch: 0, padId: 0, padToMultipleOf: 64, groupByLength: true });
    assert.deepEqual(widths(train), [64, 64, 64, 64, 104, 104]);
    assert.deepEqual(widths(evalBatches(set, { batchSize: 1, padId: 0, padToMultipleOf: 64 })), [64, 64, 64, 64, 104, 104]);
    // Without bucketing nothing changes: each batch is as wide as its longest row.
    assert.deepEqual(widths(evalBatches(set, { batchSize: 1, padId: 0 })), [5, 12, 30, 64, 70, 103]);
    // A multiple below 8 rounds the cap to that multiple.
    assert.deepEqual(widths(evalBatches(set, { batchSize: 6, padId: 0, padToMultipleOf: 4 })), [104]);
  });
});
