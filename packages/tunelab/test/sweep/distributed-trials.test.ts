// A sweep whose trials are themselves distributed (trial.distribution: 2 processes per trial): two `tunelab train`
// trials run at once, each launching 2 ranks that train data-parallel over Gloo on the CPU. They can only both
// finish if each job's rendezvous gets its own port (the launcher's free port) and rank 0 alone reports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../src/sweep/spec-file.js';
import { createSweep, runSweep } from '../../src/sweep/controller.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';
import { GLUE, tempDir, tinyModelFolder } from '../e2e/helpers.js';

const TRAIN_SAMPLES = 32;
const BATCH_PER_RANK = 8;
const RANKS = 2;

function specText(model: string): string {
  return `name: distributed-trials
trial:
  train:
    model: ${model}
    task: glue/mrpc
    from-scratch: true
    train-file: ${join(GLUE, 'MRPC/train.tsv')}
    validation-file: ${join(GLUE, 'MRPC/dev.tsv')}
    max-train-samples: ${TRAIN_SAMPLES}
    max-eval-samples: 16
    batch-size: ${BATCH_PER_RANK}
    epochs: 1
    device: cpu
    precision: fp32
  distribution: { type: pytorch, process_count_per_instance: ${RANKS} }
search_space:
  lr: { type: choice, values: [0.001, 0.002] }
sampling_algorithm: grid
objective: { primary_metric: eval_loss, goal: minimize }
limits: { max_total_trials: 2, max_concurrent_trials: 2 }
`;
}

describe('distributed trials', () => {
  it('runs 2 trials of 2 Gloo ranks each at the same time; each reports eval metrics once per evaluation', { timeout: 240_000 }, async () => {
    const dir = tempDir('tunelab-dist-sweep-');
    const model = tinyModelFolder();
    const { store, dispose } = await freshStore(sqliteBackend);
    try {
      writeFileSync(join(dir, 'sweep.yml'), specText(model));
      const { spec, dir: specDir } = await loadSpec(join(dir, 'sweep.yml'));
      const sweep = await createSweep(store, spec, specDir, 'local');
      // Trials inherit this environment: an exported MASTER_PORT would put both jobs on one port (and fail them).
      delete process.env.MASTER_PORT;
      const outcome = await runSweep(store, sweep.id, { pollMs: 100, killGraceMs: 2000 });

      const reasons = outcome.trials.map((t) => `trial ${t.number}: ${t.reason}`).join('; ');
      assert.equal(outcome.sweep.status, 'completed', `${outcome.sweep.reason}; ${reasons}`);
      assert.deepEqual(outcome.trials.map((t) => t.status), ['completed', 'completed'], reasons);
      const [a, b] = outcome.trials;
      assert.ok(a.startedAt! < b.endedAt! && b.startedAt! < a.endedAt!, 'the two distributed trials ran at the same time');

      const steps = Math.ceil(TRAIN_SAMPLES / (BATCH_PER_RANK * RANKS)); // one epoch of global batches
      for (const trial of outcome.trials) {
        const run = await store.getRun(trial.runId!);
        assert.match(run.command ?? '', / train --nproc-per-node 2 /, 'the trial launched its ranks through tunelab train');
        assert.equal(run.params.learning_rate, trial.params.learning_rate, 'the sampled lr reached --lr');
        const series = await store.getMetrics(run.id, ['eval_loss', 'eval_accuracy']);
        const points = (name: string) => series.find((m) => m.name === name)?.points ?? [];
        const [evalLoss, accuracy] = [points('eval_loss'), points('eval_accuracy')];
        // Rank 0 alone tracks: one evaluation after the epoch (two ranks would double it); the final one is final_eval_*.
        assert.deepEqual(evalLoss.map((p) => p.step), [steps], `eval_loss of trial ${trial.number}`);
        assert.ok(evalLoss.every((p) => Number.isFinite(p.value) && p.value > 0), 'a cross-entropy');
        assert.deepEqual(accuracy.map((p) => p.step), [steps], `eval_accuracy of trial ${trial.number}`);
        assert.ok(accuracy.every((p) => p.value >= 0 && p.value <= 1), 'an accuracy');
        assert.equal(trial.bestValue, Math.min(...evalLoss.map((p) => p.value)));
      }
    } finally {
      await dispose();
      rmSync(dir, { recursive: true, force: true });
      rmSync(model, { recursive: true, force: true });
    }
  });
});
