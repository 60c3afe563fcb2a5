// A sweep's status as data (what `tunelab sweep status --json` prints) and as a text table.
import type { Params, Store, Sweep, Trial, TrialStatus } from '../track/store.js';
import { TRIAL_STATUSES } from '../track/store.js';
import { sweepSpecOf, type SweepSpec } from './spec.js';
import { fmt } from './policies/compare.js';
import { table } from '../format.js';

export interface TrialStatusReport {
  id: string;
  number: number;
  params: Params;
  status: TrialStatus;
  attempt: number;
  runId: string | null;
  best: { value: number; step: number } | null;
  reason: string | null;
  exitCode: number | null;
  startedAt: number | null;
  endedAt: number | null;
}

export interface SweepStatusReport {
  id: string;
  name: string;
  status: string;
  reason: string | null;
  executor: string;
  objective: { primary_metric: string; goal: string };
  maxTotalTrials: number;
  createdAt: number;
  endedAt: number | null;
  counts: Record<TrialStatus, number>;
  best: { trialId: string; number: number; runId: string | null; value: number; step: number } | null;
  trials: TrialStatusReport[];
}

export async function sweepStatus(store: Store, idOrName: string): Promise<SweepStatusReport> {
  const sweep = await store.getSweep(idOrName);
  return statusReport(sweep, await store.listTrials(sweep.id));
}

/**
 * The report from a sweep and its trials, without the store: counts per status and the best trial as the
 * controller recorded it (the best primary-metric value any trial reported). The dashboard's sweep view builds on it.
 */
export function statusReport(sweep: Sweep, trialList: readonly Trial[], spec: SweepSpec = sweepSpecOf(sweep)): SweepStatusReport {
  const trials = trialList.map((t): TrialStatusReport => ({
    id: t.id, number: t.number, params: t.params, status: t.status, attempt: t.attempt, runId: t.runId,
    best: t.bestValue === null || t.bestStep === null ? null : { value: t.bestValue, step: t.bestStep },
    reason: t.reason ?? (t.status === 'running' && t.stopRequested !== null ? `stopping: ${t.stopRequested}` : null), exitCode: t.exitCode, startedAt: t.startedAt, endedAt: t.endedAt,
  }));
  const counts = Object.fromEntries(TRIAL_STATUSES.map((s) => [s, trials.filter((t) => t.status === s).length])) as Record<TrialStatus, number>;
  const bestTrial = trials.find((t) => t.id === sweep.bestTrialId);
  return {
    id: sweep.id, name: sweep.name, status: sweep.status, reason: sweep.reason ?? sweep.stopRequested,
    executor: sweep.executor, objective: spec.objective, maxTotalTrials: spec.limits.max_total_trials,
    createdAt: sweep.createdAt, endedAt: sweep.endedAt, counts,
    best: bestTrial?.best ? { trialId: bestTrial.id, number: bestTrial.number, runId: bestTrial.runId, ...bestTrial.best } : null,
    trials,
  };
}

export function formatSweepStatus(report: SweepStatusReport): string {
  const metric = report.objective.primary_metric;
  const lines = [
    `sweep ${report.id} (${report.name}): ${report.status}${report.reason ? ` — ${report.reason}` : ''}`,
    `trials: ${TRIAL_STATUSES.map((s) => `${report.counts[s]} ${s}`).join(', ')} (of ${report.maxTotalTrials}); ${report.objective.goal} ${metric}`,
  ];
  if (report.best) lines.push(`best: trial ${report.best.number} (run ${report.best.runId}) ${metric} ${fmt(report.best.value)} at step ${report.best.step}`);
  const rows = report.trials.map((t) => [
    String(t.number), t.status, t.best ? `${fmt(t.best.value)}@${t.best.step}` : '-',
    Object.entries(t.params).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : String(v)}`).join(' '),
    t.reason ?? '',
  ]);
  lines.push('', ...table(['#', 'status', `best ${metric}`, 'params', 'reason'], rows));
  return lines.join('\n');
}


