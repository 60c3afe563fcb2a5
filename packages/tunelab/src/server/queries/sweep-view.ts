// What the sweep page shows, computed from the store's sweep, trials and primary-metric summaries:
// one row per trial (objective value, best flag, early-termination reason), progress counts, the axis
// scale of every search-space parameter, and compute time spent and saved by early termination.
// Counts and the best trial come from `tunelab sweep status`'s report (sweep/status.ts), so both agree.
import { processesPerTrial, sweepSpecOf, type SweepSpec } from '../../sweep/spec.js';
import { computeSaved, type ComputeSaved } from '../../sweep/savings.js';
import { statusReport } from '../../sweep/status.js';
import type { Goal } from '../../sweep/types.js';
import type { MetricSummary, Params, Sweep, Trial, TrialStatus } from '../../track/store.js';
import { finite } from './run-table.js';

export interface SweepObjective {
  metric: string;
  goal: Goal;
}

/** How a parameter is drawn on an axis: log for log-distributed params, category for choices, else linear. */
export interface SpaceParam {
  name: string;
  distribution: string;
  scale: 'log' | 'linear' | 'category';
  /** choice values, in spec order (category axes keep this order). */
  values?: (string | number | boolean)[];
}

export interface TrialRow {
  id: string;
  number: number;
  status: TrialStatus;
  attempt: number;
  runId: string | null;
  params: Params;
  reason: string | null;
  stopRequested: string | null;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  /** The trial's best primary-metric value so far (by the goal) and the last one reported. */
  value: number | null;
  lastValue: number | null;
  lastStep: number | null;
  reports: number;
  isBest: boolean;
  /** Stopped before finishing: by the termination policy, a user, a timeout or a sweep stop. */
  terminatedEarly: boolean;
}

export interface SweepProgress extends Record<TrialStatus, number> {
  /** max_total_trials (or the trials created, when more). */
  total: number;
  created: number;
}

/**
 * Device time (wall time × the trial's processes: GPU-ms on GPUs, CPU-process-ms on CPUs) spent, and saved by early
 * termination, each terminated trial from its own planned total of steps (sweep/savings.ts, docs/sweeps.md).
 */
export type ComputeTime = ComputeSaved & {
  /** What one ms of `spentMs`/`savedMs` is: a GPU's (trials ran on GPUs) or a CPU process's. */
  device: 'GPU' | 'CPU';
};

export interface SweepDetail {
  /** The sweep minus where it runs on disk and who controls it. */
  sweep: Omit<Sweep, 'specDir' | 'controllerId'>;
  objective: SweepObjective;
  space: SpaceParam[];
  trials: TrialRow[];
  bestTrialId: string | null;
  progress: SweepProgress;
  compute: ComputeTime;
  policy: string | null;
}

const LOG_DISTRIBUTIONS = new Set(['loguniform', 'qloguniform', 'lognormal', 'qlognormal']);

export function spaceParams(spec: SweepSpec): SpaceParam[] {
  return Object.entries(spec.search_space).map(([name, d]): SpaceParam => {
    // A choice is a handful of discrete values (even numeric ones like batch sizes): one tick per value.
    if (d.type === 'choice') return { name, distribution: d.type, scale: 'category', values: d.values };
    return { name, distribution: d.type, scale: LOG_DISTRIBUTIONS.has(d.type) ? 'log' : 'linear' };
  });
}

export function sweepDetail(sweep: Sweep, trials: readonly Trial[], summaries: readonly MetricSummary[], now = Date.now()): SweepDetail {
  const spec = sweepSpecOf(sweep);
  const report = statusReport(sweep, trials, spec);
  const objective: SweepObjective = { metric: spec.objective.primary_metric, goal: spec.objective.goal };
  const byRun = new Map(summaries.filter((s) => s.name === objective.metric).map((s) => [s.runId, s]));

  const rows = trials.map((trial) => trialRow(trial, trial.runId ? byRun.get(trial.runId) : undefined, objective.goal, now));
  const bestTrialId = report.best?.trialId ?? null;
  for (const row of rows) row.isBest = row.id === bestTrialId;

  const { specDir: _dir, controllerId: _controller, ...publicSweep } = sweep;
  return {
    sweep: publicSweep,
    objective,
    space: spaceParams(spec),
    trials: rows,
    bestTrialId,
    progress: { total: Math.max(report.maxTotalTrials, trials.length), created: trials.length, ...report.counts },
    compute: {
      ...computeSaved(trials.map((trial) => ({
        status: trial.status, startedAt: trial.startedAt, endedAt: trial.endedAt, processes: processesPerTrial(spec),
        summaries: summaries.filter((s) => s.runId === trial.runId),
      })), now),
      device: trials.some((t) => t.gpu !== null) ? 'GPU' : 'CPU',
    },
    policy: spec.early_termination?.type ?? null,
  };
}

function trialRow(trial: Trial, summary: MetricSummary | undefined, goal: Goal, now: number): TrialRow {
  const fromSummary = summary ? finite(goal === 'minimize' ? summary.min : summary.max) : null;
  return {
    id: trial.id,
    number: trial.number,
    status: trial.status,
    attempt: trial.attempt,
    runId: trial.runId,
    params: trial.params,
    reason: trial.reason,
    stopRequested: trial.stopRequested,
    startedAt: trial.startedAt,
    endedAt: trial.endedAt,
    durationMs: trial.startedAt === null ? null : (trial.endedAt ?? now) - trial.startedAt,
    value: trial.bestValue ?? fromSummary,
    lastValue: summary ? finite(summary.lastValue) : null,
    lastStep: summary?.lastStep ?? null,
    reports: summary?.count ?? 0,
    isBest: false,
    terminatedEarly: trial.status === 'terminated',
  };
}
