// The controller and the worker run trials through the Executor interface (sweep/types.ts) only: an in-memory
// executor that spawns nothing drives whole sweeps. It also pins the rule that a policy never judges a report at
// or after a trial's last training step (its reported total_steps): a trial that finished training is completed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseSpec } from '../../src/sweep/spec-file.js';
import { createSweep, runSweep } from '../../src/sweep/controller.js';
import { runWorker } from '../../src/sweep/worker.js';
import type { Executor, ExitInfo, LaunchTarget, OutputBatch, TrialHandle } from '../../src/sweep/types.js';
import type { Store } from '../../src/track/store.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';

/** Curves by the trial's x: loss per step 1…4. x=1 is worse than x=0 at step 4 only (bandit, slack 0.1). */
const CURVES: Record<string, number[]> = { 0: [1, 0.5, 0.33, 0.25], 1: [1, 0.5, 0.34, 0.34] };

/** Reports `total_steps` 4 at step 0 (as `tunelab train` does) and the curve, then keeps running `holdMs`. */
class ScriptedExecutor implements Executor {
  readonly launched: string[] = [];
  constructor(private readonly holdMs: number, private readonly reportTotal = true) {}

  launch(trial: LaunchTarget, command: string, env: Record<string, string>): TrialHandle {
    this.launched.push(command);
    const curve = CURVES[env.TUNELAB_PARAM_X];
    const points = curve.map((value, i) => ({ name: 'loss', step: i + 1, value, wallTime: Date.now() }));
    if (this.reportTotal) points.unshift({ name: 'total_steps', step: 0, value: curve.length, wallTime: Date.now() });
    return new ScriptedHandle(points, this.holdMs);
  }

  attach(): TrialHandle | null {
    return null;
  }

  findUnrecorded(): 'never-started' {
    return 'never-started';
  }
}

class ScriptedHandle implements TrialHandle {
  readonly pid = 0;
  private resolveExit!: (info: ExitInfo) => void;
  private readonly exit = new Promise<ExitInfo>((resolve) => { this.resolveExit = resolve; });
  readonly reports: AsyncIterable<OutputBatch>;

  constructor(points: OutputBatch['points'], holdMs: number) {
    const exit = this.exit;
    this.reports = (async function* () {
      yield { stdoutOffset: 0, stderrOffset: 0, logs: [], points, params: {} };
      await exit;
    })();
    void sleep(holdMs).then(() => this.resolveExit({ exitCode: 0, signal: null }));
  }

  wait(): Promise<ExitInfo> {
    return this.exit;
  }

  async terminate(): Promise<void> {
    this.resolveExit({ exitCode: null, signal: 'SIGTERM' });
  }
}

const SPEC = `name: scripted
trial: { command: "never run \${{search_space.x}}" }
search_space: { x: { type: choice, values: [0, 1] } }
sampling_algorithm: grid
objective: { primary_metric: loss, goal: minimize }
early_termination: { type: bandit, slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 1 }
limits: { max_total_trials: 2, max_concurrent_trials: 1 }
`;

describe('sweeps through the Executor interface', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => ({ store, dispose } = await freshStore(sqliteBackend)));
  after(async () => dispose());

  it('a controller runs every trial on the executor it is given; the last step is never judged', async () => {
    const executor = new ScriptedExecutor(300);
    const sweep = await createSweep(store, await parseSpec(SPEC, 'scripted.yml'), store.home, 'local');
    const outcome = await runSweep(store, sweep.id, { pollMs: 20, executor });
    assert.equal(executor.launched.length, 2);
    assert.deepEqual(outcome.trials.map((t) => [t.params.x, t.status]), [[0, 'completed'], [1, 'completed']]);
    const [loss] = await store.getMetrics(outcome.trials[1].runId!, ['loss']);
    assert.equal(loss.points.length, 4, 'all 4 intervals reported');
  });

  it('without a reported total the same report is judged, and the trial is terminated', async () => {
    const executor = new ScriptedExecutor(1000, false); // the stop ends it early; the hold only leaves time to judge
    const sweep = await createSweep(store, await parseSpec(SPEC, 'scripted.yml'), store.home, 'local');
    const outcome = await runSweep(store, sweep.id, { pollMs: 20, executor });
    assert.deepEqual(outcome.trials.map((t) => t.status), ['completed', 'terminated']);
    assert.match(outcome.trials[1].reason!, /^bandit: best 0\.34 > 0\.25·\(1\+0\.1\) = 0\.275 at interval 4$/);
  });

  it('a worker runs claimed trials on the executor it is given', async () => {
    const executor = new ScriptedExecutor(50);
    const sweep = await createSweep(store, await parseSpec(SPEC, 'scripted.yml'), store.home, 'worker');
    const controlling = runSweep(store, sweep.id, { pollMs: 20 });
    const summary = await runWorker(store, { sweepId: sweep.id, pollMs: 20, executor });
    const outcome = await controlling;
    assert.equal(summary.trials.length, 2);
    assert.equal(executor.launched.length, 2);
    assert.deepEqual(outcome.trials.map((t) => t.status), ['completed', 'completed']);
  });
});
