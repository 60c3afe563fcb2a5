// `tunelab train` in the tracking store: its own run (params, metric curves, the output folder as artifacts); inside
// a sweep trial the trial's run; and `@tunelab` lines on stdout when a trial cannot reach its store.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseProtocolLine } from '../../src/track/protocol.js';
import { openStore } from '../../src/track/store.js';
import { GLUE, runCli, tempDir, tinyModelFolder } from './helpers.js';

const model = tinyModelFolder();
const trainArgs = (out: string) => ['train', '--model', model, '--task', 'glue/mrpc', '--from-scratch', '--threads', '1',
  '--precision', 'fp32', '--train-file', join(GLUE, 'MRPC/dev.tsv'), '--validation-file', join(GLUE, 'MRPC/dev.tsv'),
  '--max-train-samples', '32', '--max-eval-samples', '16', '--max-steps', '4', '--batch-size', '8', '--eval-every', '2',
  '--log-every', '1', '--output-dir', out];

test('a training run records params, train/eval curves and its output folder', async () => {
  const dir = tempDir();
  const storeFile = join(dir, 'store.db');
  const result = await runCli([...trainArgs(join(dir, 'out')), '--store', storeFile, '--experiment', 'mrpc-tiny', '--run-name', 'first']);
  assert.equal(result.code, 0, result.stderr);
  const store = await openStore(storeFile);
  try {
    const [run] = await store.listRuns();
    assert.equal(run.name, 'first');
    assert.equal(run.status, 'completed');
    assert.match(result.stdout, new RegExp(`tracked: run ${run.id} \\(experiment mrpc-tiny\\) in ${storeFile}`));
    assert.equal(run.params.task, 'glue/mrpc');
    // one stored name per hyperparameter: HF TrainingArguments' (snake_case), never the camelCase option key
    assert.equal(run.params.learning_rate, 5e-5);
    assert.equal(run.params.per_device_train_batch_size, 8);
    assert.equal(run.params.max_steps, 4);
    assert.equal(run.params.output_dir, join(dir, 'out'));
    assert.deepEqual(Object.keys(run.params).filter((name) => /[A-Z]/.test(name)), []);
    assert.equal(run.params.precision, 'fp32');
    const series = new Map((await store.getMetrics(run.id)).map((s) => [s.name, s.points]));
    assert.deepEqual(series.get('train_loss')!.map((p) => p.step), [1, 2, 3, 4]);
    assert.deepEqual(series.get('learning_rate')!.map((p) => p.step), [1, 2, 3, 4]);
    // One point per evaluation; the final model's evaluation once, under its own name (load-best off: last weights).
    assert.deepEqual(series.get('eval_accuracy')!.map((p) => p.step), [2, 4]);
    assert.deepEqual(series.get('final_eval_accuracy')!.map((p) => [p.step, p.value]), [[4, series.get('eval_accuracy')![1].value]]);
    assert.deepEqual(series.get('total_steps')!.map((p) => [p.step, p.value]), [[0, 4]]);
    assert.match(result.stdout, /saved model: weights of the last step 4 \(--load-best-model-at-end is off/);
    const artifacts = (await store.listArtifacts(run.id)).map((a) => a.name);
    for (const name of ['output/metrics.json', 'output/model.safetensors', 'output/config.json', 'output/predictions/validation.jsonl']) {
      assert.ok(artifacts.includes(name), name);
    }
    assert.ok(!artifacts.some((name) => name.includes('checkpoint-')));
    // the CLI run's output is its log (the dashboard's Logs panel), as a sweep trial's captured stdout is
    const log = (await store.readLog(run.id)).map((chunk) => chunk.text).join('');
    assert.match(log, /^device cpu, precision fp32 \(--precision fp32\)$/m);
    assert.match(log, /^eval at step 2 \(epoch [\d.]+\): eval_loss /m);
  } finally {
    await store.close();
  }
});

test('inside a sweep trial: metrics go to the trial\'s run, whose status the launcher keeps', async () => {
  const dir = tempDir();
  const storeFile = join(dir, 'store.db');
  const store = await openStore(storeFile);
  const run = await store.createRun({ experiment: 'sweep-x', name: 'trial-0' });
  await store.close();
  const result = await runCli(trainArgs(join(dir, 'out')), { TUNELAB_RUN_ID: run.id, TUNELAB_STORE: storeFile });
  assert.equal(result.code, 0, result.stderr);
  const reopened = await openStore(storeFile);
  try {
    assert.equal((await reopened.listRuns()).length, 1);
    assert.equal((await reopened.getRun(run.id)).status, 'running');
    const names = (await reopened.getMetrics(run.id)).map((s) => s.name);
    assert.ok(names.includes('train_loss') && names.includes('eval_f1'));
  } finally {
    await reopened.close();
  }
});

test('a sweep trial whose store is unreachable reports by @tunelab lines', async () => {
  const dir = tempDir();
  const result = await runCli(trainArgs(join(dir, 'out')), {
    TUNELAB_RUN_ID: 'r-unreachable', TUNELAB_STORE: join(dir, 'missing-folder', 'absent', 'store.db'),
  });
  assert.equal(result.code, 0, result.stderr);
  const reports = result.stdout.split('\n').map(parseProtocolLine).filter((p) => p.kind === 'report');
  const steps = reports.map((p) => (p.kind === 'report' ? p.report : null)!);
  assert.deepEqual(steps.filter((r) => 'train_loss' in r.metrics).map((r) => r.step), [1, 2, 3, 4]);
  assert.ok(steps.some((r) => r.step === 4 && typeof r.metrics.eval_accuracy === 'number'));
});
