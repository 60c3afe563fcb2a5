// Compute that early termination saved, per trial, from the trial's own plan: a terminated trial that planned P
// optimizer steps (its reported total_steps = epochs × its own steps per epoch, or its max steps) and ran D of them
// in T seconds of training would have needed (P − D) · T / D more seconds; times its processes (one GPU each on GPU,
// one CPU process each on CPU) that is device-seconds. Spent time is counted the same way (wall time × processes).
// Trials that never reported a plan (custom commands without total_steps) are counted apart, never guessed.
import type { MetricSummary, TrialStatus } from '../track/store.js';
import { TOTAL_STEPS_METRIC } from './types.js';

export interface TrialCost {
  status: TrialStatus;
  startedAt: number | null;
  endedAt: number | null;
  /** Processes the trial ran (trial.distribution, else 1). */
  processes: number;
  /** Every metric summary of the trial's run (its plan, and how far and how fast it got). */
  summaries: readonly MetricSummary[];
}

export interface ComputeSaved {
  /** Device time of every started trial (running ones up to now): wall time × processes. */
  spentMs: number;
  /** Device time early termination saved over the trials whose plan is known; null when no trial was terminated. */
  savedMs: number | null;
  /** Terminated trials whose saving could not be computed: no total_steps, or no step done. */
  unknownTrials: number;
}

/** The saving of one terminated trial in device-ms; null when its plan or pace is unknown; 0 when it had finished. */
export function trialSavedMs(trial: TrialCost, now = Date.now()): number | null {
  const plan = trial.summaries.find((s) => s.name === TOTAL_STEPS_METRIC);
  const progress = trial.summaries.filter((s) => s.name !== TOTAL_STEPS_METRIC);
  if (!plan || progress.length === 0 || trial.startedAt === null) return null;
  const last = progress.reduce((a, b) => (b.lastStep > a.lastStep || (b.lastStep === a.lastStep && b.lastWallTime > a.lastWallTime) ? b : a));
  const done = last.lastStep;
  if (done <= 0) return null;
  const planned = plan.lastValue;
  if (done >= planned) return 0;
  // Training time: from the plan's report (just before the first step) to the last step's; the whole attempt
  // (model loading included) when the plan was reported before no step could be timed.
  const trainingMs = last.lastWallTime > plan.lastWallTime ? last.lastWallTime - plan.lastWallTime : (trial.endedAt ?? now) - trial.startedAt;
  return (planned - done) * (trainingMs / done) * trial.processes;
}

export function computeSaved(trials: readonly TrialCost[], now = Date.now()): ComputeSaved {
  let spentMs = 0;
  let savedMs: number | null = null;
  let unknownTrials = 0;
  for (const trial of trials) {
    if (trial.startedAt !== null) spentMs += ((trial.endedAt ?? now) - trial.startedAt) * trial.processes;
    if (trial.status !== 'terminated') continue;
    const saved = trialSavedMs(trial, now);
    if (saved === null) unknownTrials += 1;
    savedMs = (savedMs ?? 0) + (saved ?? 0);
  }
  return { spentMs, savedMs, unknownTrials };
}
