// Compute saved by early termination, per trial from its own plan, on hand-built summaries with hand-computed answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSaved, trialSavedMs, type TrialCost } from '../../src/sweep/savings.js';
import type { MetricSummary, TrialStatus } from '../../src/track/store.js';

function summary(name: string, lastStep: number, lastValue: number, lastWallTime: number): MetricSummary {
  return { runId: 'r', name, count: 1, lastStep, lastValue, min: lastValue, max: lastValue, lastWallTime };
}

/** A trial that started at 0 s, planned `planned` steps (reported at `trainStart` ms) and reached `done` at `doneAt` ms. */
function trial(status: TrialStatus, planned: number | null, done: number, trainStart: number, doneAt: number, processes = 1): TrialCost {
  const summaries = [summary('eval_loss', done, 0.5, doneAt)];
  if (planned !== null) summaries.push(summary('total_steps', 0, planned, trainStart));
  return { status, startedAt: 0, endedAt: doneAt + 2_000, processes, summaries };
}

test('a terminated trial saves its own remaining steps at its own pace, not the longest trial\'s', () => {
  // The sweep: batch size searched; a bs16 trial plans 50 steps, a bs32 trial 26. The bs32 trial stopped at
  // step 13 after 13 s of training (1 s/step, model loading before that not counted): 13 more steps = 13 s.
  const bs16 = trial('completed', 50, 50, 3_000, 53_000);
  const bs32 = trial('terminated', 26, 13, 3_000, 16_000);
  assert.equal(trialSavedMs(bs32), 13_000);
  const result = computeSaved([bs16, bs32], 100_000);
  assert.deepEqual(result, { spentMs: 55_000 + 18_000, savedMs: 13_000, unknownTrials: 0 });
});

test('device time: a trial of 2 processes (2 GPUs) spends and saves twice its wall time', () => {
  const twoGpus = trial('terminated', 20, 5, 1_000, 6_000, 2);
  assert.deepEqual(computeSaved([twoGpus]), { spentMs: 2 * 8_000, savedMs: 2 * 15 * 1_000, unknownTrials: 0 });
});

test('a trial stopped after its last step saved nothing; a trial without a plan is counted, never guessed', () => {
  assert.equal(trialSavedMs(trial('terminated', 26, 26, 3_000, 29_000)), 0);
  const result = computeSaved([trial('terminated', null, 5, 0, 5_000), trial('completed', 10, 10, 0, 10_000)]);
  assert.deepEqual([result.savedMs, result.unknownTrials], [0, 1]);
  assert.equal(computeSaved([trial('completed', 10, 10, 0, 10_000)]).savedMs, null, 'nothing terminated: nothing saved');
});
