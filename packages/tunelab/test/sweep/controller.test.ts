// The sweep controller with the local executor, in-process on SQLite, over the synthetic objective
// loss(step) = x² + 1/step (fixtures/objective.mjs): results, early termination, limits, timeouts, stops, GPUs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpec } from '../../src/sweep/spec-file.js';
import { ControllerBusyError, createSweep, runSweep, type SweepOutcome } from '../../src/sweep/controller.js';
import type { Store, Trial } from '../../src/track/store.js';
import { GpuShortageError } from '../../src/sweep/gpus.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';

const objective = fileURLToPath(new URL('./fixtures/objective.mjs', import.meta.url));

function spec(body: string, args = '--steps 4 --sleep-ms 20', trialExtra = '') {
  return parseSpec(`name: test
trial:
  command: node ${objective} --x=\${{search_space.x}} ${args} --out \${{trial.output_dir}}
${trialExtra}${body}
objective: { primary_metric: loss, goal: minimize }
`, 'test.yml');
}

const loss = (x: number, step: number) => x * x + 1 / step;

/** The most trials that were running at the same instant (from their start and end times). */
function peakConcurrency(trials: Trial[]): number {
  const events = trials.flatMap((t) => [[t.startedAt!, 1], [t.endedAt!, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let peak = 0;
  for (const [, delta] of events) peak = Math.max(peak, (running += delta));
  return peak;
}

describe('sweep controller (local executor)', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => ({ store, dispose } = await freshStore(sqliteBackend)));
  after(async () => dispose());

  async function run(body: string, args?: string, options: { gpus?: string[]; trialExtra?: string; whileRunning?: (sweepId: string) => Promise<void> } = {}): Promise<SweepOutcome> {
    const sweep = await createSweep(store, await spec(body, args, options.trialExtra), store.home, 'local');
    const running = runSweep(store, sweep.id, { pollMs: 40, killGraceMs: 500, gpus: options.gpus });
    await options.whileRunning?.(sweep.id);
    return running;
  }

  const stdoutOf = (trial: Trial) => readFileSync(join(store.runDir(trial.runId!), 'stdout.log'), 'utf8');

  it('runs every trial, records its curve, and finds the best trial', async () => {
    const outcome = await run(`search_space: { x: { type: uniform, min_value: -1, max_value: 1 } }
sampling_algorithm: { type: random, rule: sobol, seed: 4 }
limits: { max_total_trials: 6, max_concurrent_trials: 2 }`);
    assert.equal(outcome.sweep.status, 'completed');
    assert.deepEqual(outcome.trials.map((t) => t.status), Array(6).fill('completed'));
    for (const trial of outcome.trials) {
      const x = trial.params.x as number;
      const [series] = await store.getMetrics(trial.runId!, ['loss']);
      assert.deepEqual(series.points.map((p) => p.value), [1, 2, 3, 4].map((s) => loss(x, s)));
      assert.equal(trial.bestValue, loss(x, 4));
      assert.equal(trial.bestStep, 4);
      assert.match(stdoutOf(trial), new RegExp(`^start ${trial.number} ${trial.runId} gpu=none param=${x}\\n`), 'param by env and by substitution agree');
      assert.deepEqual((await store.listArtifacts(trial.runId!)).map((a) => a.name), ['done.txt']);
      assert.equal((await store.getRun(trial.runId!)).exitCode, 0);
    }
    const best = outcome.trials.reduce((a, b) => ((a.params.x as number) ** 2 <= (b.params.x as number) ** 2 ? a : b));
    assert.equal(outcome.sweep.bestTrialId, best.id);
    assert.match(outcome.sweep.reason!, new RegExp(`^best trial ${best.number} \\(run ${best.runId}\\): loss `));
    assert.equal(peakConcurrency(outcome.trials), 2, 'max_concurrent_trials used, never exceeded');
  });

  it('stops hopeless trials by bandit, with the numbers in the reason', async () => {
    // x = 0 reports 1/N, x = 0.05 stays within 20% of it for 80 intervals; x = 2 and 3 are far outside from interval 2.
    const outcome = await run(`search_space: { x: { type: choice, values: [0, 0.05, 2, 3] } }
sampling_algorithm: grid
early_termination: { type: bandit, slack_factor: 0.2, evaluation_interval: 1, delay_evaluation: 2 }
limits: { max_total_trials: 4, max_concurrent_trials: 4 }`, '--steps 25 --sleep-ms 30');
    const byX = new Map(outcome.trials.map((t) => [t.params.x, t]));
    assert.equal(byX.get(0)!.status, 'completed');
    assert.equal(byX.get(0.05)!.status, 'completed');
    for (const x of [2, 3]) {
      const trial = byX.get(x)!;
      assert.equal(trial.status, 'terminated');
      const match = /^bandit: best ([\d.]+) > ([\d.]+)·\(1\+0\.2\) = ([\d.]+) at interval (\d+)$/.exec(trial.reason!);
      assert.ok(match, trial.reason!);
      const [, trialBest, best, cutoff, interval] = match.map(Number);
      assert.ok(interval >= 2 && trialBest > cutoff && Math.abs(cutoff - best * 1.2) < 0.01 * cutoff);
      assert.ok(Math.abs(trialBest - loss(x, interval)) < 0.01 * trialBest, 'the trial\'s best at that interval');
      assert.ok(trial.reportCount < 25, `stopped early (${trial.reportCount} reports)`);
      assert.equal((await store.getRun(trial.runId!)).status, 'terminated');
    }
  });

  it('terminates a trial that exceeds trial_timeout and records failures with their stderr', async () => {
    const timeout = await run(`search_space: { x: { type: choice, values: [1] } }
limits: { max_total_trials: 1, trial_timeout: 0.4 }`, '--steps 1000 --sleep-ms 20');
    const [slow] = timeout.trials;
    assert.equal(slow.status, 'terminated');
    assert.match(slow.reason!, /^trial_timeout: ran \d+\.\d s \(limit 0\.4 s\)$/);
    assert.equal(timeout.sweep.status, 'completed');

    const failing = await run(`search_space: { x: { type: choice, values: [1] } }
limits: { max_total_trials: 2 }`, '--steps 1 --sleep-ms 1 --exit-code 3');
    assert.deepEqual(failing.trials.map((t) => [t.status, t.exitCode, t.reason]), Array(2).fill(['failed', 3, 'exit code 3: objective failed on purpose with code 3']));
    assert.equal(failing.sweep.status, 'failed');
    assert.equal(failing.sweep.reason, 'all 2 trials failed');
  });

  it('stops at the sweep timeout: running trials terminated, none left queued', async () => {
    const outcome = await run(`search_space: { x: { type: uniform, min_value: 0, max_value: 1 } }
limits: { max_total_trials: 10, max_concurrent_trials: 2, timeout: 0.6 }`, '--steps 1000 --sleep-ms 20');
    assert.equal(outcome.sweep.status, 'stopped');
    assert.match(outcome.sweep.reason!, /^timeout: sweep ran \d+\.\d s \(limit 0\.6 s\)$/);
    assert.ok(outcome.trials.length <= 4, `no new trials after the timeout (${outcome.trials.length})`);
    for (const trial of outcome.trials) {
      assert.equal(trial.status, 'terminated');
      assert.match(trial.reason!, /^sweep stopped: timeout: sweep ran/);
    }
  });

  it('obeys a stop request from outside (CLI, dashboard)', async () => {
    const outcome = await run(`search_space: { x: { type: uniform, min_value: 0, max_value: 1 } }
limits: { max_total_trials: 8, max_concurrent_trials: 2 }`, '--steps 1000 --sleep-ms 20', {
      whileRunning: async (sweepId) => {
        while ((await store.listTrials(sweepId)).every((t) => t.reportCount === 0)) await new Promise((r) => setTimeout(r, 20));
        await store.requestSweepStop(sweepId, 'enough for today');
      },
    });
    assert.equal(outcome.sweep.status, 'stopped');
    assert.equal(outcome.sweep.reason, 'enough for today');
    assert.ok(outcome.trials.every((t) => t.status === 'terminated' && t.reason === 'sweep stopped: enough for today'));
  });

  it('refuses a second controller while the first one is alive', async () => {
    const outcome = await run(`search_space: { x: { type: choice, values: [1] } }
limits: { max_total_trials: 1 }`, '--steps 3 --sleep-ms 50', {
      whileRunning: async (sweepId) => {
        while ((await store.getSweep(sweepId)).controllerId === null) await new Promise((r) => setTimeout(r, 10));
        await assert.rejects(runSweep(store, sweepId, { pollMs: 40 }), (e: Error) => e instanceof ControllerBusyError && /is being run by controller \S+ \(heartbeat \d+\.\d s ago\)/.test(e.message));
      },
    });
    assert.equal(outcome.sweep.status, 'completed');
  });

  it('gives each running trial its own GPU through CUDA_VISIBLE_DEVICES', async () => {
    const outcome = await run(`search_space: { x: { type: uniform, min_value: 0, max_value: 1 } }
limits: { max_total_trials: 5, max_concurrent_trials: 4 }`, '--steps 3 --sleep-ms 40', { gpus: ['0', '1'] });
    for (const trial of outcome.trials) {
      assert.equal(trial.status, 'completed');
      assert.ok(trial.gpu === '0' || trial.gpu === '1');
      assert.match(stdoutOf(trial), new RegExp(`gpu=${trial.gpu} `));
      const overlapping = outcome.trials.filter((o) => o.id !== trial.id && o.startedAt! < trial.endedAt! && trial.startedAt! < o.endedAt!);
      assert.ok(overlapping.every((o) => o.gpu !== trial.gpu), 'no two concurrent trials share a GPU');
    }
    assert.equal(peakConcurrency(outcome.trials), 2, 'two GPUs → two trials at once, though max_concurrent_trials is 4');
  });

  it('gives a trial of 2 processes 2 GPUs, and starts it only when 2 are free', async () => {
    const outcome = await run(`search_space: { x: { type: uniform, min_value: 0, max_value: 1 } }
limits: { max_total_trials: 4, max_concurrent_trials: 4 }`, '--steps 3 --sleep-ms 40', {
      gpus: ['0', '1', '2', '3', '4'], trialExtra: '  distribution: { type: pytorch, process_count_per_instance: 2 }\n',
    });
    for (const trial of outcome.trials) {
      assert.equal(trial.status, 'completed', trial.reason ?? '');
      const held = trial.gpu!.split(',');
      assert.equal(held.length, 2, trial.gpu!);
      assert.match(stdoutOf(trial), new RegExp(`gpu=${trial.gpu} `), 'CUDA_VISIBLE_DEVICES lists both');
      const overlapping = outcome.trials.filter((o) => o.id !== trial.id && o.startedAt! < trial.endedAt! && trial.startedAt! < o.endedAt!);
      assert.ok(overlapping.every((o) => o.gpu!.split(',').every((id) => !held.includes(id))), 'no GPU shared by concurrent trials');
    }
    assert.equal(peakConcurrency(outcome.trials), 2, 'five GPUs hold two trials of two, though max_concurrent_trials is 4');
  });

  it('refuses at once a sweep whose trials need more GPUs than there are', async () => {
    const sweep = await createSweep(store, await spec(`search_space: { x: { type: choice, values: [1] } }
limits: { max_total_trials: 1 }`, undefined,
      '  distribution: { type: pytorch, process_count_per_instance: 3 }\n'), store.home, 'local');
    await assert.rejects(runSweep(store, sweep.id, { pollMs: 40, gpus: ['0', '1'] }), (e: unknown) => e instanceof GpuShortageError &&
      e.message.startsWith(`sweep ${sweep.id}: trial.distribution.process_count_per_instance is 3 but only 2 GPUs (0,1) can be handed out`));
    assert.deepEqual((await store.listTrials(sweep.id)).length, 0, 'no trial was started');
    assert.equal((await store.getSweep(sweep.id)).controllerId, null, 'the lease was not taken: the sweep can be resumed with more GPUs');
    const resumed = await runSweep(store, sweep.id, { pollMs: 40, gpus: ['0', '1', '2'] });
    assert.equal(resumed.sweep.status, 'completed');
    assert.deepEqual(resumed.trials.map((t) => [t.status, t.gpu]), [['completed', '0,1,2']]);
  });
});
