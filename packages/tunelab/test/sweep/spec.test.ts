// Spec validation: Azure-shaped YAML/JSON in, defaults filled; every error names file:line, the key and why.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesPerTrial, SpecError, specFromJson } from '../../src/sweep/spec.js';
import { loadSpec, parseSpec } from '../../src/sweep/spec-file.js';

const VALID = `name: mrpc-lr
trial:
  command: node objective.js --lr \${{search_space.learning_rate}} --bs \${{search_space.batch_size}} --out \${{trial.output_dir}}
search_space:
  learning_rate: { type: loguniform, min_value: -13.8, max_value: -6.9 }
  batch_size: { type: choice, values: [16, 32] }
sampling_algorithm: random
objective: { primary_metric: val_loss, goal: minimize }
early_termination: { type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 2 }
limits: { max_total_trials: 20, max_concurrent_trials: 4, timeout: 7200, trial_timeout: 1800 }
`;

/** The SpecError message for `text`, which must fail. */
async function errorOf(text: string): Promise<string> {
  try {
    await parseSpec(text, 'spec.yml');
  } catch (error) {
    assert.ok(error instanceof SpecError, `expected SpecError, got ${error}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return error.message;
  }
  assert.fail('spec was accepted');
}

describe('sweep spec', () => {
  it('accepts the issue\'s example and fills defaults', async () => {
    const spec = await parseSpec(VALID, 'spec.yml');
    assert.equal(spec.name, 'mrpc-lr');
    assert.deepEqual(spec.sampling_algorithm, { type: 'random', rule: 'random', seed: undefined });
    assert.deepEqual(spec.early_termination, { type: 'bandit', slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 2 });
    assert.deepEqual(spec.limits, { max_total_trials: 20, max_concurrent_trials: 4, timeout: 7200, trial_timeout: 1800, max_retries: 2, heartbeat_grace: 60 });
    assert.deepEqual(spec.search_space.learning_rate, { type: 'loguniform', min_value: -13.8, max_value: -6.9 });
  });

  it('reads the object forms of sampling_algorithm and JSON files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelab-spec-'));
    const file = join(dir, 'my-sweep.json');
    writeFileSync(file, JSON.stringify({
      trial: { command: 'python t.py ${{search_space.x}}', code: 'src' },
      search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } },
      sampling_algorithm: { type: 'random', rule: 'sobol', seed: 7 },
      objective: { primary_metric: 'acc', goal: 'maximize' },
    }));
    const { spec, dir: codeDir } = await loadSpec(file);
    assert.equal(spec.name, 'my-sweep', 'defaults to the file name');
    assert.equal(codeDir, join(dir, 'src'));
    assert.deepEqual(spec.sampling_algorithm, { type: 'random', rule: 'sobol', seed: 7 });
    assert.deepEqual(spec.limits, { max_total_trials: 1000, max_concurrent_trials: 4, max_retries: 2, heartbeat_grace: 60 });
  });

  it('bounds a grid sweep by the grid size', async () => {
    const spec = await parseSpec(VALID.replace('sampling_algorithm: random', 'sampling_algorithm: grid')
      .replace(/learning_rate: .*\n/, 'learning_rate: { type: choice, values: [1, 2, 3] }\n'), 'g.yml');
    assert.equal(spec.limits.max_total_trials, 6);
  });

  it('names file:line, key and reason for each kind of mistake', async () => {
    const cases: [string, string][] = [
      [VALID.replace('min_value: -13.8', 'min_value: "low"'), 'spec.yml:5: search_space.learning_rate.min_value: Invalid input: expected number, received string'],
      [VALID.replace('type: loguniform', 'type: logarithmic'), 'spec.yml:5: search_space.learning_rate.type: type must be one of choice, randint, uniform, quniform, loguniform, qloguniform, normal, qnormal, lognormal, qlognormal'],
      [VALID.replace('min_value: -13.8, max_value: -6.9', 'min_value: -6, max_value: -7'), 'spec.yml:5: search_space.learning_rate.max_value: min_value must be < max_value'],
      [VALID.replace('goal: minimize', 'goal: lower'), 'spec.yml:8: objective.goal: Invalid option: expected one of "minimize"|"maximize"'],
      [VALID.replace('limits: {', 'limits: { max_trials: 3,'), 'spec.yml:10: limits.max_trials: unknown key'],
      [VALID.replace('slack_factor: 0.1', 'slack_factor: 0.1, slack_amount: 0.2'), 'spec.yml:9: early_termination: give exactly one of slack_factor and slack_amount'],
      [VALID.replace('sampling_algorithm: random', 'sampling_algorithm: grid'), 'spec.yml:5: search_space.learning_rate.type: grid sampling supports choice, not loguniform'],
      [VALID.replace('sampling_algorithm: random', 'sampling_algorithm: bayesian'), 'spec.yml:5: search_space.learning_rate.type: bayesian sampling supports choice, uniform, quniform, not loguniform'],
      [VALID.replace('sampling_algorithm: random', 'sampling_algorithm: bayesian').replace('loguniform', 'uniform'), 'spec.yml:9: early_termination: bayesian sampling does not allow early termination (as in Azure ML)'],
      [VALID.replace('search_space.batch_size', 'search_space.batchsize'), 'spec.yml:3: trial.command: unknown placeholder ${{search_space.batchsize}} (known: search_space.learning_rate, search_space.batch_size, trial.output_dir, trial.id, trial.number, trial.run_id, trial.process_count, sweep.id, sweep.name)'],
      [VALID.replace('type: bandit', 'type: hyperband'), 'spec.yml:9: early_termination.type: type must be one of bandit, median_stopping, truncation_selection, asha'],
      [VALID.replace(/objective: .*\n/, ''), 'spec.yml:1: objective: required key is missing'],
      [VALID.replace('values: [16, 32]', 'values: []'), 'spec.yml:6: search_space.batch_size.values: choice needs at least one value'],
      [VALID.replace('max_concurrent_trials: 4', 'max_concurrent_trials: 0'), 'spec.yml:10: limits.max_concurrent_trials: Too small: expected number to be >0'],
      [VALID.replace('learning_rate:', 'learning-rate:').replace('search_space.learning_rate', 'trial.id'), 'spec.yml:5: search_space.learning-rate: parameter names are letters, digits and _'],
      ['name: x\ntrial: [unclosed\n', 'spec.yml:3: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ];
    for (const [text, expected] of cases) assert.equal(await errorOf(text), expected);
  });

  it('reads trial.distribution (Azure ML\'s pytorch shape) and ${{trial.process_count}}', async () => {
    const distributed = (distribution: string) => VALID.replace(/(  command: .*\n)/, `$1  distribution: ${distribution}\n`);
    const two = await parseSpec(distributed('{ type: pytorch, process_count_per_instance: 2 }')
      .replace('--out ', 'torchrun --nproc-per-node ${{trial.process_count}} --out '), 'spec.yml');
    assert.deepEqual(two.trial.distribution, { type: 'pytorch', process_count_per_instance: 2 });
    assert.equal(processesPerTrial(two), 2);
    assert.equal(processesPerTrial(await parseSpec(distributed('{ type: pytorch }'), 'spec.yml')), 1, 'Azure\'s default: one process');
    assert.equal(processesPerTrial(await parseSpec(VALID, 'spec.yml')), 1, 'no distribution: one process');
    assert.deepEqual(specFromJson(JSON.parse(JSON.stringify(two)), 'sweep abc').trial.distribution, two.trial.distribution, 'stored specs keep it');

    const cases: [string, string][] = [
      ['{ type: pytorch, process_count_per_instance: 0 }', 'spec.yml:4: trial.distribution.process_count_per_instance: Too small: expected number to be >0'],
      ['{ type: pytorch, process_count_per_instance: 1.5 }', 'spec.yml:4: trial.distribution.process_count_per_instance: Invalid input: expected int, received number'],
      ['{ type: pytorch, process_count_per_instance: "2" }', 'spec.yml:4: trial.distribution.process_count_per_instance: Invalid input: expected number, received string'],
      ['{ type: mpi, process_count_per_instance: 2 }', 'spec.yml:4: trial.distribution.type: type must be pytorch (the only distribution tunelab runs)'],
      ['{ type: pytorch, instance_count: 2 }', 'spec.yml:4: trial.distribution.instance_count: unknown key'],
      ['{ process_count_per_instance: 2 }', 'spec.yml:4: trial.distribution.type: type must be pytorch (the only distribution tunelab runs)'],
    ];
    for (const [distribution, expected] of cases) assert.equal(await errorOf(distributed(distribution)), expected);
  });

  it('names the file when it cannot be read', async () => {
    await assert.rejects(loadSpec('/no/such/spec.yml'), (e: Error) => e instanceof SpecError && e.message === '/no/such/spec.yml: cannot read spec: ENOENT');
  });

  it('re-validates a stored spec', async () => {
    const spec = await parseSpec(VALID, 'spec.yml');
    assert.deepEqual(specFromJson(JSON.parse(JSON.stringify(spec)), 'sweep abc'), spec);
    assert.throws(() => specFromJson({ ...spec, limits: { max_total_trials: -1 } }, 'sweep abc'), /^SpecError: sweep abc: limits\.max_total_trials/);
  });
});
