import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { evalBatches } from '../../src/data/collate.js';
import { argmax } from '../../src/metrics/classification.js';
import { TrainInputError } from '../../src/train/errors.js';
import { runInference } from '../../src/train/inference.js';
import { lrMultiplier } from '../../src/train/schedule.js';
import { createOptimizer, train, type TrainerSetup } from '../../src/train/trainer.js';
import {
  baseOptions, epochBatches, maxAbsDifference, randomFeatures, sameBits, tempDir, tinyClassifier, weights,
} from './helpers.js';

torch.setNumThreads(1);
const noSave = async () => {};

test('AdamW groups: biases and LayerNorm weights get no weight decay, every other parameter does', () => {
  const model = tinyClassifier(1);
  const optimizer = createOptimizer(model, 1e-3, 0.05);
  const names = new Map(model.namedParameters().map(([name, p]) => [p, name]));
  const [decay, noDecay] = optimizer.paramGroups;
  assert.equal(decay.weightDecay, 0.05);
  assert.equal(noDecay.weightDecay, 0);
  assert.ok(decay.params.every((p) => !/(bias|LayerNorm\.weight)$/.test(names.get(p)!)));
  assert.ok(noDecay.params.every((p) => /(bias|LayerNorm\.weight)$/.test(names.get(p)!)));
  assert.ok(noDecay.params.some((p) => names.get(p) === 'bert.embeddings.LayerNorm.weight'));
  assert.equal(decay.params.length + noDecay.params.length, model.namedParameters().length);
});

test('two accumulated micro-batches of 4 make the same step as one batch of 8', async () => {
  const data = randomFeatures(8);
  const run = async (batchSize: number, gradAccum: number) => {
    const model = tinyClassifier(3, 0);
    await train({
      model, trainBatches: epochBatches(data, batchSize), saveModel: noSave,
      options: baseOptions(tempDir(), { gradAccum, maxSteps: 1, warmupSteps: 0, scheduler: 'constant', saveEvery: 1000 }),
    });
    return weights(model);
  };
  const whole = await run(8, 1);
  const accumulated = await run(4, 2);
  const start = weights(tinyClassifier(3, 0));
  assert.ok(maxAbsDifference(whole, start) > 1e-4, 'the steps changed the weights');
  assert.ok(maxAbsDifference(whole, accumulated) < 1e-6, `differ by ${maxAbsDifference(whole, accumulated)}`);
});

test('the learning rate of each step follows warmup + linear decay', async () => {
  const lrs: number[] = [];
  await train({
    model: tinyClassifier(4), trainBatches: epochBatches(randomFeatures(32), 8), saveModel: noSave,
    options: baseOptions(tempDir(), { epochs: 2, warmupSteps: 3, saveEvery: 1000 }),
    onLog: (entry) => { if ('learning_rate' in entry.metrics) lrs.push(entry.metrics.learning_rate); },
  });
  const schedule = { name: 'linear', warmupSteps: 3, totalSteps: 8 } as const;
  assert.deepEqual(lrs, Array.from({ length: 8 }, (_, k) => 1e-3 * lrMultiplier(schedule, k)));
  assert.equal(lrs[0], 0);
});

/** Accuracy of the model on a fixed set: real inference, so eval()/train() switching is exercised. */
function evaluator(model: ReturnType<typeof tinyClassifier>) {
  const data = randomFeatures(24, 5);
  return () => {
    const result = runInference(model, evalBatches(data, { batchSize: 8, padId: 0 }), { device: 'cpu', precision: 'fp32' });
    let correct = 0;
    for (const { batch, outputs } of result.batches) {
      const predicted = argmax(outputs.logits.data, outputs.logits.shape);
      predicted.forEach((p, r) => { if (p === data.features[batch.feature_index[r]].label) correct++; });
    }
    return { eval_loss: result.loss!, eval_accuracy: correct / data.features.length };
  };
}

test('a run stopped at a checkpoint and resumed ends bit-identical to the uninterrupted run', async () => {
  const data = randomFeatures(40);
  const setup = (model: ReturnType<typeof tinyClassifier>, outputDir: string): TrainerSetup => ({
    model, trainBatches: epochBatches(data, 8), evaluate: evaluator(model),
    saveModel: (dir) => model.savePretrained(dir),
    options: baseOptions(outputDir, { epochs: 2, saveEvery: 3, evalEvery: 4 }),
  });
  const full = tinyClassifier(11);
  const fullDir = tempDir();
  const fullResult = await train(setup(full, fullDir));

  const crashDir = tempDir();
  const crashing = tinyClassifier(11);
  await assert.rejects(train({
    ...setup(crashing, crashDir),
    onCheckpoint: (dir) => { if (dir.endsWith('checkpoint-6')) throw new Error('simulated crash'); },
  }), /simulated crash/);
  torch.manualSeed(12345); // a resumed process starts with other RNG state: the checkpoint must restore it
  const resumed = tinyClassifier(99);
  const resumedResult = await train({
    ...setup(resumed, crashDir), options: { ...setup(resumed, crashDir).options, resumeFrom: join(crashDir, 'checkpoint-6') },
  });

  assert.equal(resumedResult.state.globalStep, 10);
  assert.ok(sameBits(weights(full), weights(resumed)), `final weights differ by ${maxAbsDifference(weights(full), weights(resumed))}`);
  for (const file of ['model.safetensors', 'optimizer.safetensors']) {
    assert.ok(readFileSync(join(fullDir, 'checkpoint-9', file)).equals(readFileSync(join(crashDir, 'checkpoint-9', file))), file);
  }
  assert.deepEqual(resumedResult.state.logHistory, fullResult.state.logHistory);
  assert.deepEqual(resumedResult.state.best, fullResult.state.best);
});

test('resuming with a different batch size is refused, naming the setting', async () => {
  const outputDir = tempDir();
  const data = randomFeatures(16);
  const model = tinyClassifier(2);
  await train({ model, trainBatches: epochBatches(data, 8), saveModel: (d) => model.savePretrained(d),
    options: baseOptions(outputDir, { epochs: 1, saveEvery: 1, resumeKey: { batchSize: 8 } }) });
  await assert.rejects(train({ model: tinyClassifier(2), trainBatches: epochBatches(data, 4), saveModel: noSave,
    options: baseOptions(outputDir, { epochs: 1, resumeFrom: join(outputDir, 'checkpoint-2'), resumeKey: { batchSize: 4 } }) }),
  (err: Error) => err instanceof TrainInputError && err.message.includes('batchSize: 8 → 4'));
});

test('early stopping after `patience` evaluations without improvement; the best weights become the model', async () => {
  const outputDir = tempDir();
  const model = tinyClassifier(6);
  const scripted = [0.5, 0.7, 0.6, 0.65, 0.9];
  let calls = 0;
  const result = await train({
    model, trainBatches: epochBatches(randomFeatures(64), 8), saveModel: (dir) => model.savePretrained(dir),
    evaluate: () => ({ eval_accuracy: scripted[calls++] }),
    options: baseOptions(outputDir, { epochs: 1, evalEvery: 1, earlyStoppingPatience: 2, saveEvery: 1000, loadBestModelAtEnd: true }),
  });
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.state.globalStep, 4);
  assert.deepEqual(result.state.best, { metric: 'eval_accuracy', value: 0.7, step: 2 });
  const best = torch.loadSafetensors(join(outputDir, 'best-model', 'model.safetensors')).tensors;
  const bestWeights = new Map([...best].map(([name, t]) => [name, t.toTypedArray() as Float32Array]));
  assert.ok(sameBits(weights(model), bestWeights));
});

test('a lower-is-better metric picks the smallest value; NaN never wins', async () => {
  const model = tinyClassifier(8);
  const scripted = [Number.NaN, 0.9, 0.4, 0.6];
  let calls = 0;
  const result = await train({
    model, trainBatches: epochBatches(randomFeatures(32), 8), saveModel: (dir) => model.savePretrained(dir),
    evaluate: () => ({ eval_loss: scripted[calls++] }),
    options: baseOptions(tempDir(), { epochs: 1, evalEvery: 1, saveEvery: 1000, metricForBest: { name: 'eval_loss', greaterIsBetter: false } }),
  });
  assert.deepEqual(result.state.best, { metric: 'eval_loss', value: 0.4, step: 3 });
});
