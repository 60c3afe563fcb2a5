// Shape buckets (--pad-to-multiple-of) and the --cuda-graphs decision.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainBatches } from '../../src/data/collate.js';
import { TrainArgsSchema, parseArgs } from '../../src/train/args.js';
import { defaultPadToMultipleOf, resolveCudaGraphs } from '../../src/train/cuda-graphs.js';
import { TrainConfigError } from '../../src/train/errors.js';
import { randomFeatures } from './helpers.js';

const required = { model: 'm', task: 'glue/mrpc', outputDir: 'out' };

test('buckets: lengths round up to the multiple, rows and order unchanged, fewer distinct shapes', () => {
  const set = randomFeatures(64, 5);
  const options = { batchSize: 8, seed: 3, epoch: 1, groupByLength: true, padId: 0 };
  const plain = trainBatches(set, options);
  const bucketed = trainBatches(set, { ...options, padToMultipleOf: 8 });
  assert.equal(bucketed.length, plain.length);
  plain.forEach((batch, i) => {
    const other = bucketed[i];
    const [rows, width] = batch.size;
    assert.deepEqual(other.feature_index, batch.feature_index, 'same features in the same order');
    assert.equal(other.size[0], rows);
    assert.equal(other.size[1] % 8, 0);
    assert.ok(other.size[1] >= width && other.size[1] - width < 8, `${width} → ${other.size[1]}`);
    for (let r = 0; r < rows; r++) {
      const wide = other.size[1];
      assert.deepEqual(other.input_ids.subarray(r * wide, r * wide + width), batch.input_ids.subarray(r * width, (r + 1) * width));
      assert.ok(other.input_ids.subarray(r * wide + width, (r + 1) * wide).every((id) => id === 0), 'extra columns are padding');
      assert.ok(other.attention_mask.subarray(r * wide + width, (r + 1) * wide).every((m) => m === 0), 'and masked');
    }
  });
  const shapes = (batches: typeof plain) => new Set(batches.map((batch) => batch.size[1])).size;
  assert.ok(shapes(bucketed) < shapes(plain), `${shapes(bucketed)} vs ${shapes(plain)}`);
});

test('buckets: --pad-to-multiple-of parses as a positive integer; the default depends on the device', () => {
  assert.equal(parseArgs(TrainArgsSchema, { ...required, padToMultipleOf: '64' }).padToMultipleOf, 64);
  assert.equal(parseArgs(TrainArgsSchema, required).padToMultipleOf, undefined);
  assert.throws(() => parseArgs(TrainArgsSchema, { ...required, padToMultipleOf: '0' }),
    (err: Error) => err instanceof TrainConfigError && err.message.startsWith('--pad-to-multiple-of'));
  assert.equal(defaultPadToMultipleOf('cuda'), 64);
  assert.equal(defaultPadToMultipleOf('cpu'), 1);
});

test('cuda graphs: --cuda-graphs auto|on|off parses; anything else is refused by name', () => {
  assert.equal(parseArgs(TrainArgsSchema, required).cudaGraphs, 'auto');
  assert.equal(parseArgs(TrainArgsSchema, { ...required, cudaGraphs: 'off' }).cudaGraphs, 'off');
  assert.throws(() => parseArgs(TrainArgsSchema, { ...required, cudaGraphs: 'yes' }),
    /^TrainConfigError: --cuda-graphs: must be one of auto, on, off/);
});

test('cuda graphs: auto is on for CUDA only; impossible captures fall back with one line saying why', () => {
  const cuda = { device: 'cuda', precision: 'bf16', worldSize: 1, graphsCompiled: true } as const;
  assert.deepEqual(resolveCudaGraphs('auto', cuda), { enabled: true, fallback: null });
  assert.deepEqual(resolveCudaGraphs('off', cuda), { enabled: false, fallback: null });
  assert.deepEqual(resolveCudaGraphs('auto', { ...cuda, device: 'cpu' }), { enabled: false, fallback: null });
  const cases: [Parameters<typeof resolveCudaGraphs>[1], RegExp][] = [
    [{ ...cuda, device: 'cpu' }, /need --device cuda \(this run is on cpu\)/],
    [{ ...cuda, graphsCompiled: false }, /built without at::cuda::CUDAGraph/],
    [{ ...cuda, precision: 'fp16' }, /fp16 loss scaling/],
    [{ ...cuda, worldSize: 2 }, /data-parallel/],
  ];
  for (const [context, why] of cases) {
    const decision = resolveCudaGraphs('on', context);
    assert.equal(decision.enabled, false);
    assert.match(decision.fallback!, why);
    assert.match(decision.fallback!, /^CUDA graphs off: [^\n]+$/);
  }
});
