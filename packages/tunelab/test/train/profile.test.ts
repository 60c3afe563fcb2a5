import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collate, trainBatches } from '../../src/data/collate.js';
import { createProfiler, epochShapes, formatProfile, type TrainingProfile } from '../../src/train/profile.js';
import { train } from '../../src/train/trainer.js';
import { baseOptions, epochBatches, randomFeatures, tempDir, tinyClassifier } from './helpers.js';

const rowSeconds = (profile: TrainingProfile, part: string) => profile.rows.find((row) => row.part === part)!.seconds;
const rowCount = (profile: TrainingProfile, part: string) => profile.rows.find((row) => row.part === part)!.count;

test('profile: on a fake clock the rows are the timed parts, the untimed rest, and they add up to the wall time', () => {
  let clock = 0;
  const profiler = createProfiler(true, 'cpu', () => clock);
  const set = randomFeatures(8);
  const batchA = collate(set, [0, 1], { padId: 0, padToMultipleOf: 32 });
  const batchB = collate(set, [2, 3, 4], { padId: 0, padToMultipleOf: 32 });
  profiler.time('data', () => { clock += 500; });
  // Step 1 (shape A, first seen): 1000 + 3000 ms of step; step 2 (A again): 200 + 600; step 3 (B, first seen).
  profiler.time('forward', () => { clock += 1000; });
  profiler.time('backward', () => { clock += 3000; });
  profiler.endStep([batchA]);
  clock += 100; // untimed
  profiler.time('forward', () => { clock += 200; profiler.time('copy', () => { clock += 50; }); }); // nested: outer part only
  profiler.time('backward', () => { clock += 550; });
  profiler.endStep([batchA]);
  profiler.time('forward', () => { clock += 300; });
  profiler.time('backward', () => { clock += 900; });
  profiler.endStep([batchB]);
  profiler.time('logging', () => { clock += 400; });
  const profile = profiler.finish()!;

  assert.equal(profile.wallSeconds, 7.0);
  const sum = profile.rows.reduce((total, row) => total + row.seconds, 0);
  assert.ok(Math.abs(sum - profile.wallSeconds) < 1e-9, `rows sum to ${sum}`);
  assert.ok(Math.abs(rowSeconds(profile, 'untimed') - 0.1) < 1e-9);
  assert.equal(rowCount(profile, 'forward'), 3);
  assert.equal(rowCount(profile, 'copy'), 0);
  assert.equal(profile.steps, 3);
  // Repeated shape A: 0.8 s for 64 tokens. First A: 4 s − 0.8 s = 3.2 s extra; first B (96 tokens): 1.2 s − 1.2 s = 0.
  assert.ok(Math.abs(rowSeconds(profile, 'firstShapes') - 3.2) < 1e-9);
  assert.equal(rowCount(profile, 'firstShapes'), 2);
  assert.deepEqual(profile.firstShapes.map((s) => s.shape), [batchA.size.join('x'), batchB.size.join('x')]);
  assert.ok(Math.abs(profile.firstShapes[0].extraSeconds - 3.2) < 1e-9 && profile.firstShapes[1].extraSeconds === 0);
  // The extra is taken out of step 1's forward and backward in proportion (1:3).
  assert.ok(Math.abs(rowSeconds(profile, 'forward') - (1.55 - 0.8)) < 1e-9);
  assert.ok(Math.abs(rowSeconds(profile, 'backward') - (4.45 - 2.4)) < 1e-9);
  assert.ok(Math.abs(profile.coverage - 6.9 / 7) < 1e-9);
  assert.match(formatProfile(profile), /extra cost of first-seen shapes\s+3\.200/);
  assert.match(formatProfile(profile), /first-seen shapes, extra seconds in the order seen: 2x32 3\.200, 3x32 0\.000/);
});

test('profile: epochShapes counts distinct shapes and the padding bucketing adds', () => {
  const set = randomFeatures(40, 3);
  const plain = trainBatches(set, { batchSize: 4, seed: 1, epoch: 0, groupByLength: true, padId: 0 });
  const bucketed = trainBatches(set, { batchSize: 4, seed: 1, epoch: 0, groupByLength: true, padId: 0, padToMultipleOf: 8 });
  const a = epochShapes(0, plain);
  const b = epochShapes(0, bucketed);
  assert.equal(a.bucketPaddingTokens, 0);
  assert.equal(a.realTokens, b.realTokens);
  assert.equal(a.realTokens, set.features.reduce((n, f) => n + f.input_ids.length, 0));
  assert.equal(b.paddingTokens - a.paddingTokens, b.bucketPaddingTokens);
  assert.equal(a.distinctShapes, new Set(plain.map((batch) => batch.size.join('x'))).size);
  assert.ok(b.distinctShapes < a.distinctShapes, `${b.distinctShapes} shapes bucketed vs ${a.distinctShapes}`);
});

// A 40 ms run: the loop's own bookkeeping between parts weighs more here than in a real epoch (≥ 95 % there).
test('profile: a training run with --profile accounts for ≥ 90 % of its wall time with the right counts', async () => {
  const model = tinyClassifier(3);
  const set = randomFeatures(24);
  let evaluations = 0;
  const result = await train({
    model, trainBatches: epochBatches(set, 4), saveModel: (dir) => model.savePretrained(dir),
    evaluate: () => ({ eval_accuracy: [0.5, 0.75][evaluations++] ?? 0 }),
    options: baseOptions(tempDir(), { profile: true, epochs: 2, logEvery: 4, loadBestModelAtEnd: true }),
  });
  const profile = result.profile!;
  assert.ok(profile, 'a profile comes back');
  const sum = profile.rows.reduce((total, row) => total + row.seconds, 0);
  assert.ok(Math.abs(sum - profile.wallSeconds) < 1e-6, `rows ${sum} vs wall ${profile.wallSeconds}`);
  assert.ok(profile.coverage >= 0.9, `coverage ${profile.coverage}`);
  assert.equal(profile.steps, 12);
  for (const part of ['copy', 'forward', 'backward', 'clip', 'optimizer']) assert.equal(rowCount(profile, part), 12, part);
  assert.equal(rowCount(profile, 'data'), 2, 'epoch 0 is collated once');
  assert.equal(rowCount(profile, 'evaluation'), 2);
  assert.equal(rowCount(profile, 'checkpoint'), 3, 'two checkpoints and the best model restored');
  assert.deepEqual(profile.epochs.map((e) => [e.epoch, e.batches]), [[0, 6], [1, 6]]);
  model.dispose();
});

test('profile: off by default, and then no profile', async () => {
  const model = tinyClassifier(4);
  const result = await train({
    model, trainBatches: epochBatches(randomFeatures(8), 4), saveModel: () => {},
    options: baseOptions(tempDir(), { epochs: 1, saveEvery: 1000 }),
  });
  assert.equal(result.profile, null);
  model.dispose();
});

test('profile: epochShapes counts the batches that run unpadded and the padding they leave out', () => {
  const set = randomFeatures(40, 3);
  const padded = trainBatches(set, { batchSize: 4, seed: 1, epoch: 0, groupByLength: false, padId: 0, padToMultipleOf: 32 });
  const shapes = epochShapes(0, padded, 0.25);
  const expected = padded.filter((batch) => {
    const real = batch.attention_mask.reduce((n, v) => n + v, 0);
    return 1 - real / batch.attention_mask.length >= 0.25;
  });
  assert.ok(expected.length > 0);
  assert.equal(shapes.unpaddedBatches, expected.length);
  assert.equal(shapes.unpaddedPaddingTokens, expected.reduce((n, b) => n + b.attention_mask.length - b.attention_mask.reduce((m, v) => m + v, 0), 0));
  assert.equal(epochShapes(0, padded, null).unpaddedBatches, 0);
  assert.match(formatProfile({ device: 'cpu', wallSeconds: 1, coverage: 1, stepShare: 1, steps: 1, rows: [], firstShapes: [], epochs: [shapes] }), new RegExp(`${expected.length} batches ran unpadded, leaving out ${shapes.unpaddedPaddingTokens} padding tokens`));
});
