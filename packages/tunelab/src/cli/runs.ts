// `tunelab runs list | show <run> | compare <run…> | sync`: the tracking store from the terminal.
import { InvalidArgumentError, type Command } from 'commander';
import { RUN_STATUSES, displayStatus, type MetricSummary, type ParamValue, type Run, type RunStatus, type Sweep, type Trial } from '../track/store.js';
import { sweepSpecOf } from '../sweep/spec.js';
import { formatTime, table } from '../format.js';
import { fmt } from '../sweep/policies/compare.js';
import { journalDir, syncJournals } from '../track/journal.js';
import { withStore } from './common.js';
import { positiveInt, storeHelp } from './options.js';

/** Lines of the log's end that `runs show` prints (read as that many chunks: a chunk holds one line or more). */
const LOG_LINES_SHOWN = 10;

function runStatus(value: string): RunStatus {
  if (!(RUN_STATUSES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${RUN_STATUSES.join(', ')}`);
  return value as RunStatus;
}

export function register(program: Command): void {
  const runs = program.command('runs').description('List, show and compare tracked runs');

  runs.command('list')
    .description('Runs, newest first')
    .option('--store <url>', storeHelp())
    .option('--experiment <name>', 'only this experiment')
    .option('--sweep <sweep>', 'only runs of this sweep (id or name); columns: its objective and searched params')
    .option('--status <status>', `only runs with this status (${RUN_STATUSES.join(', ')})`, runStatus)
    .option('--tag <tag>', 'only runs with this tag')
    .option('--limit <n>', 'at most n runs', positiveInt, 50)
    .option('--json', 'print JSON')
    .action((options: { store?: string; experiment?: string; sweep?: string; status?: RunStatus; tag?: string; limit: number; json?: boolean }) =>
      withStore('runs list', options.store, async (store) => {
        // A sweep by id or by name (the newest so named); unknown: one line, exit 2.
        const sweep = options.sweep === undefined ? undefined : await store.getSweep(options.sweep);
        const list = await store.listRuns({
          experiment: options.experiment, sweepId: sweep?.id, status: options.status, tag: options.tag, limit: options.limit,
        });
        const summaries = await store.getMetricSummaries(list.map((r) => r.id));
        if (options.json) {
          console.log(JSON.stringify(list.map((run) => ({ ...run, metrics: summaries.filter((s) => s.runId === run.id) })), null, 2));
          return;
        }
        if (sweep) {
          console.log(sweepRunTable(sweep, await store.listTrials(sweep.id), list, summaries));
          return;
        }
        const rows = list.map((run) => [run.id, run.name, displayStatus(run), formatTime(run.startedAt), duration(run),
          shownMetrics(summaries.filter((s) => s.runId === run.id)).map((s) => `${s.name}=${fmt(s.lastValue)}`).join(' ')]);
        console.log(table(['id', 'name', 'status', 'started', 'duration', 'metrics (last value)'], rows).join('\n'));
      }));

  runs.command('show <run>')
    .description('A run: fields, params, metrics (last/min/max), artifacts and the end of its log')
    .option('--store <url>', storeHelp())
    .option('--json', 'print JSON')
    .action((runId: string, options: { store?: string; json?: boolean }) =>
      withStore('runs show', options.store, async (store) => {
        const run = await store.getRun(runId);
        const metrics = await store.getMetricSummaries([run.id]);
        const artifacts = await store.listArtifacts(run.id);
        if (options.json) {
          console.log(JSON.stringify({ ...run, metrics, artifacts, log: await store.readLog(run.id) }, null, 2));
          return;
        }
        const tail = await store.readLog(run.id, { tail: LOG_LINES_SHOWN });
        console.log(showRun(run, metrics, artifacts.map((a) => `${a.name} (${a.size} bytes)`), tail.map((c) => c.text).join('')));
      }));

  runs.command('sync')
    .description('Write the points that runs journaled while the store was unreachable (<store home>/journal) into the store')
    .option('--store <url>', storeHelp())
    .action((options: { store?: string }) =>
      withStore('runs sync', options.store, async (store) => {
        const results = await syncJournals(store);
        if (results.length === 0) console.log(`nothing to sync: no journal in ${journalDir(store.home)}`);
        for (const r of results) console.log(r.error === null ? `run ${r.runId}: ${r.points} points written` : `run ${r.runId}: not synced: ${r.error}`);
        return results.some((r) => r.error !== null) ? 1 : 0;
      }));

  runs.command('compare <runs...>')
    .description('Params and metrics of several runs side by side')
    .option('--store <url>', storeHelp())
    .option('--json', 'print JSON')
    .action((runIds: string[], options: { store?: string; json?: boolean }) =>
      withStore('runs compare', options.store, async (store) => {
        const list = await Promise.all(runIds.map((id) => store.getRun(id)));
        const summaries = await store.getMetricSummaries(list.map((r) => r.id));
        if (options.json) {
          console.log(JSON.stringify(list.map((run) => ({ ...run, metrics: summaries.filter((s) => s.runId === run.id) })), null, 2));
          return;
        }
        console.log(compareRuns(list, summaries));
      }));
}

function showRun(run: Run, metrics: MetricSummary[], artifacts: string[], log: string): string {
  const lines = [
    `run ${run.id} (${run.name}): ${statusLine(run)}${run.exitCode === null ? '' : `, exit code ${run.exitCode}`}${run.reason ? ` — ${run.reason}` : ''}`,
    `started ${formatTime(run.startedAt)}, duration ${duration(run)}, host ${run.host ?? '-'}${run.gitCommit ? `, commit ${run.gitCommit.slice(0, 12)}` : ''}`,
  ];
  if (run.sweepId) lines.push(`sweep ${run.sweepId}, trial ${run.trialId}`);
  if (run.command) lines.push(`command: ${run.command}`);
  if (run.tags.length > 0) lines.push(`tags: ${run.tags.join(', ')}`);
  lines.push('', ...table(['param', 'value'], Object.entries(run.params).map(([k, v]) => [k, String(v)])));
  lines.push('', ...table(['metric', 'last', 'step', 'min', 'max', 'count'],
    metrics.map((m) => [m.name, fmt(m.lastValue), String(m.lastStep), fmt(m.min), fmt(m.max), String(m.count)])));
  if (artifacts.length > 0) lines.push('', 'artifacts:', ...artifacts.map((a) => `  ${a}`));
  const tail = log.split('\n').filter(Boolean).slice(-LOG_LINES_SHOWN);
  if (tail.length > 0) lines.push('', 'log (last lines):', ...tail.map((l) => `  ${l}`));
  return lines.join('\n');
}

/** A sweep's runs: trial, status, the best value of the sweep's objective and the value of each searched param. */
function sweepRunTable(sweep: Sweep, trials: Trial[], runs: Run[], summaries: MetricSummary[]): string {
  const { objective, search_space: space } = sweepSpecOf(sweep);
  const metric = objective.primary_metric;
  const params = Object.keys(space);
  const trialOf = new Map(trials.filter((t) => t.runId !== null).map((t) => [t.runId!, t]));
  const rows = runs.map((run) => {
    const trial = trialOf.get(run.id);
    const series = summaries.find((s) => s.runId === run.id && s.name === metric);
    const best = series === undefined ? '-' : fmt(objective.goal === 'minimize' ? series.min : series.max);
    const values = params.map((p) => (trial && p in trial.params ? formatParam(trial.params[p]) : '-'));
    return [run.id, trial ? String(trial.number) : '-', displayStatus(run), best, ...values];
  });
  return table(['id', 'trial', 'status', `${metric} (best, ${objective.goal})`, ...params], rows).join('\n');
}

function formatParam(value: ParamValue): string {
  return typeof value === 'number' ? fmt(value, 4) : String(value);
}

/**
 * At most 4 metrics of a run for a one-line listing: the final model's evaluation (final_eval_*) first, then the
 * evaluations during training (eval_*), then the rest.
 */
function shownMetrics(summaries: MetricSummary[]): MetricSummary[] {
  const rank = (name: string) => (name.startsWith('final_eval_') ? 0 : name.startsWith('eval_') ? 1 : 2);
  return [...summaries].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name)).slice(0, 4);
}

/** HF's rule for greater_is_better: a metric whose name ends in "loss" is better lower, any other higher. */
function lowerIsBetter(metric: string): boolean {
  return metric.endsWith('loss');
}

/** Metrics that have a best: evaluations (eval_*) and losses; not learning_rate, grad_norm, epoch, … */
function scored(metric: string): boolean {
  return metric.startsWith('eval_') || metric.endsWith('loss');
}

/**
 * Metrics side by side: per metric its last value (the last report: for eval_*, the last evaluation during training)
 * and, for scored ones, its best (min for *loss, max otherwise, HF's rule); the saved model's evaluation is final_eval_*.
 */
function compareRuns(runs: Run[], summaries: MetricSummary[]): string {
  const paramNames = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricNames = [...new Set(summaries.map((s) => s.name))].sort();
  const rows = [
    ['status', ...runs.map((r) => displayStatus(r))],
    ...paramNames.map((p) => [p, ...runs.map((r) => (p in r.params ? String(r.params[p]) : '-'))]),
    ...metricNames.flatMap((m) => {
      const of = (r: Run) => summaries.find((s) => s.runId === r.id && s.name === m);
      return [
        [`${m} (last)`, ...runs.map((r) => { const s = of(r); return s ? fmt(s.lastValue) : '-'; })],
        ...(scored(m) ? [[`${m} (best, ${lowerIsBetter(m) ? 'min' : 'max'})`, ...runs.map((r) => { const s = of(r); return s ? fmt(lowerIsBetter(m) ? s.min : s.max) : '-'; })]] : []),
      ];
    }),
  ];
  return table(['', ...runs.map((r) => r.id)], rows).join('\n');
}

function duration(run: Run): string {
  const seconds = ((run.endedAt ?? Date.now()) - run.startedAt) / 1000;
  return seconds < 120 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** The display status; a lost run says when it was last seen (its process died without ending it). */
function statusLine(run: Run): string {
  const status = displayStatus(run);
  return status === 'lost' ? `lost (running, but not seen for ${Math.round((Date.now() - run.lastSeenAt) / 1000)} s)` : status;
}
