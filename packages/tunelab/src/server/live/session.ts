// One live subscription (one SSE stream per browser tab): runs, run logs and sweeps it watches, with cursors,
// so each poll of the store yields only what changed — new metric points, new log chunks, status changes.
// Metric points are followed by their insertion sequence number per run (Store.tailMetrics), not by step:
// every stored point reaches the tab exactly once, late steps and re-reported steps (the final evaluation) included.
import { showRun, type LogChunk, type SequencedPoint, type ShownRun, type Store } from '../../track/store.js';
import { packPoints, type Point } from '../series.js';
import { sweepSpecOf } from '../../sweep/spec.js';

export interface Topics {
  runs: string[];
  logs: string[];
  sweeps: string[];
}

export type LiveEvent =
  | { type: 'metrics'; runId: string; name: string; points: Point[] }
  | { type: 'logs'; runId: string; chunks: LogChunk[] }
  | { type: 'run'; run: ShownRun }
  /** Something about the sweep or its trials changed (status, best, a new trial): refetch its summary. */
  | { type: 'sweep'; sweepId: string; status: string };

/** Points per run and poll; a run with more catches up over the next polls. */
const POINTS_PER_POLL = 5000;

/** Metrics of these runs are followed: all names for watched runs, the primary metric for sweep trials. */
interface Watched {
  runId: string;
  names: 'all' | string;
}

export class LiveSession {
  /** Per run: the seq of the last point sent (or skipped as already loaded). */
  private readonly metricCursors = new Map<string, number>();
  private readonly logCursors = new Map<string, number>();
  private readonly runPrints = new Map<string, string>();
  private readonly sweepPrints = new Map<string, string>();
  private readonly sweepMetric = new Map<string, string>();
  /** Runs seen running at the previous poll: their last points are still collected after they finish. */
  private liveRuns = new Set<string>();
  /** False until the first poll has set every cursor (that poll reports nothing: the page loaded it over REST). */
  private initialised = false;

  private constructor(private readonly store: Store, private readonly topics: Topics) {}

  /** Checks every id (NotFoundError for an unknown one) and starts all cursors at the present. */
  static async open(store: Store, topics: Topics): Promise<LiveSession> {
    const session = new LiveSession(store, topics);
    for (const id of [...topics.runs, ...topics.logs]) await store.getRun(id);
    for (const id of topics.sweeps) {
      const sweep = await store.getSweep(id);
      session.sweepMetric.set(id, sweepSpecOf(sweep).objective.primary_metric);
    }
    await session.poll();
    return session;
  }

  async poll(): Promise<LiveEvent[]> {
    const events: LiveEvent[] = [];
    const watched: Watched[] = [];
    for (const runId of this.topics.runs) {
      const run = showRun(await this.store.getRun(runId));
      this.noteChange(this.runPrints, runId, runPrint(run), () => events.push({ type: 'run', run }));
      if (run.status === 'running' || this.liveRuns.has(runId)) watched.push({ runId, names: 'all' });
    }
    for (const sweepId of this.topics.sweeps) await this.pollSweep(sweepId, watched, events);
    for (const runId of this.topics.logs) await this.pollLogs(runId, events);
    await this.pollMetrics(watched, events);
    this.liveRuns = new Set(watched.map((w) => w.runId));
    const first = !this.initialised;
    this.initialised = true;
    return first ? [] : events;
  }

  private async pollSweep(sweepId: string, watched: Watched[], events: LiveEvent[]): Promise<void> {
    const sweep = await this.store.getSweep(sweepId);
    const trials = await this.store.listTrials(sweepId);
    const print = JSON.stringify([
      sweep.status, sweep.stopRequested, sweep.bestTrialId,
      trials.map((t) => [t.id, t.status, t.runId, t.reason, t.stopRequested, t.bestValue]),
    ]);
    this.noteChange(this.sweepPrints, sweepId, print, () => events.push({ type: 'sweep', sweepId, status: sweep.status }));
    const metric = this.sweepMetric.get(sweepId)!;
    for (const trial of trials) {
      if (!trial.runId) continue;
      if (trial.status === 'running' || this.liveRuns.has(trial.runId)) watched.push({ runId: trial.runId, names: metric });
    }
  }

  private async pollLogs(runId: string, events: LiveEvent[]): Promise<void> {
    const after = this.logCursors.get(runId);
    // The first poll only finds where the log ends (0 when empty); later polls send what came after.
    const chunks = await this.store.readLog(runId, after === undefined ? { tail: 1 } : { afterSeq: after, limit: 2000 });
    this.logCursors.set(runId, chunks.at(-1)?.seq ?? after ?? 0);
    if (after !== undefined && chunks.length > 0) events.push({ type: 'logs', runId, chunks });
  }

  private async pollMetrics(watched: readonly Watched[], events: LiveEvent[]): Promise<void> {
    for (const { runId, names } of watched) {
      const cursor = this.metricCursors.get(runId);
      if (cursor === undefined && !this.initialised) {
        // The first poll only finds where each run's points end: the page loaded them over REST.
        this.metricCursors.set(runId, (await this.store.tailMetrics(runId, { names: [] })).lastSeq);
        continue;
      }
      // A run first seen after the session started (a trial that just began) is sent whole.
      const { points, lastSeq } = await this.store.tailMetrics(runId, {
        afterSeq: cursor ?? 0, names: names === 'all' ? undefined : [names], limit: POINTS_PER_POLL,
      });
      this.metricCursors.set(runId, lastSeq);
      for (const [name, series] of byName(points)) events.push({ type: 'metrics', runId, name, points: packPoints(series) });
    }
  }

  private noteChange(prints: Map<string, string>, id: string, print: string, emit: () => void): void {
    if (prints.get(id) === print) return;
    prints.set(id, print);
    if (this.initialised) emit();
  }
}

/** Points grouped by metric name, each group in seq order (the order they were stored). */
function byName(points: readonly SequencedPoint[]): Map<string, SequencedPoint[]> {
  const groups = new Map<string, SequencedPoint[]>();
  for (const point of points) {
    const group = groups.get(point.name);
    if (group) group.push(point);
    else groups.set(point.name, [point]);
  }
  return groups;
}

function runPrint(run: ShownRun): string {
  return JSON.stringify([run.status, run.stopRequested, run.endedAt, run.reason, run.tags, run.params]);
}
