// The default trial, `tunelab train`: spec checks of trial.train and of search-space names against train's flags,
// the command it builds, and examples/sweeps/mrpc-synthetic.yml cut to 2 trials, run end to end.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { SpecError } from '../../src/sweep/spec.js';
import { loadSpec, parseSpec } from '../../src/sweep/spec-file.js';
import { processesPerTrial } from '../../src/sweep/spec.js';
import { trainCommandTemplate } from '../../src/sweep/train-trial.js';
import { trialCommand } from '../../src/sweep/command.js';
import { createSweep, runSweep } from '../../src/sweep/controller.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';
import { writeMrpcSynthetic } from '../../../../examples/sweeps/mrpc-synthetic-data.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/sweeps/mrpc-synthetic.yml', import.meta.url));

function trainSpec(train: string, space = 'lr: { type: loguniform, min_value: -9, max_value: -5 }'): string {
  return `name: t
trial:
  train:
${train.split('\n').map((line) => `    ${line}`).join('\n')}
search_space:
  ${space}
objective: { primary_metric: eval_loss, goal: minimize }
`;
}

const FIXED = 'model: m\ntask: glue/mrpc';

async function specError(text: string): Promise<string> {
  try {
    await parseSpec(text, 'mrpc.yml');
  } catch (error) {
    assert.ok(error instanceof SpecError, String(error));
    return error.message;
  }
  throw new Error('the spec was accepted');
}

describe('trial.train specs', () => {
  it('refuses unknown or sweep-owned flags and bad values, naming file:line and the key', async () => {
    assert.equal(await specError(trainSpec(`${FIXED}\nlearning-rat: 0.1`)), 'mrpc.yml:6: trial.train.learning-rat: not a tunelab train flag (did you mean learning-rate?): name parameters and trial.train keys after its flags (lr, batch_size, epochs, weight_decay, …)');
    await parseSpec(trainSpec(`${FIXED}\nlearning-rate: 0.1\nper_device_train_batch_size: 8`, 'seed: { type: choice, values: [1, 2] }'), 'mrpc.yml'); // HF's names are aliases
    assert.equal(await specError(trainSpec(`${FIXED}\nbatch-size: many`)), 'mrpc.yml:6: trial.train.batch-size: "many" is not valid for --batch-size: expected number, received NaN');
    assert.match(await specError(trainSpec(`${FIXED}\noutput-dir: out`)), /^mrpc\.yml:6: trial\.train\.output-dir: --output-dir is set by the sweep for each trial$/);
    assert.match(await specError(trainSpec('model: m')), /^mrpc\.yml:4: trial\.train: needs task$/);
    assert.match(await specError(trainSpec(`${FIXED}\nbatchSize: 8`)), /trial\.train\.batchSize: not a tunelab train flag/);
    assert.equal(await specError(trainSpec(`${FIXED}\nnproc-per-node: 2`)), 'mrpc.yml:6: trial.train.nproc-per-node: processes per trial are set by trial.distribution: { type: pytorch, process_count_per_instance: N }');
    assert.match(await specError(trainSpec(FIXED, 'master_port: { type: choice, values: [29500] }')), /^mrpc\.yml:7: search_space\.master_port: processes per trial are set by trial\.distribution/);
    assert.equal(await specError(trainSpec(`${FIXED}\nweight-decay: true`)), 'mrpc.yml:6: trial.train.weight-decay: --weight-decay takes a value, not true');
    assert.equal(await specError(trainSpec(`${FIXED}\nfrom-scratch: yes`)), 'mrpc.yml:6: trial.train.from-scratch: --from-scratch is a switch: give true or false');
  });

  it('refuses search-space names that are not train flags, or that draw values the flag refuses', async () => {
    assert.match(await specError(trainSpec(FIXED, 'learning_rat: { type: uniform, min_value: 0, max_value: 1 }')),
      /^mrpc\.yml:7: search_space\.learning_rat: not a tunelab train flag \(did you mean learning_rate\?\)/);
    assert.match(await specError(trainSpec(FIXED, 'lr: { type: choice, values: [0.1] }\n  learning_rate: { type: choice, values: [0.2] }')),
      /search_space\.learning_rate: the same flag as lr \(--lr\)/);
    assert.equal(await specError(trainSpec(FIXED, 'batch_size: { type: uniform, min_value: 8, max_value: 64 }')),
      'mrpc.yml:7: search_space.batch_size: uniform can draw 28.72 is not valid for --batch-size: expected int, received number');
    assert.match(await specError(trainSpec(FIXED, 'lr: { type: normal, mu: 0, sigma: 1 }')), /search_space\.lr: normal can draw -?[\d.]+ is not valid for --lr: /);
    assert.match(await specError(trainSpec(FIXED, 'from_scratch: { type: choice, values: [true, false] }')), /boolean flags cannot be searched/);
    assert.match(await specError(trainSpec(`${FIXED}\nlr: 0.1`)), /search_space\.lr: also fixed in trial\.train/);
    await parseSpec(trainSpec(FIXED, 'batch_size: { type: quniform, min_value: 8, max_value: 64, q: 8 }'), 'mrpc.yml'); // integers only: accepted
  });

  it('needs exactly one of command and train', async () => {
    assert.match(await specError(trainSpec(FIXED).replace('  train:', '  command: echo hi\n  train:')), /^mrpc\.yml:3: trial: give exactly one of command/);
    assert.match(await specError('trial: { env: { A: b } }\nsearch_space: { x: { type: choice, values: [1] } }\nobjective: { primary_metric: m, goal: minimize }\n'), /^mrpc\.yml:1: trial: give exactly one/);
  });

  it('builds `<node> <this tunelab> train` with the fixed flags, one flag per parameter and the output folder', async () => {
    const spec = await parseSpec(trainSpec(`${FIXED}\nfrom-scratch: true\ngroup-by-length: false\nignore-mismatched-sizes: false\ntrain-file: data/my train.tsv\nepochs: 2`,
      'lr: { type: loguniform, min_value: -9, max_value: -5 }\n  batch_size: { type: choice, values: [16, 32] }'), 'mrpc.yml');
    const template = trainCommandTemplate(spec.trial.train!, Object.keys(spec.search_space));
    const command = trialCommand(template, {
      params: { learning_rate: 0.001, per_device_train_batch_size: 16 }, outputDir: '/runs/r1/artifacts', trialId: 't', trialNumber: 0, runId: 'r1',
      sweepId: 's', sweepName: 't', processCount: 1, storeUrl: '/s.db', storeHome: '/',
    });
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    assert.ok(command.startsWith(`${process.execPath} --conditions=development --import file:`), command);
    assert.ok(command.includes(` ${main} train --model=m --task=glue/mrpc --from-scratch --no-group-by-length '--train-file=data/my train.tsv' --epochs=2 `), command);
    assert.ok(command.endsWith(' --lr=0.001 --batch-size=16 --output-dir=/runs/r1/artifacts'), command);
    assert.ok(!command.includes('ignore-mismatched-sizes'), 'a flag at its default is left out');
    assert.ok(!command.includes('--nproc-per-node'), 'one process per trial: no launcher');
  });

  it('starts trial.distribution.process_count_per_instance ranks through train\'s own launcher', async () => {
    const spec = await parseSpec(trainSpec(FIXED).replace('search_space:', '  distribution: { type: pytorch, process_count_per_instance: 3 }\nsearch_space:'), 'mrpc.yml');
    const template = trainCommandTemplate(spec.trial.train!, Object.keys(spec.search_space), processesPerTrial(spec));
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    assert.ok(template.includes(` ${main} train --nproc-per-node 3 --model=m --task=glue/mrpc `), template);
    assert.ok(!template.includes('--master-port'), 'the launcher picks a free port, so concurrent trials do not collide');
  });
});

describe('examples/sweeps/mrpc-synthetic.yml', () => {
  it('is valid, and 2 of its trials train, evaluate and report eval_loss into the runs the sweep created', async () => {
    const example = (await loadSpec(EXAMPLE)).spec;
    assert.equal(example.trial.command, undefined);
    // the spec's lr and batch_size, under train's stored (HF) names
    assert.deepEqual(Object.keys(example.search_space).sort(), ['learning_rate', 'per_device_train_batch_size']);

    const dir = mkdtempSync(join(tmpdir(), 'tunelab-mrpc-sweep-'));
    const { store, dispose } = await freshStore(sqliteBackend);
    try {
      await writeMrpcSynthetic(join(dir, 'mrpc-synthetic'));
      const raw = YAML.parse(readFileSync(EXAMPLE, 'utf8')) as { trial: { train: Record<string, unknown> }; limits: Record<string, number> };
      raw.trial.train.epochs = 2;
      raw.limits.max_total_trials = 2;
      writeFileSync(join(dir, 'two.yml'), YAML.stringify(raw));
      const { spec, dir: specDir } = await loadSpec(join(dir, 'two.yml'));
      const sweep = await createSweep(store, spec, specDir, 'local');
      const outcome = await runSweep(store, sweep.id, { pollMs: 100, killGraceMs: 2000 });

      assert.equal(outcome.sweep.status, 'completed', outcome.sweep.reason ?? '');
      assert.deepEqual(outcome.trials.map((t) => t.status), ['completed', 'completed'], outcome.trials.map((t) => t.reason).join('; '));
      const runs = await store.listRuns({ sweepId: sweep.id });
      assert.equal(runs.length, 2, 'the trainer reported into the sweep\'s runs instead of starting its own');
      for (const trial of outcome.trials) {
        const run = await store.getRun(trial.runId!);
        // the spec's lr and batch_size are stored under train's (HF) names, in the trial and in its run alike
        assert.deepEqual(Object.keys(trial.params).sort(), ['learning_rate', 'per_device_train_batch_size']);
        assert.equal(run.params.learning_rate, trial.params.learning_rate, 'the sampled lr reached --lr');
        assert.equal(run.params.per_device_train_batch_size, trial.params.per_device_train_batch_size, 'the sampled batch_size reached --batch-size');
        assert.equal(run.params.output_dir, store.artifactsDir(run.id));
        const [evalLoss] = await store.getMetrics(run.id, ['eval_loss']);
        // One report per epoch (steps 800/bs and 2·800/bs): 2 intervals for 2 epochs. The saved model's evaluation is
        // final_eval_loss, and the plan (total_steps, at step 0) lets the controller leave the last step unjudged.
        const perEpoch = Math.ceil(800 / Number(trial.params.per_device_train_batch_size));
        assert.deepEqual(evalLoss.points.map((p) => p.step), [perEpoch, 2 * perEpoch]);
        const [finalLoss, totalSteps] = await store.getMetrics(run.id, ['final_eval_loss', 'total_steps']);
        assert.deepEqual(finalLoss.points.map((p) => p.step), [2 * perEpoch]);
        assert.deepEqual(totalSteps.points.map((p) => [p.step, p.value]), [[0, 2 * perEpoch]]);
        assert.equal(trial.evaluatedCount, 2, 'both reports counted; the last one (at the last step) judged by no policy');
        assert.ok(evalLoss.points.every((p) => p.value > 0.3 && p.value < 2), 'a cross-entropy near ln 2 on a balanced binary task');
        assert.equal(trial.bestValue, Math.min(...evalLoss.points.map((p) => p.value)));
        const artifacts = (await store.listArtifacts(run.id)).map((a) => a.name);
        assert.ok(artifacts.includes('model.safetensors') && artifacts.includes('metrics.json'), artifacts.join(', '));
      }
      const best = outcome.trials.reduce((a, b) => (b.bestValue! < a.bestValue! ? b : a));
      assert.equal(outcome.sweep.bestTrialId, best.id);
    } finally {
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
