// `tunelab runs list | show <run> | compare <run…>`: the tracking store from the terminal.
import { InvalidArgumentError, type Command } from 'commander';
import { RUN_STATUSES, type MetricSummary, type Run, type RunStatus } from '../track/store.js';
import { table } from '../sweep/status.js';
import { fmt } from '../sweep/policies/compare.js';
import { positiveInt, STORE_HELP, withStore } from './common.js';

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
    .option('--store <url>', STORE_HELP)
    .option('--experiment <name>', 'only this experiment')
    .option('--sweep <id>', 'only runs of this sweep')
    .option('--status <status>', `only runs with this status (${RUN_STATUSES.join(', ')})`, runStatus)
    .option('--tag <tag>', 'only runs with this tag')
    .option('--limit <n>', 'at most n runs', positiveInt, 50)
    .option('--json', 'print JSON')
    .action((options: { store?: string; experiment?: string; sweep?: string; status?: RunStatus; tag?: string; limit: number; json?: boolean }) =>
      withStore('runs list', options.store, async (store) => {
        const list = await store.listRuns({
          experiment: options.experiment, sweepId: options.sweep, status: options.status, tag: options.tag, limit: options.limit,
        });
        const summaries = await store.getMetricSummaries(list.map((r) => r.id));
        if (options.json) {
          console.log(JSON.stringify(list.map((run) => ({ ...run, metrics: summaries.filter((s) => s.runId === run.id) })), null, 2));
          return;
        }
        const rows = list.map((run) => [run.id, run.name, run.status, when(run.startedAt), duration(run),
          summaries.filter((s) => s.runId === run.id).slice(0, 4).map((s) => `${s.name}=${fmt(s.lastValue)}`).join(' ')]);
        console.log(table(['id', 'name', 'status', 'started', 'duration', 'last metrics'], rows).join('\n'));
      }));

  runs.command('show <run>')
    .description('A run: fields, params, metrics (last/min/max), artifacts and the end of its log')
    .option('--store <url>', STORE_HELP)
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

  runs.command('compare <runs...>')
    .description('Params and metrics of several runs side by side')
    .option('--store <url>', STORE_HELP)
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
    `run ${run.id} (${run.name}): ${run.status}${run.exitCode === null ? '' : `, exit code ${run.exitCode}`}${run.reason ? ` — ${run.reason}` : ''}`,
    `started ${when(run.startedAt)}, duration ${duration(run)}, host ${run.host ?? '-'}${run.gitCommit ? `, commit ${run.gitCommit.slice(0, 12)}` : ''}`,
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

function compareRuns(runs: Run[], summaries: MetricSummary[]): string {
  const paramNames = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricNames = [...new Set(summaries.map((s) => s.name))].sort();
  const rows = [
    ['status', ...runs.map((r) => r.status)],
    ...paramNames.map((p) => [p, ...runs.map((r) => (p in r.params ? String(r.params[p]) : '-'))]),
    ...metricNames.flatMap((m) => {
      const of = (r: Run) => summaries.find((s) => s.runId === r.id && s.name === m);
      return [
        [`${m} (last)`, ...runs.map((r) => { const s = of(r); return s ? fmt(s.lastValue) : '-'; })],
        [`${m} (min/max)`, ...runs.map((r) => { const s = of(r); return s ? `${fmt(s.min)}/${fmt(s.max)}` : '-'; })],
      ];
    }),
  ];
  return table(['', ...runs.map((r) => r.id)], rows).join('\n');
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function duration(run: Run): string {
  const seconds = ((run.endedAt ?? Date.now()) - run.startedAt) / 1000;
  return seconds < 120 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`;
}
