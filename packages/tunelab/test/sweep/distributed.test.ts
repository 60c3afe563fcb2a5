// Distributed execution on a real PostgreSQL: a controller (worker executor) and two `tunelab worker` processes
// share a sweep; one worker "machine" dies (worker and its trial SIGKILLed) mid-trial, its trial is re-queued after
// heartbeat_grace and completed by the other worker, and the sweep completes with every trial.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store, Trial } from '../../src/track/store.js';
import { loadSpec } from '../../src/sweep/spec-file.js';
import { createSweep, runSweep } from '../../src/sweep/controller.js';
import { freshStore, postgresBackend } from '../contracts/backends.js';
import { startCli, until, type CliProcess } from './cli-process.js';

const objective = fileURLToPath(new URL('./fixtures/objective.mjs', import.meta.url));

describe('two workers on PostgreSQL, one dies', { skip: postgresBackend.unavailable }, () => {
  let store: Store;
  let url: string;
  let home: string;
  let dispose: () => Promise<void>;
  const workers: CliProcess[] = [];
  before(async () => ({ store, url, home, dispose } = await freshStore(postgresBackend)));
  after(async () => {
    for (const w of workers) {
      try {
        process.kill(-w.child.pid!, 'SIGKILL'); // a failed test's leftovers
      } catch {
        // already gone
      }
    }
    await dispose();
  });

  it('re-queues the dead worker\'s trial and completes the sweep on the survivor', async () => {
    const specFile = join(home, 'dist.yml');
    writeFileSync(specFile, `name: dist
trial:
  command: node ${objective} --x=\${{search_space.x}} --steps 12 --sleep-ms 150
search_space: { x: { type: uniform, min_value: -1, max_value: 1 } }
objective: { primary_metric: loss, goal: minimize }
limits: { max_total_trials: 5, max_concurrent_trials: 2, heartbeat_grace: 3, max_retries: 2 }
`);
    const { spec, dir } = await loadSpec(specFile);
    const sweep = await createSweep(store, spec, dir, 'worker');
    const controller = runSweep(store, sweep.id, { pollMs: 100 });
    const env = { TUNELAB_HOME: home };
    for (let i = 0; i < 2; i++) {
      workers.push(startCli(['worker', '--store', url, '--sweep', sweep.id, '--poll', '100'], { env, detached: true }));
    }

    // Both workers are up, and a trial is mid-way (2 to 6 of its 12 reports, ≥ 0.9 s from its end).
    await Promise.all(workers.map((w) => w.waitFor(/ready \(1 slot\)/)));
    let victim: Trial | undefined;
    await until(async () => {
      victim = (await store.listTrials(sweep.id)).find((t) => t.status === 'running' && t.pid !== null && t.reportCount >= 2 && t.reportCount <= 6);
      return victim !== undefined;
    }, 'a trial mid-way');
    const victimWorker = workers.find((w) => victim!.workerId!.split(':')[1] === String(w.child.pid))!;
    // The machine dies: the worker and the trial process it started.
    process.kill(-victimWorker.child.pid!, 'SIGKILL');
    process.kill(-victim!.pid!, 'SIGKILL');
    await victimWorker.exited;

    const outcome = await controller;
    assert.equal(outcome.sweep.status, 'completed');
    assert.deepEqual(outcome.trials.map((t) => t.status), Array(5).fill('completed'));
    const retried = outcome.trials.find((t) => t.id === victim!.id)!;
    assert.equal(retried.attempt, 2);
    assert.notEqual(retried.workerId, victim!.workerId);
    const runs = await store.listRuns({ trialId: retried.id, order: 'oldest' });
    assert.deepEqual(runs.map((r) => r.status), ['failed', 'completed']);
    assert.match(runs[0].reason!, /^worker \S+ lost: no heartbeat for \d+\.\d s \(grace 3 s\)$/);
    assert.equal((await store.getMetrics(runs[1].id, ['loss']))[0].points.length, 12, 'the retry ran in full');
    for (const trial of outcome.trials.filter((t) => t.id !== retried.id)) {
      assert.equal(trial.attempt, 1);
      assert.equal((await store.listRuns({ trialId: trial.id })).length, 1);
    }
    const survivor = workers.find((w) => w !== victimWorker)!;
    assert.equal(await survivor.exited, 0, 'the --sweep worker exits once the sweep has ended');
    assert.match(survivor.output(), /ran [3-5] trial\(s\)/);
  });
});
