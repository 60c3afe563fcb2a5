// DataParallel's helpers and the sharding rules, against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { freePort, launch } from 'tunelab/distributed/launcher';
import { shardLossScale, shardOf, shardRange } from 'tunelab/distributed/sharding';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

test('shardRange: contiguous parts, sizes differ by at most one, lower ranks take the extra', () => {
  const parts = (count: number, world: number) =>
    Array.from({ length: world }, (_, r) => shardRange(count, r, world)).map(({ start, end }) => [start, end]);
  assert.deepEqual(parts(8, 2), [[0, 4], [4, 8]]);
  assert.deepEqual(parts(7, 2), [[0, 4], [4, 7]]);
  assert.deepEqual(parts(10, 4), [[0, 3], [3, 6], [6, 8], [8, 10]]);
  assert.deepEqual(parts(1, 3), [[0, 1], [1, 1], [1, 1]]);
  assert.deepEqual(shardOf(['a', 'b', 'c', 'd', 'e'], 1, 2), ['d', 'e']);
  assert.throws(() => shardRange(4, 2, 2), /rank 2 is outside world size 2/);
  assert.throws(() => shardRange(-1, 0, 2), /non-negative integer/);
});

test('shardLossScale: rank-averaged gradients equal the global mean, also for uneven shards', () => {
  assert.equal(shardLossScale(4, 8, 2), 1);
  // 7 examples over 2 ranks (4 + 3): (4·2/7 · mean₀ + 3·2/7 · mean₁) / 2 = (sum₀ + sum₁) / 7.
  assert.equal(shardLossScale(4, 7, 2), 8 / 7);
  assert.equal(shardLossScale(3, 7, 2), 6 / 7);
  assert.equal(shardLossScale(0, 1, 2), 0);
  assert.throws(() => shardLossScale(0, 0, 2), /global batch must hold examples/);
});

test('2 ranks: gatherShards restores dataset order from uneven shards; sums; parameter broadcast', async () => {
  const results = (await launchFixture('dp-rank.ts')).sort((x, y) => x.rank - y.rank);
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.deepEqual(r.gathered, { shape: [5, 2], values: [0, 0, 1, 1, 2, 4, 3, 9, 4, 16] });
    assert.deepEqual(r.labels, { shape: [1], dtype: 'int64', values: [42] });
    assert.deepEqual(r.sums, [1 + 2, 0.5 + 0.5]);
    assert.deepEqual(r.broadcast, [3, 3, 3, 3]);
    assert.equal(r.isMain, r.rank === 0);
  }
});

test('2 ranks: sharded inference gives every rank the outputs and loss of one process over all batches', async () => {
  const results = (await launchFixture('eval-rank.ts')).sort((x, y) => x.rank - y.rank);
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.equal(r.sharded.outputs.length, 7);
    // identical to the bit: each batch is computed the same way, only on another rank
    assert.deepEqual(r.sharded, r.alone);
    assert.equal(typeof r.sharded.loss, 'number');
    assert.equal(r.anyTrue, true);
    assert.equal(r.anyFalse, false);
  }
  assert.deepEqual(results[0].sharded, results[1].sharded);
});

/** Runs a rank fixture on 2 ranks over Gloo and returns the `RESULT {json}` lines they print. */
async function launchFixture(name: string): Promise<any[]> {
  let stdout = '';
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => { stdout += c.toString(); });
  await launch({
    nprocPerNode: 2, masterPort: await freePort(), stdout: sink,
    argv: [process.execPath, '--conditions=development', '--import', 'tsx', join(fixtures, name)],
  });
  return stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)));
}

test('2 ranks: a stop asked of rank 0 alone stops both ranks after the same step', async () => {
  const results = (await launchFixture('stop-rank.ts')).sort((x, y) => x.rank - y.rank);
  assert.deepEqual(results, [
    { rank: 0, step: 3, stopReason: 'stop requested from the dashboard' },
    { rank: 1, step: 3, stopReason: 'another rank asked to stop' },
  ]);
});
