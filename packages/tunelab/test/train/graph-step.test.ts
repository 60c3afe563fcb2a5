// --cuda-graphs: the fallback lines, the CPU path untouched by the flag, and (TUNELAB_TEST_DEVICE=cuda) the captured
// step against the eager one, and dropout that draws new masks on every replay.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { trainBatches } from '../../src/data/collate.js';
import { parseArgs, TrainArgsSchema } from '../../src/train/args.js';
import { listCheckpoints, loadCheckpoint } from '../../src/train/checkpoint.js';
import { resolveCudaGraphs } from '../../src/train/cuda-graphs.js';
import { fineTune } from '../../src/train/finetune.js';
import { GraphedForwards } from '../../src/train/graph-forward.js';
import { runInference, toModelInputs } from '../../src/train/inference.js';
import type { Reporter } from '../../src/train/progress.js';
import { train } from '../../src/train/trainer.js';
import { GLUE, tinyModelFolder } from '../e2e/helpers.js';
import { baseOptions, epochBatches, maxAbsDifference, randomFeatures, sameBits, tempDir, tinyClassifier, weights } from './helpers.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';

const ON_CUDA = process.env.TUNELAB_TEST_DEVICE === 'cuda';
const cudaSkip = ON_CUDA ? (torch.cuda.graphsAvailable() ? false : 'the addon has no CUDA graphs') : 'set TUNELAB_TEST_DEVICE=cuda (needs a GPU)';

test('cuda graphs: gradient accumulation and an addon without the device-lr AdamW fall back with one line', () => {
  const cuda = { device: 'cuda', precision: 'bf16', worldSize: 1, graphsCompiled: true } as const;
  assert.deepEqual(resolveCudaGraphs('auto', { ...cuda, gradAccum: 1, capturableOptimizer: true }), { enabled: true, fallback: null });
  const accum = resolveCudaGraphs('auto', { ...cuda, gradAccum: 4 });
  assert.equal(accum.enabled, false);
  assert.match(accum.fallback!, /^CUDA graphs off: --grad-accum 4 splits a step over several batches/);
  const noOptimizer = resolveCudaGraphs('on', { ...cuda, capturableOptimizer: false });
  assert.equal(noOptimizer.enabled, false);
  assert.match(noOptimizer.fallback!, /^CUDA graphs off: the addon has no fused AdamW that reads the learning rate from the device/);
  for (const decision of [accum, noOptimizer]) assert.ok(!decision.fallback!.includes('\n'), 'one line');
});

test('cuda graphs: AdamW.capturableStep refuses what it cannot capture, by name', () => {
  const param = torch.keep(torch.zeros([2]));
  const lr = torch.keep(torch.zeros([]));
  const optimizer = new torch.optim.AdamW([param]);
  assert.throws(() => optimizer.capturableStep(lr), /AdamW\.capturableStep needs (a CUDA build of libtorch >= 2\.2|fused: true)/);
  param.dispose();
  lr.dispose();
});

function collectingReporter(messages: string[]): Reporter {
  return { progress: () => {}, log: () => {}, message: (text) => messages.push(text), result: () => {}, close: () => {} };
}

test('cuda graphs: on the CPU, --cuda-graphs on, auto and off train bit-identically; only `on` says why it is off', async () => {
  const model = tinyModelFolder();
  const runs = [];
  for (const cudaGraphs of ['off', 'auto', 'on'] as const) {
    const outputDir = join(tempDir(), 'out');
    const messages: string[] = [];
    await fineTune(parseArgs(TrainArgsSchema, {
      model, task: 'glue/mrpc', fromScratch: true, device: 'cpu', precision: 'fp32', threads: 1, track: false,
      trainFile: join(GLUE, 'MRPC/dev.tsv'), validationFile: join(GLUE, 'MRPC/dev.tsv'), maxTrainSamples: 24,
      maxEvalSamples: 8, maxSteps: 3, batchSize: 8, logEvery: 1, outputDir, cudaGraphs,
    }), collectingReporter(messages));
    const saved = torch.loadSafetensors(join(outputDir, 'model.safetensors')).tensors;
    const values = new Map([...saved].map(([name, tensor]) => [name, tensor.toTypedArray() as Float32Array]));
    for (const tensor of saved.values()) tensor.dispose();
    runs.push({ cudaGraphs, values, messages });
  }
  const [off, auto, on] = runs;
  assert.ok(sameBits(off.values, auto.values), 'auto = off on the CPU');
  assert.ok(sameBits(off.values, on.values), 'on = off on the CPU');
  assert.equal(on.messages.filter((m) => m.startsWith('CUDA graphs')).join('\n'), 'CUDA graphs off: they need --device cuda (this run is on cpu)');
  for (const run of [off, auto]) assert.ok(!run.messages.some((m) => m.includes('CUDA graphs')), `${run.cudaGraphs}: silent`);
});

test('cuda graphs: the trainer ignores cudaGraphs on the CPU (same weights, bit for bit)', async () => {
  const results = [];
  for (const cudaGraphs of [false, true]) {
    const model = tinyClassifier(11);
    const result = await train({
      model, trainBatches: epochBatches(randomFeatures(20), 4), saveModel: () => {},
      options: baseOptions(tempDir(), { epochs: 1, saveEvery: null, cudaGraphs }),
    });
    results.push({ weights: weights(model), losses: result.state.logHistory.map((entry) => entry.metrics.train_loss) });
    model.dispose();
  }
  assert.ok(sameBits(results[0].weights, results[1].weights));
  assert.deepEqual(results[0].losses, results[1].losses);
});

test('cuda graphs (CUDA): dropout inside a replayed graph draws a new mask each replay', { skip: cudaSkip }, () => {
  const input = torch.keep(torch.ones([4096], { device: 'cuda' }));
  torch.manualSeed(0);
  torch.scope(() => torch.F.dropout(input, 0.5, true)); // warm-up outside the capture
  const graph = new torch.cuda.CUDAGraph();
  const output = torch.cuda.graph(graph, () => torch.keep(torch.F.dropout(input, 0.5, true)));
  const masks = [0, 1, 2].map(() => {
    graph.replay();
    return output.cpu().toTypedArray() as Float32Array;
  });
  for (const mask of masks) {
    const kept = mask.filter((v) => v !== 0).length;
    assert.ok(kept > 1500 && kept < 2600, `about half kept: ${kept}`);
  }
  const differing = (a: Float32Array, b: Float32Array) => a.filter((v, i) => v !== b[i]).length;
  assert.ok(differing(masks[0], masks[1]) > 1000, 'replay 2 ≠ replay 1');
  assert.ok(differing(masks[1], masks[2]) > 1000, 'replay 3 ≠ replay 2');
  graph.reset();
  output.dispose();
  input.dispose();
});

interface TinyRun {
  losses: number[];
  weights: Map<string, Float32Array>;
  replays: number;
  captures: number;
  optimizerStep: number;
  messages: string[];
}

/** 50 steps of the tiny classifier on CUDA under bf16 autocast, graphs on or off, same seeds. */
async function tinyCudaRun(cudaGraphs: boolean, dropout: number, featureCount = 100, steps = 50): Promise<TinyRun> {
  const features = randomFeatures(featureCount, 3);
  const model = tinyClassifier(5, dropout).to('cuda');
  torch.manualSeed(123); // the CUDA generator: dropout masks
  const outputDir = tempDir();
  const messages: string[] = [];
  const result = await train({
    model, saveModel: (dir) => model.savePretrained(dir), onMessage: (text) => messages.push(text),
    // Lengths 4–20 in buckets of 8: three shapes, each warmed up once, captured once, then replayed.
    trainBatches: (epoch) => trainBatches(features, { batchSize: 4, seed: 7, epoch, groupByLength: true, padId: 0, padToMultipleOf: 8 }),
    options: baseOptions(outputDir, {
      device: 'cuda', precision: 'bf16', maxSteps: steps, epochs: 2, saveEvery: steps, logEvery: 1, cudaGraphs, profile: true,
    }),
  });
  const replays = result.profile!.rows.find((row) => row.part === 'graphStep')!.count;
  const captures = result.profile!.rows.find((row) => row.part === 'graphCapture')!.count;
  const optimizerStep = loadCheckpoint(listCheckpoints(outputDir).at(-1)!.dir).optimizer.state[0].step;
  const run = { losses: result.state.logHistory.map((e) => e.metrics.train_loss), weights: hostWeights(model), replays, captures, optimizerStep, messages };
  model.dispose();
  return run;
}

test('cuda graphs (CUDA): 50 captured steps match 50 eager steps (bf16); AdamW step counts survive in checkpoints', { skip: cudaSkip }, async () => {
  const eager = await tinyCudaRun(false, 0);
  const graphed = await tinyCudaRun(true, 0);
  assert.deepEqual(graphed.messages, [], 'no fallback');
  assert.equal(eager.replays, 0);
  assert.equal(graphed.replays, 47, '3 shapes: 3 eager warm-ups, then 47 replays (3 of them right after their capture)');
  assert.equal(graphed.losses.length, 50);
  eager.losses.forEach((loss, i) => {
    assert.ok(Math.abs(loss - graphed.losses[i]) <= 2e-2 * Math.max(1, Math.abs(loss)), `step ${i + 1}: eager ${loss} vs graphed ${graphed.losses[i]}`);
  });
  assert.ok(maxAbsDifference(eager.weights, graphed.weights) < 2e-2, 'weights after 50 steps');
  assert.equal(graphed.optimizerStep, 50, 'AdamW counted every replayed step (checkpoints read the device count)');
  assert.equal(eager.optimizerStep, 50);
});

test('cuda graphs (CUDA): an epoch\'s short last batch replays its full shape\'s graph with ignored rows, and trains as eager', { skip: cudaSkip }, async () => {
  // 102 features in batches of 4: 25 full batches and one of 2 rows per epoch, 52 steps = 2 epochs.
  const eager = await tinyCudaRun(false, 0, 102, 52);
  const graphed = await tinyCudaRun(true, 0, 102, 52);
  assert.deepEqual(graphed.messages, [], 'no fallback');
  assert.equal(graphed.captures, 3, 'the three 4-row shapes only: the 2-row batch has no graph of its own');
  assert.ok(graphed.replays >= 47, `${graphed.replays} replays`);
  eager.losses.forEach((loss, i) => {
    assert.ok(Math.abs(loss - graphed.losses[i]) <= 2e-2 * Math.max(1, Math.abs(loss)), `step ${i + 1}: eager ${loss} vs graphed ${graphed.losses[i]}`);
  });
  assert.ok(maxAbsDifference(eager.weights, graphed.weights) < 2e-2, 'weights after 52 steps');
});

test('cuda graphs (CUDA): with dropout, replays train like eager steps and draw their own masks', { skip: cudaSkip }, async () => {
  const eager = await tinyCudaRun(false, 0.1);
  const graphed = await tinyCudaRun(true, 0.1);
  const noDropout = await tinyCudaRun(true, 0);
  assert.deepEqual(graphed.messages, [], 'no fallback');
  const maxDiff = Math.max(...eager.losses.map((loss, i) => Math.abs(loss - graphed.losses[i])));
  console.log(`dropout 0.1, 50 steps: max |eager − graphed| loss ${maxDiff.toExponential(2)}`); // same philox offsets → ≈ 0
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(mean(eager.losses.slice(25)) - mean(graphed.losses.slice(25))) < 0.1, 'the same training, on average');
  const changed = graphed.losses.filter((loss, i) => Math.abs(loss - noDropout.losses[i]) > 1e-4).length;
  assert.ok(changed >= 40, `dropout acts in the replayed steps (${changed} of 50 losses differ from dropout 0)`);
});

function hostWeights(model: PreTrainedModel): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([name, p]) => [name, p.detach().cpu().toTypedArray() as Float32Array]));
}

test('inference: graphs and eager passes give the same outputs and loss; only repeated shapes replay (CUDA)', { skip: cudaSkip }, () => {
  const model = tinyClassifier(3, 0.1).to('cuda');
  // Three epochs of the same batches: every shape is seen at least twice, so most batches replay a graph.
  const batches = [0, 1, 2].flatMap((epoch) => epochBatches(randomFeatures(40, 4), 8)(epoch));
  const eager = runInference(model, batches, { device: 'cuda', precision: 'fp32' });
  const graphs = new GraphedForwards('fp32', (line) => assert.fail(line));
  const graphed = runInference(model, batches, { device: 'cuda', precision: 'fp32', graphs });
  assert.ok(graphs.capturedShapes.length > 0, 'some shape was captured');
  assert.ok(Math.abs(graphed.loss! - eager.loss!) < 1e-6, `loss ${graphed.loss} vs ${eager.loss}`);
  for (let i = 0; i < batches.length; i++) {
    const a = graphed.batches[i].outputs.logits.data;
    const b = eager.batches[i].outputs.logits.data;
    assert.equal(a.length, b.length);
    for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j] - b[j]) < 1e-5, `batch ${i} logit ${j}: ${a[j]} vs ${b[j]}`);
  }
  graphs.dispose();
  model.dispose();
});

test('inference: outputs read one batch behind equal a forward per batch (CPU)', () => {
  const model = tinyClassifier(4, 0.1);
  const batches = epochBatches(randomFeatures(30, 5), 7)(0);
  const result = runInference(model, batches, { device: 'cpu', precision: 'fp32' });
  let lossSum = 0;
  let rows = 0;
  torch.noGrad(() => batches.forEach((batch, i) => torch.scope(() => {
    const out = model.forward(toModelInputs(batch, 'cpu', true));
    lossSum += out.loss!.item() * batch.size[0];
    rows += batch.size[0];
    assert.deepEqual(Array.from(out.logits!.toTypedArray() as Float32Array), Array.from(result.batches[i].outputs.logits.data), `batch ${i}`);
  })));
  assert.equal(result.loss, lossSum / rows);
  model.dispose();
});
