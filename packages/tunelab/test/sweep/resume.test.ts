// Crash safety: the controller is SIGKILLed twice at different moments and `tunelab sweep resume` finishes the
// sweep with no trial lost and none run twice (one attempt, one run, one process start and every report exactly
// once per trial), re-attaching to the trial processes that kept running meanwhile.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../src/track/store.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';
import { runCli, startCli, until } from './cli-process.js';

const objective = fileURLToPath(new URL('./fixtures/objective.mjs', import.meta.url));
const TRIALS = 8;
const STEPS = 10;

describe('controller SIGKILL + sweep resume', () => {
  let store: Store;
  let url: string;
  let home: string;
  let dispose: () => Promise<void>;
  before(async () => ({ store, url, home, dispose } = await freshStore(sqliteBackend)));
  after(async () => dispose());

  it('finishes the sweep with every trial run exactly once', async () => {
    const specFile = join(home, 'crash.yml');
    writeFileSync(specFile, `name: crash
trial:
  command: node ${objective} --x=\${{search_space.x}} --steps ${STEPS} --sleep-ms 70
search_space: { x: { type: uniform, min_value: -1, max_value: 1 } }
sampling_algorithm: { type: random, seed: 3 }
objective: { primary_metric: loss, goal: minimize }
limits: { max_total_trials: ${TRIALS}, max_concurrent_trials: 3 }
`);
    const first = startCli(['sweep', 'run', specFile, '--store', url, '--poll', '100']);
    const sweepId = (await first.waitFor(/^sweep (\w+) \(crash\)/m))[1];
    const trials = () => store.listTrials(sweepId);
    // Moment 1: mid-sweep, with trials both finished and running.
    await until(async () => (await trials()).some((t) => t.status === 'completed') && (await trials()).some((t) => t.status === 'running' && t.reportCount > 2), 'a completed and a running trial');
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300)); // trials keep running without a controller

    // Moment 2: right after a resume started and re-attached.
    const second = startCli(['sweep', 'resume', sweepId, '--store', url, '--poll', '100']);
    await second.waitFor(/re-attached/);
    second.child.kill('SIGKILL');
    await second.exited;

    const last = await runCli(['sweep', 'resume', sweepId, '--store', url, '--poll', '100']);
    assert.equal(last.code, 0, last.output);
    assert.match(last.output, /sweep \w+ \(crash\): completed — best trial \d+/);

    const final = await trials();
    assert.equal(final.length, TRIALS, 'no extra trials were sampled');
    assert.deepEqual(final.map((t) => [t.status, t.attempt]), Array(TRIALS).fill(['completed', 1]));
    const runs = await store.listRuns({ sweepId });
    assert.equal(runs.length, TRIALS, 'one run per trial: none ran twice');
    for (const trial of final) {
      const stdout = readFileSync(join(store.runDir(trial.runId!), 'stdout.log'), 'utf8');
      assert.equal(stdout.match(/^start /gm)?.length, 1, `trial ${trial.number} started once`);
      const [series] = await store.getMetrics(trial.runId!, ['loss']);
      assert.deepEqual(series.points.map((p) => p.step), Array.from({ length: STEPS }, (_, i) => i + 1), `trial ${trial.number}: every report exactly once`);
      const logged = (await store.readLog(trial.runId!, { stream: 'stdout' })).map((c) => c.text).join('');
      assert.equal(logged, stdout, `trial ${trial.number}: captured log = the process output`);
    }
    assert.equal((await store.getSweep(sweepId)).controllerId, null, 'lease released');
  });
});
