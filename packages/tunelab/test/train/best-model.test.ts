// Which weights a run ends with (HF's load_best_model_at_end, ties), and when checkpoints are written and kept
// (save strategy, save_total_limit), and which changes a resume accepts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { TrainConfigError, TrainInputError } from '../../src/train/errors.js';
import { checkpointEvery, DEFAULT_SAVE_STEPS } from '../../src/train/args.js';
import { scheduleChangeProblem, train, type TrainerOptions } from '../../src/train/trainer.js';
import {
  baseOptions, epochBatches, maxAbsDifference, randomFeatures, sameBits, tempDir, tinyClassifier, weights,
} from './helpers.js';

torch.setNumThreads(1);

/** Trains 4 steps (32 examples, batch 8), evaluating after each with scripted metrics; returns weights along the way. */
async function scriptedRun(scripted: Record<string, number>[], overrides: Partial<TrainerOptions>) {
  const outputDir = tempDir();
  const model = tinyClassifier(21);
  const stepWeights: Map<string, Float32Array>[] = [];
  let calls = 0;
  const result = await train({
    model, trainBatches: epochBatches(randomFeatures(32), 8), saveModel: (dir) => model.savePretrained(dir),
    evaluate: () => { stepWeights.push(weights(model)); return scripted[calls++]; },
    options: baseOptions(outputDir, { epochs: 1, evalEvery: 1, saveEvery: null, ...overrides }),
  });
  return { result, model, outputDir, stepWeights };
}

const ACCURACY_TIES = [
  { eval_accuracy: 1, eval_loss: 0.24 },
  { eval_accuracy: 0.5, eval_loss: 0.1 },
  { eval_accuracy: 1, eval_loss: 0.02 },
  { eval_accuracy: 1, eval_loss: 0.02 },
];

test('ties on the metric go to the lower eval_loss, then to the earlier step', async () => {
  const { result } = await scriptedRun(ACCURACY_TIES, {});
  assert.deepEqual(result.state.best, { metric: 'eval_accuracy', value: 1, step: 3, loss: 0.02 });
});

test('early stopping counts evaluations without a better metric (HF), though the loss still picks the best', async () => {
  const plateau = [0.5, 0.4, 0.3, 0.2].map((loss) => ({ eval_accuracy: 0.5, eval_loss: loss }));
  const { result } = await scriptedRun(plateau, { earlyStoppingPatience: 2 });
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.state.globalStep, 3);
  assert.deepEqual(result.state.best, { metric: 'eval_accuracy', value: 0.5, step: 3, loss: 0.3 });
});

test('load_best_model_at_end off (the default): the model keeps the last step\'s weights', async () => {
  const { result, model, outputDir, stepWeights } = await scriptedRun(ACCURACY_TIES, {});
  assert.equal(result.loadedBest, null);
  assert.ok(sameBits(weights(model), stepWeights[3]), 'the weights the last evaluation saw');
  assert.ok(maxAbsDifference(stepWeights[2], stepWeights[3]) > 0, 'best and last weights differ, so the test can tell them apart');
  assert.ok(!existsSync(join(outputDir, 'best-model')), 'no best-model copy is written when it is not loaded');
});

test('load_best_model_at_end on: the model ends with the best evaluation\'s weights', async () => {
  const { result, model, stepWeights } = await scriptedRun(ACCURACY_TIES, { loadBestModelAtEnd: true });
  assert.equal(result.loadedBest?.step, 3);
  assert.ok(sameBits(weights(model), stepWeights[2]));
});

test('save_total_limit keeps only the newest checkpoints; saveEvery null writes none', async () => {
  const limited = await scriptedRun(ACCURACY_TIES, { saveEvery: 1, saveTotalLimit: 2 });
  assert.deepEqual(readdirSync(limited.outputDir).filter((n) => n.startsWith('checkpoint-')).sort(), ['checkpoint-3', 'checkpoint-4']);
  const none = await scriptedRun(ACCURACY_TIES, { saveEvery: null });
  assert.deepEqual(readdirSync(none.outputDir).filter((n) => n.startsWith('checkpoint-')), []);
});

test('--save-strategy and --save-every: HF names, 0 turns checkpoints off, conflicts are refused', () => {
  assert.equal(checkpointEvery({}), 'epoch');
  assert.equal(checkpointEvery({ saveEvery: 0 }), null);
  assert.equal(checkpointEvery({ saveStrategy: 'no' }), null);
  assert.equal(checkpointEvery({ saveStrategy: 'steps' }), DEFAULT_SAVE_STEPS);
  assert.equal(checkpointEvery({ saveStrategy: 'steps', saveEvery: 20 }), 20);
  assert.equal(checkpointEvery({ saveEvery: 20 }), 20);
  assert.equal(checkpointEvery({ saveStrategy: 'epoch', saveEvery: 'epoch' }), 'epoch');
  assert.throws(() => checkpointEvery({ saveStrategy: 'epoch', saveEvery: 20 }),
    (err: Error) => err instanceof TrainConfigError && err.message === '--save-strategy epoch and --save-every 20 conflict: give one');
  assert.throws(() => checkpointEvery({ saveStrategy: 'steps', saveEvery: 0 }), TrainConfigError);
});

test('resume may add epochs to a constant schedule and ends bit-identical to the longer run', async () => {
  const data = randomFeatures(24);
  const options = (outputDir: string, epochs: number) => baseOptions(outputDir, {
    epochs, scheduler: 'constant', warmupSteps: 1, saveEvery: 'epoch',
  });
  const full = tinyClassifier(31);
  await train({ model: full, trainBatches: epochBatches(data, 8), saveModel: (d) => full.savePretrained(d), options: options(tempDir(), 3) });

  const dir = tempDir();
  const short = tinyClassifier(31);
  await train({ model: short, trainBatches: epochBatches(data, 8), saveModel: (d) => short.savePretrained(d), options: options(dir, 2) });
  torch.manualSeed(999);
  const extended = tinyClassifier(5);
  const result = await train({
    model: extended, trainBatches: epochBatches(data, 8), saveModel: (d) => extended.savePretrained(d),
    options: { ...options(dir, 3), resumeFrom: join(dir, 'checkpoint-6') },
  });
  assert.equal(result.state.globalStep, 9);
  assert.ok(sameBits(weights(full), weights(extended)), `differ by ${maxAbsDifference(weights(full), weights(extended))}`);
});

test('resume refuses a new length where the schedule depends on it (linear decay, warmup ratio)', async () => {
  const data = randomFeatures(16);
  const dir = tempDir();
  const model = tinyClassifier(2);
  await train({ model, trainBatches: epochBatches(data, 8), saveModel: (d) => model.savePretrained(d),
    options: baseOptions(dir, { epochs: 1, saveEvery: 'epoch' }) });
  await assert.rejects(train({ model: tinyClassifier(2), trainBatches: epochBatches(data, 8), saveModel: async () => {},
    options: baseOptions(dir, { epochs: 2, resumeFrom: join(dir, 'checkpoint-2') }) }),
  (err: Error) => err instanceof TrainInputError && err.message.includes('2 → 4 total steps') && err.message.includes('linear'));
  assert.equal(scheduleChangeProblem({ name: 'constant', totalSteps: 10, warmupSteps: 1 }, { name: 'constant', totalSteps: 16, warmupSteps: 1 }), null);
  assert.match(scheduleChangeProblem({ name: 'constant', totalSteps: 10, warmupSteps: 1 }, { name: 'constant', totalSteps: 20, warmupSteps: 2 })!, /warmup from 1 to 2/);
});
