// A worker with GPUs and distributed trials (trial.distribution), in-process on SQLite: a trial of N processes
// starts only when N of the worker's GPUs are free, a sweep needing more GPUs than the worker has is left to other
// workers (or refused, with --sweep), and the other sweeps' trials still run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseSpec } from '../../src/sweep/spec-file.js';
import { createSweep, runSweep } from '../../src/sweep/controller.js';
import { runWorker } from '../../src/sweep/worker.js';
import { GpuShortageError } from '../../src/sweep/gpus.js';
import type { Store, Trial } from '../../src/track/store.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';

const objective = fileURLToPath(new URL('./fixtures/objective.mjs', import.meta.url));

function spec(name: string, processes: number, trials: number) {
  return parseSpec(`name: ${name}
trial:
  command: node ${objective} --x=\${{search_space.x}} --steps 3 --sleep-ms 40
  distribution: { type: pytorch, process_count_per_instance: ${processes} }
search_space: { x: { type: uniform, min_value: 0, max_value: 1 } }
objective: { primary_metric: loss, goal: minimize }
limits: { max_total_trials: ${trials}, max_concurrent_trials: ${trials} }
`, `${name}.yml`);
}

const overlap = (a: Trial, b: Trial) => a.startedAt! < b.endedAt! && b.startedAt! < a.endedAt!;

describe('worker with GPUs and distributed trials', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  before(async () => ({ store, dispose } = await freshStore(sqliteBackend)));
  after(async () => dispose());

  it('refuses --sweep of a sweep whose trials need more GPUs than it has', async () => {
    const big = await createSweep(store, await spec('big', 3, 1), store.home, 'worker');
    await assert.rejects(runWorker(store, { sweepId: big.id, gpus: ['0', '1'], pollMs: 50 }), (e: unknown) =>
      e instanceof GpuShortageError && e.message.startsWith(`sweep ${big.id}: trial.distribution.process_count_per_instance is 3 but only 2 GPUs`));
    await store.finishSweep(big.id, 'stopped', 'test over');
  });

  it('runs 2-GPU trials one at a time on 3 GPUs and leaves a 4-GPU sweep to other workers', async () => {
    const big = await createSweep(store, await spec('big', 4, 1), store.home, 'worker');
    const queued = await store.createTrial(big.id, 0, { x: 0.5 });
    const pair = await createSweep(store, await spec('pair', 2, 3), store.home, 'worker');
    const lines: string[] = [];
    const abort = new AbortController();
    const worker = runWorker(store, { gpus: ['0', '1', '2'], slots: 3, pollMs: 50, signal: abort.signal, log: (line) => lines.push(line) });
    const outcome = await runSweep(store, pair.id, { pollMs: 50 });
    abort.abort();
    const summary = await worker;

    assert.equal(outcome.sweep.status, 'completed', outcome.sweep.reason ?? '');
    assert.deepEqual(summary.trials.map((t) => t.status), ['completed', 'completed', 'completed']);
    for (const trial of outcome.trials) {
      assert.equal(trial.status, 'completed');
      assert.equal(trial.gpu!.split(',').length, 2, `trial ${trial.number} holds two GPUs: ${trial.gpu}`);
      assert.ok(outcome.trials.every((o) => o.id === trial.id || !overlap(o, trial)), 'one free GPU never starts a trial of two');
    }
    assert.equal((await store.getTrial(queued.id)).status, 'queued', 'the 4-GPU trial was not claimed');
    assert.equal(lines.filter((l) => l.includes(`sweep big (${big.id}) needs 4 GPUs per trial and this worker has 3`)).length, 1, lines.join('\n'));
    await store.finishSweep(big.id, 'stopped', 'test over');
  });
});
