// The tracking store: experiments, runs, metric series, logs, artifacts, sweeps and trials, over kysely on
// SQLite or PostgreSQL (one schema, see migrations.ts). This file's doc comments are the contract that the run
// client, the sweep controller, workers and the dashboard code against (as Optuna's BaseStorage docstring is):
//   - unknown ids throw NotFoundError; finished runs are immutable (RunFinishedError), except tags and deletion;
//   - metric series are append-only; times are epoch milliseconds; NaN metric values round-trip;
//   - trials move queued → running → completed | terminated | failed; a running trial belongs to exactly one
//     worker (its lease, kept alive by heartbeat); every write for a trial names the worker and is ignored
//     (returns false) once the lease is lost, so a presumed-dead worker can never overwrite its successor.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, MetricSummariesTable, RunsTable, SweepsTable, TrialsTable } from './schema.js';
import { downsample, type SeriesPoint } from './downsample.js';
import { connect, resolveStoreTarget, type Dialect } from './connect.js';
import { bucketRows, chunks, readPoints, readThinned, upsertBucketRows } from './series.js';
import { DuplicateError, NotFoundError, RunFinishedError, StoreInputError } from './errors.js';

export { NotFoundError, RunFinishedError, DuplicateError, StoreInputError, StoreError } from './errors.js';
export { resolveStoreTarget } from './connect.js';

// ---------------------------------------------------------------------------------------------- types

export type ParamValue = string | number | boolean | null;
export type Params = Record<string, ParamValue>;

export type RunStatus = 'running' | 'completed' | 'failed' | 'terminated';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'failed', 'terminated'];
export type FinalRunStatus = Exclude<RunStatus, 'running'>;

export interface Experiment {
  id: string;
  name: string;
  createdAt: number;
}

export interface Run {
  id: string;
  experimentId: string;
  name: string;
  status: RunStatus;
  params: Params;
  tags: string[];
  command: string | null;
  host: string | null;
  gitCommit: string | null;
  startedAt: number;
  endedAt: number | null;
  exitCode: number | null;
  reason: string | null;
  sweepId: string | null;
  trialId: string | null;
  /** Set when someone asked the run to stop (the reason); the process running it should obey. */
  stopRequested: string | null;
}

export interface CreateRunInput {
  /** Experiment name; created when missing. */
  experiment: string;
  name?: string;
  params?: Params;
  tags?: string[];
  command?: string | null;
  host?: string | null;
  gitCommit?: string | null;
  sweepId?: string | null;
  trialId?: string | null;
}

export interface RunFilter {
  /** Experiment name or id. */
  experiment?: string;
  sweepId?: string;
  trialId?: string;
  status?: RunStatus | RunStatus[];
  /** Runs carrying this tag. */
  tag?: string;
  /** Substring of the run name. */
  nameContains?: string;
  /** Newest first unless 'oldest'. */
  order?: 'newest' | 'oldest';
  limit?: number;
  offset?: number;
}

/** One report of one metric. `wallTime` defaults to now. */
export interface MetricPoint {
  name: string;
  step: number;
  value: number;
  wallTime?: number;
}

export interface MetricSeries {
  name: string;
  points: { step: number; value: number; wallTime: number }[];
}

/** Per (run, metric) aggregates kept on every append: cheap to list for 1,000s of runs. */
export interface MetricSummary {
  runId: string;
  name: string;
  count: number;
  lastStep: number;
  lastValue: number;
  /** NaN when every value so far was NaN. */
  min: number;
  max: number;
  lastWallTime: number;
}

export type LogStream = 'stdout' | 'stderr' | 'log';
export const LOG_STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'log'];

export interface LogChunk {
  seq: number;
  stream: LogStream;
  text: string;
  wallTime: number;
}

export interface Artifact {
  runId: string;
  /** Path relative to the run's artifacts folder, '/'-separated. */
  name: string;
  size: number;
  createdAt: number;
  /** Absolute path on the machine that owns the store's home. */
  path: string;
}

export type SweepStatus = 'running' | 'completed' | 'stopped' | 'failed';
export type SweepExecutor = 'local' | 'worker';

export interface Sweep {
  id: string;
  name: string;
  experimentId: string;
  /** The validated spec as JSON (sweep/spec.ts parses it again on load). */
  spec: unknown;
  /** Folder the trial command runs in. */
  specDir: string;
  executor: SweepExecutor;
  status: SweepStatus;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  reason: string | null;
  stopRequested: string | null;
  controllerId: string | null;
  controllerHeartbeatAt: number | null;
  bestTrialId: string | null;
}

export interface CreateSweepInput {
  name: string;
  /** Experiment name; created when missing. */
  experiment: string;
  spec: unknown;
  specDir: string;
  executor: SweepExecutor;
}

export type TrialStatus = 'queued' | 'running' | 'completed' | 'terminated' | 'failed';
export const TRIAL_STATUSES: readonly TrialStatus[] = ['queued', 'running', 'completed', 'terminated', 'failed'];
export type FinalTrialStatus = Exclude<TrialStatus, 'queued' | 'running'>;

export interface Trial {
  id: string;
  sweepId: string;
  number: number;
  params: Params;
  status: TrialStatus;
  attempt: number;
  runId: string | null;
  workerId: string | null;
  host: string | null;
  pid: number | null;
  gpu: string | null;
  queuedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  heartbeatAt: number | null;
  exitCode: number | null;
  reason: string | null;
  stopRequested: string | null;
  /** Best primary-metric value and its step, as last recorded by the controller. */
  bestValue: number | null;
  bestStep: number | null;
  reportCount: number;
  evaluatedCount: number;
  stdoutOffset: number;
  stderrOffset: number;
}

export interface ClaimedTrial {
  trial: Trial;
  /** The run created for this attempt. */
  run: Run;
}

export interface RequeueAction {
  trialId: string;
  action: 'requeued' | 'failed';
  reason: string;
}

type Db = Kysely<Database> | Transaction<Database>;

const INSERT_BATCH = 1000;

// ---------------------------------------------------------------------------------------------- store

/** Opens (creating and migrating when needed) the store at `url`; see resolveStoreTarget for the forms. */
export async function openStore(url?: string): Promise<Store> {
  const target = resolveStoreTarget(url);
  const db = await connect(target);
  return new Store(db, target.dialect, target.url, target.home);
}

export class Store {
  constructor(
    private readonly db: Kysely<Database>,
    /** 'sqlite' or 'postgres'. */
    readonly dialect: Dialect,
    /** Normalised URL (absolute SQLite path or PostgreSQL URL): what `TUNELAB_STORE` carries to child processes. */
    readonly url: string,
    /** Folder holding `runs/<run id>/` (artifacts, captured stdout/stderr). */
    readonly home: string,
  ) {}

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // ------------------------------------------------------------------------------------ experiments

  /** Creates an experiment; DuplicateError when the name is taken. */
  async createExperiment(name: string): Promise<Experiment> {
    checkName('experiment name', name);
    const row = { id: newId(), name, created_at: Date.now() };
    try {
      await this.db.insertInto('experiments').values(row).execute();
    } catch (error) {
      if (await this.findExperiment(name)) throw new DuplicateError('experiment', name);
      throw error;
    }
    return { id: row.id, name, createdAt: row.created_at };
  }

  /** The experiment with this name, created when missing (safe under concurrent callers). */
  async getOrCreateExperiment(name: string): Promise<Experiment> {
    const existing = await this.findExperiment(name);
    if (existing) return existing;
    try {
      return await this.createExperiment(name);
    } catch (error) {
      if (error instanceof DuplicateError) return this.getExperiment(name);
      throw error;
    }
  }

  /** By id or name; NotFoundError otherwise. */
  async getExperiment(idOrName: string): Promise<Experiment> {
    const found = await this.findExperiment(idOrName);
    if (!found) throw new NotFoundError('experiment', idOrName);
    return found;
  }

  async listExperiments(): Promise<Experiment[]> {
    const rows = await this.db.selectFrom('experiments').selectAll().orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  private async findExperiment(idOrName: string): Promise<Experiment | undefined> {
    const row = await this.db.selectFrom('experiments').selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`)
      .executeTakeFirst();
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  // ------------------------------------------------------------------------------------------- runs

  /** Starts a run (status 'running', startedAt now). The experiment is created when missing. */
  async createRun(input: CreateRunInput): Promise<Run> {
    if (input.name !== undefined) checkName('run name', input.name);
    const experiment = await this.getOrCreateExperiment(input.experiment);
    const id = newId();
    const params = checkParams(input.params ?? {});
    const tags = [...new Set(input.tags ?? [])];
    tags.forEach((t) => checkName('tag', t));
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('runs').values(this.runRow(id, experiment.id, input, params)).execute();
      if (tags.length > 0) await trx.insertInto('run_tags').values(tags.map((tag) => ({ run_id: id, tag }))).execute();
    });
    return this.getRun(id);
  }

  private runRow(id: string, experimentId: string, input: Omit<CreateRunInput, 'experiment'>, params: Params) {
    return {
      id,
      experiment_id: experimentId,
      name: input.name ?? id,
      status: 'running',
      params: JSON.stringify(params),
      command: input.command ?? null,
      host: input.host === undefined ? hostname() : input.host,
      git_commit: input.gitCommit ?? null,
      started_at: Date.now(),
      ended_at: null,
      exit_code: null,
      reason: null,
      sweep_id: input.sweepId ?? null,
      trial_id: input.trialId ?? null,
      stop_requested: null,
      log_seq: 0,
    };
  }

  async getRun(id: string): Promise<Run> {
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('run', id);
    const tags = await this.db.selectFrom('run_tags').select('tag').where('run_id', '=', id).orderBy('tag').execute();
    return toRun(row, tags.map((t) => t.tag));
  }

  /** Runs matching every given filter, newest first by default. */
  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    let query = this.db.selectFrom('runs').selectAll();
    if (filter.experiment !== undefined) {
      const experiment = await this.findExperiment(filter.experiment);
      if (!experiment) return [];
      query = query.where('experiment_id', '=', experiment.id);
    }
    if (filter.sweepId !== undefined) query = query.where('sweep_id', '=', filter.sweepId);
    if (filter.trialId !== undefined) query = query.where('trial_id', '=', filter.trialId);
    if (filter.status !== undefined) {
      const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
      if (statuses.length === 0) return [];
      query = query.where('status', 'in', statuses);
    }
    if (filter.tag !== undefined) {
      const tag = filter.tag;
      query = query.where('id', 'in', (eb) => eb.selectFrom('run_tags').select('run_id').where('tag', '=', tag));
    }
    if (filter.nameContains !== undefined) {
      // lower() on both sides: LIKE is case-insensitive on SQLite but not on PostgreSQL.
      const escaped = filter.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c);
      query = query.where(sql<boolean>`lower(name) like ${'%' + escaped + '%'} escape '\\'`);
    }
    const direction = filter.order === 'oldest' ? 'asc' : 'desc';
    query = query.orderBy('started_at', direction).orderBy('id', direction);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    if (filter.offset !== undefined) query = query.offset(filter.offset).$if(filter.limit === undefined, (q) => q.limit(1e9));
    const rows = await query.execute();
    const tags = await this.tagsOf(rows.map((r) => r.id));
    return rows.map((row) => toRun(row, tags.get(row.id) ?? []));
  }

  private async tagsOf(runIds: string[]): Promise<Map<string, string[]>> {
    const byRun = new Map<string, string[]>();
    for (const chunk of chunks(runIds, INSERT_BATCH)) {
      const rows = await this.db.selectFrom('run_tags').select(['run_id', 'tag']).where('run_id', 'in', chunk).orderBy('tag').execute();
      for (const row of rows) byRun.set(row.run_id, [...(byRun.get(row.run_id) ?? []), row.tag]);
    }
    return byRun;
  }

  /** Merges `params` into the run's params (a later value for a key replaces the earlier). Running runs only. */
  async logParams(runId: string, params: Params): Promise<void> {
    const checked = checkParams(params);
    await this.db.transaction().execute(async (trx) => {
      await this.writeParams(trx, runId, checked);
    });
  }

  private async writeParams(trx: Db, runId: string, params: Params): Promise<void> {
    const row = await this.lockRunningRun(trx, runId);
    const merged = { ...(JSON.parse(row.params) as Params), ...params };
    await trx.updateTable('runs').set({ params: JSON.stringify(merged) }).where('id', '=', runId).execute();
  }

  /** Adds tags (allowed on finished runs too: tags annotate, they are not results). */
  async addTags(runId: string, tags: string[]): Promise<void> {
    tags.forEach((t) => checkName('tag', t));
    await this.getRun(runId);
    for (const tag of new Set(tags)) {
      await this.db.insertInto('run_tags').values({ run_id: runId, tag })
        .onConflict((oc) => oc.columns(['run_id', 'tag']).doNothing()).execute();
    }
  }

  async removeTags(runId: string, tags: string[]): Promise<void> {
    await this.getRun(runId);
    if (tags.length === 0) return;
    await this.db.deleteFrom('run_tags').where('run_id', '=', runId).where('tag', 'in', tags).execute();
  }

  /**
   * Appends metric reports (append-only: the same step may be reported twice and both rows stay).
   * Names are non-empty strings; steps are integers ≥ 0; values are numbers (NaN allowed). Running runs only.
   */
  async appendMetrics(runId: string, points: MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const checked = checkPoints(points);
    await this.db.transaction().execute(async (trx) => {
      await this.lockRunningRun(trx, runId);
      await this.writeMetrics(trx, runId, checked);
    });
  }

  private async writeMetrics(trx: Db, runId: string, points: Required<MetricPoint>[]): Promise<void> {
    for (const chunk of chunks(points, INSERT_BATCH)) {
      await trx.insertInto('metrics').values(chunk.map((p) => ({
        run_id: runId, name: p.name, step: p.step, value: Number.isNaN(p.value) ? null : p.value, wall_time: p.wallTime,
      }))).execute();
    }
    for (const summary of summarise(points)) {
      const { points: seriesPoints, ...row } = summary;
      await trx.insertInto('metric_summaries').values({ run_id: runId, ...row })
        .onConflict((oc) => oc.columns(['run_id', 'name']).doUpdateSet({
          count: sql`metric_summaries.count + excluded.count`,
          // last: the greatest (step, wall time), a tie going to the newer report; first: the least, the older.
          last_step: takeIf(LATER_LAST, 'last_step'),
          last_value: takeIf(LATER_LAST, 'last_value'),
          last_wall_time: takeIf(LATER_LAST, 'last_wall_time'),
          first_step: takeIf(EARLIER_FIRST, 'first_step'),
          first_value: takeIf(EARLIER_FIRST, 'first_value'),
          first_wall_time: takeIf(EARLIER_FIRST, 'first_wall_time'),
          min_value: sql`case when metric_summaries.min_value is null or excluded.min_value < metric_summaries.min_value then excluded.min_value else metric_summaries.min_value end`,
          max_value: sql`case when metric_summaries.max_value is null or excluded.max_value > metric_summaries.max_value then excluded.max_value else metric_summaries.max_value end`,
        }))
        .execute();
      await upsertBucketRows(trx, bucketRows(runId, summary.name, seriesPoints));
    }
  }

  /**
   * The run's series (all names, or those in `names`) by name, each in step order (ties in append order);
   * series without points are left out. `afterStep` keeps only points with step > afterStep (tailing a live
   * series). `maxPoints` thins each series to at most that many points, keeping first, last and each bucket's
   * extremes (downsample.ts); without `afterStep`, long series are thinned from stored bucket extremes.
   */
  async getMetrics(runId: string, names?: string[], options: { maxPoints?: number; afterStep?: number } = {}): Promise<MetricSeries[]> {
    await this.getRun(runId);
    const { maxPoints, afterStep } = options;
    checkMaxPoints(maxPoints);
    if (afterStep !== undefined && !Number.isSafeInteger(afterStep)) throw new StoreInputError(`afterStep must be an integer, got ${afterStep}`);
    if (maxPoints !== undefined && afterStep === undefined) {
      const wanted = names ?? (await this.getMetricSummaries([runId])).map((s) => s.name);
      const series: MetricSeries[] = [];
      for (const name of [...new Set(wanted)].sort()) {
        const points = (await readThinned(this.db, [runId], name, maxPoints)).get(runId)!;
        if (points.length > 0) series.push({ name, points });
      }
      return series;
    }
    const byName = (await readPoints(this.db, [runId], { names, afterStep })).get(runId) ?? new Map<string, SeriesPoint[]>();
    return [...byName.keys()].sort().map((name) => {
      const points = byName.get(name)!;
      return { name, points: maxPoints === undefined ? points : downsample(points, maxPoints) };
    });
  }

  /**
   * Metric `name` of many runs at once (the sweep chart's curves), each thinned as getMetrics does: a constant
   * number of queries whatever the number of runs, reading stored bucket extremes for long series. Every
   * requested run is a key (an empty array when it has no such metric); NotFoundError for an unknown run.
   */
  async getMetricsForRuns(runIds: string[], name: string, options: { maxPoints?: number } = {}): Promise<Map<string, MetricSeries['points']>> {
    checkMaxPoints(options.maxPoints);
    const unique = [...new Set(runIds)];
    const known = new Set<string>();
    for (const ids of chunks(unique, INSERT_BATCH)) {
      for (const row of await this.db.selectFrom('runs').select('id').where('id', 'in', ids).execute()) known.add(row.id);
    }
    const missing = unique.find((id) => !known.has(id));
    if (missing !== undefined) throw new NotFoundError('run', missing);
    if (options.maxPoints !== undefined) return readThinned(this.db, unique, name, options.maxPoints);
    const points = await readPoints(this.db, unique, { names: [name] });
    return new Map(unique.map((id) => [id, points.get(id)?.get(name) ?? []]));
  }

  /** Latest/min/max/count per metric for each run (one indexed query; no scan of the series). */
  async getMetricSummaries(runIds: string[]): Promise<MetricSummary[]> {
    const out: MetricSummary[] = [];
    for (const chunk of chunks(runIds, INSERT_BATCH)) {
      const rows = await this.db.selectFrom('metric_summaries').selectAll().where('run_id', 'in', chunk)
        .orderBy('run_id').orderBy('name').execute();
      for (const r of rows) {
        out.push({
          runId: r.run_id, name: r.name, count: r.count, lastStep: r.last_step, lastValue: r.last_value ?? NaN,
          min: r.min_value ?? NaN, max: r.max_value ?? NaN, lastWallTime: r.last_wall_time,
        });
      }
    }
    return out;
  }

  /**
   * Finishes a running run: status completed | failed | terminated, optional exit code and reason.
   * RunFinishedError when it already finished (finished runs are immutable).
   */
  async setRunStatus(runId: string, status: FinalRunStatus, details: { exitCode?: number | null; reason?: string | null } = {}): Promise<Run> {
    if (!['completed', 'failed', 'terminated'].includes(status)) {
      throw new StoreInputError(`run status must be completed, failed or terminated, got ${JSON.stringify(status)}`);
    }
    await this.db.transaction().execute(async (trx) => {
      await this.lockRunningRun(trx, runId);
      await this.finishRunRow(trx, runId, status, details.exitCode ?? null, details.reason ?? null);
    });
    return this.getRun(runId);
  }

  private async finishRunRow(trx: Db, runId: string, status: FinalRunStatus, exitCode: number | null, reason: string | null) {
    await trx.updateTable('runs').set({ status, exit_code: exitCode, reason, ended_at: Date.now() })
      .where('id', '=', runId).where('status', '=', 'running').execute();
  }

  /**
   * Asks a running run to stop (dashboard "stop", `tunelab sweep stop`). Whoever runs it obeys: the sweep
   * executor terminates the trial's process; a RunClient sees `stopRequested` after its next flush.
   * Returns false when the run had already finished.
   */
  async requestRunStop(runId: string, reason: string): Promise<boolean> {
    const run = await this.getRun(runId);
    if (run.status !== 'running') return false;
    await this.db.updateTable('runs').set({ stop_requested: reason })
      .where('id', '=', runId).where('stop_requested', 'is', null).execute();
    if (run.trialId) {
      await this.db.updateTable('trials').set({ stop_requested: reason })
        .where('id', '=', run.trialId).where('run_id', '=', runId).where('stop_requested', 'is', null).execute();
    }
    return true;
  }

  /** Deletes a finished run: its rows (metrics, logs, tags, artifacts) and its folder. Running runs refuse. */
  async deleteRun(runId: string): Promise<void> {
    const run = await this.getRun(runId);
    if (run.status === 'running') throw new StoreInputError(`run ${runId} is running: stop it before deleting it`);
    await this.db.transaction().execute(async (trx) => {
      for (const table of ['metrics', 'metric_summaries', 'metric_buckets', 'run_logs', 'artifacts', 'run_tags'] as const) {
        await trx.deleteFrom(table).where('run_id', '=', runId).execute();
      }
      await trx.deleteFrom('runs').where('id', '=', runId).execute();
    });
    rmSync(this.runDir(runId), { recursive: true, force: true });
  }

  /** Locks the run row (PostgreSQL; SQLite transactions already hold the write lock) and checks it is running. */
  private async lockRunningRun(trx: Db, runId: string): Promise<Selectable<RunsTable>> {
    let query = trx.selectFrom('runs').selectAll().where('id', '=', runId);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw new NotFoundError('run', runId);
    if (row.status !== 'running') throw new RunFinishedError(runId, row.status);
    return row;
  }

  // ------------------------------------------------------------------------------------------- logs

  /** Appends a chunk of captured output; returns its sequence number (1, 2, … per run). Running runs only. */
  async appendLog(runId: string, stream: LogStream, text: string): Promise<number> {
    checkStream(stream);
    return this.db.transaction().execute(async (trx) => {
      await this.lockRunningRun(trx, runId);
      const [seq] = await this.writeLogs(trx, runId, [{ stream, text }]);
      return seq;
    });
  }

  private async writeLogs(trx: Db, runId: string, chunks: { stream: LogStream; text: string }[]): Promise<number[]> {
    const nonEmpty = chunks.filter((c) => c.text.length > 0);
    if (nonEmpty.length === 0) return [];
    const { log_seq: last } = await trx.updateTable('runs').set((eb) => ({ log_seq: eb('log_seq', '+', nonEmpty.length) }))
      .where('id', '=', runId).returning('log_seq').executeTakeFirstOrThrow();
    const first = last - nonEmpty.length + 1;
    const now = Date.now();
    await trx.insertInto('run_logs').values(nonEmpty.map((c, i) => ({
      run_id: runId, seq: first + i, stream: c.stream, text: c.text, wall_time: now,
    }))).execute();
    return nonEmpty.map((_, i) => first + i);
  }

  /**
   * Log chunks in seq order. `stream` filters one stream; `afterSeq` gives only newer chunks (following a
   * log); `limit` keeps the first n of those, `tail` the last n (opening a long log at its end).
   */
  async readLog(runId: string, options: { stream?: LogStream; afterSeq?: number; limit?: number; tail?: number } = {}): Promise<LogChunk[]> {
    const { stream, afterSeq, limit, tail } = options;
    if (stream !== undefined) checkStream(stream);
    for (const [key, value] of Object.entries({ afterSeq, limit, tail })) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < (key === 'afterSeq' ? 0 : 1))) {
        throw new StoreInputError(`readLog ${key} must be an integer ≥ ${key === 'afterSeq' ? 0 : 1}, got ${value}`);
      }
    }
    if (limit !== undefined && tail !== undefined) throw new StoreInputError('readLog takes limit or tail, not both');
    await this.getRun(runId);
    let query = this.db.selectFrom('run_logs').selectAll().where('run_id', '=', runId);
    if (stream !== undefined) query = query.where('stream', '=', stream);
    if (afterSeq !== undefined) query = query.where('seq', '>', afterSeq);
    query = query.orderBy('seq', tail === undefined ? 'asc' : 'desc');
    const count = tail ?? limit;
    if (count !== undefined) query = query.limit(count);
    const rows = await query.execute();
    if (tail !== undefined) rows.reverse();
    return rows.map((r) => ({ seq: r.seq, stream: r.stream as LogStream, text: r.text, wallTime: r.wall_time }));
  }

  // -------------------------------------------------------------------------------------- artifacts

  /** `<home>/runs/<run id>`: captured stdout.log/stderr.log and the artifacts/ folder. */
  runDir(runId: string): string {
    return join(this.home, 'runs', runId);
  }

  /** Where a run's artifacts live; a sweep trial's `${{trial.output_dir}}`. */
  artifactsDir(runId: string): string {
    return join(this.runDir(runId), 'artifacts');
  }

  /**
   * Copies a file, or every file under a folder, into the run's artifacts folder (atomically: temp + rename)
   * and records it. `name` defaults to the source's base name. Running runs only.
   */
  async logArtifact(runId: string, sourcePath: string, name?: string): Promise<Artifact[]> {
    const run = await this.getRun(runId);
    if (run.status !== 'running') throw new RunFinishedError(runId, run.status);
    const artifactName = checkArtifactName(name ?? sourcePath.split(/[\\/]/).filter(Boolean).pop() ?? '');
    const files = listFilesUnder(sourcePath);
    const root = this.artifactsDir(runId);
    for (const file of files) {
      const target = join(root, artifactName, file.relative);
      mkdirSync(dirname(target), { recursive: true });
      const temp = `${target}.tmp-${process.pid}`;
      copyFileSync(file.absolute, temp);
      renameSync(temp, target);
    }
    return this.recordArtifacts(runId, files.map((f) => posixJoin(artifactName, f.relative)));
  }

  /** Records files already written into the run's artifacts folder (a trial's output_dir) that are not yet known. */
  async registerArtifacts(runId: string): Promise<Artifact[]> {
    await this.getRun(runId);
    const root = this.artifactsDir(runId);
    const names = listFilesUnder(root, true).map((f) => f.relative.split(sep).join('/'));
    return this.recordArtifacts(runId, names);
  }

  private async recordArtifacts(runId: string, names: string[]): Promise<Artifact[]> {
    const root = this.artifactsDir(runId);
    const now = Date.now();
    for (const name of names) {
      const size = statSync(join(root, name)).size;
      await this.db.insertInto('artifacts').values({ run_id: runId, name, size, created_at: now })
        .onConflict((oc) => oc.columns(['run_id', 'name']).doUpdateSet({ size, created_at: now })).execute();
    }
    return (await this.listArtifacts(runId)).filter((a) => names.includes(a.name));
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    await this.getRun(runId);
    const rows = await this.db.selectFrom('artifacts').selectAll().where('run_id', '=', runId).orderBy('name').execute();
    const root = this.artifactsDir(runId);
    return rows.map((r) => ({ runId, name: r.name, size: r.size, createdAt: r.created_at, path: join(root, r.name) }));
  }

  // ----------------------------------------------------------------------------------------- sweeps

  async createSweep(input: CreateSweepInput): Promise<Sweep> {
    checkName('sweep name', input.name);
    const experiment = await this.getOrCreateExperiment(input.experiment);
    const id = newId();
    await this.db.insertInto('sweeps').values({
      id, name: input.name, experiment_id: experiment.id, spec: JSON.stringify(input.spec), spec_dir: input.specDir,
      executor: input.executor, status: 'running', created_at: Date.now(), started_at: Date.now(), ended_at: null,
      reason: null, stop_requested: null, controller_id: null, controller_heartbeat_at: null, best_trial_id: null,
    }).execute();
    return this.getSweep(id);
  }

  /** By id, else the newest sweep with that name; NotFoundError otherwise. */
  async getSweep(idOrName: string): Promise<Sweep> {
    const row = await this.db.selectFrom('sweeps').selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`).orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (!row) throw new NotFoundError('sweep', idOrName);
    return toSweep(row);
  }

  async listSweeps(filter: { experiment?: string; status?: SweepStatus; limit?: number } = {}): Promise<Sweep[]> {
    let query = this.db.selectFrom('sweeps').selectAll();
    if (filter.experiment !== undefined) {
      const experiment = await this.findExperiment(filter.experiment);
      if (!experiment) return [];
      query = query.where('experiment_id', '=', experiment.id);
    }
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    query = query.orderBy('created_at', 'desc');
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(toSweep);
  }

  /** Asks the sweep to stop: its controller terminates running trials and cancels queued ones. */
  async requestSweepStop(sweepId: string, reason: string): Promise<void> {
    await this.getSweep(sweepId);
    await this.db.updateTable('sweeps').set({ stop_requested: reason })
      .where('id', '=', sweepId).where('stop_requested', 'is', null).execute();
  }

  /** Ends the sweep (completed | stopped | failed) with a reason; a no-op on an already-ended sweep. */
  async finishSweep(sweepId: string, status: Exclude<SweepStatus, 'running'>, reason: string): Promise<void> {
    await this.getSweep(sweepId);
    await this.db.updateTable('sweeps').set({ status, reason, ended_at: Date.now(), controller_id: null })
      .where('id', '=', sweepId).where('status', '=', 'running').execute();
  }

  async setSweepBest(sweepId: string, trialId: string | null): Promise<void> {
    await this.db.updateTable('sweeps').set({ best_trial_id: trialId }).where('id', '=', sweepId).execute();
  }

  /**
   * Compare-and-set of the sweep's controller: becomes `controllerId` only if the current holder is
   * `expectedHolder` (null: nobody). The caller decides that the old holder is dead. Returns success.
   */
  async acquireSweepController(sweepId: string, controllerId: string, expectedHolder: string | null): Promise<boolean> {
    const result = await this.db.updateTable('sweeps')
      .set({ controller_id: controllerId, controller_heartbeat_at: Date.now() })
      .where('id', '=', sweepId)
      .where('controller_id', expectedHolder === null ? 'is' : '=', expectedHolder)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Keeps the controller lease alive; false when another controller took the sweep over. */
  async controllerHeartbeat(sweepId: string, controllerId: string): Promise<boolean> {
    const result = await this.db.updateTable('sweeps').set({ controller_heartbeat_at: Date.now() })
      .where('id', '=', sweepId).where('controller_id', '=', controllerId).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async releaseSweepController(sweepId: string, controllerId: string): Promise<void> {
    await this.db.updateTable('sweeps').set({ controller_id: null })
      .where('id', '=', sweepId).where('controller_id', '=', controllerId).execute();
  }

  // ----------------------------------------------------------------------------------------- trials

  /** Adds trial `number` (queued) with its sampled params. Numbers are unique per sweep. */
  async createTrial(sweepId: string, number: number, params: Params): Promise<Trial> {
    await this.getSweep(sweepId);
    const id = newId();
    await this.db.insertInto('trials').values({
      id, sweep_id: sweepId, number, params: JSON.stringify(checkParams(params)), status: 'queued', attempt: 1,
      run_id: null, worker_id: null, host: null, pid: null, gpu: null, queued_at: Date.now(), started_at: null,
      ended_at: null, heartbeat_at: null, exit_code: null, reason: null, stop_requested: null, best_value: null,
      best_step: null, report_count: 0, evaluated_count: 0, stdout_offset: 0, stderr_offset: 0,
    }).execute();
    return this.getTrial(id);
  }

  async getTrial(id: string): Promise<Trial> {
    const row = await this.db.selectFrom('trials').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('trial', id);
    return toTrial(row);
  }

  /** The sweep's trials in number order. */
  async listTrials(sweepId: string): Promise<Trial[]> {
    const rows = await this.db.selectFrom('trials').selectAll().where('sweep_id', '=', sweepId).orderBy('number').execute();
    return rows.map(toTrial);
  }

  /**
   * Atomically takes the oldest queued trial of a running, not-stopping sweep (restricted to `sweepId`
   * and/or sweeps of `executor` kind), marks it running for `workerId` and creates the attempt's run.
   * On PostgreSQL the pick is `SELECT … FOR UPDATE SKIP LOCKED`, so any number of workers claim in parallel
   * without blocking or double-claiming. Null when nothing is queued.
   */
  async claimTrial(options: { workerId: string; host?: string; sweepId?: string; executor?: SweepExecutor }): Promise<ClaimedTrial | null> {
    const host = options.host ?? hostname();
    const claimed = await this.db.transaction().execute(async (trx) => {
      let pick = trx.selectFrom('trials').innerJoin('sweeps', 'sweeps.id', 'trials.sweep_id')
        .select(['trials.id as id'])
        .where('trials.status', '=', 'queued').where('sweeps.status', '=', 'running').where('sweeps.stop_requested', 'is', null);
      if (options.sweepId !== undefined) pick = pick.where('trials.sweep_id', '=', options.sweepId);
      if (options.executor !== undefined) pick = pick.where('sweeps.executor', '=', options.executor);
      pick = pick.orderBy('trials.queued_at').orderBy('trials.number').limit(1);
      if (this.dialect === 'postgres') pick = pick.forUpdate(['trials']).skipLocked();
      const candidate = await pick.executeTakeFirst();
      if (!candidate) return null;
      const trial = await trx.selectFrom('trials').selectAll().where('id', '=', candidate.id).executeTakeFirstOrThrow();
      const sweep = await trx.selectFrom('sweeps').selectAll().where('id', '=', trial.sweep_id).executeTakeFirstOrThrow();
      const runId = newId();
      const now = Date.now();
      const suffix = trial.attempt > 1 ? ` (attempt ${trial.attempt})` : '';
      await trx.insertInto('runs').values(this.runRow(runId, sweep.experiment_id, {
        name: `${sweep.name}/${trial.number}${suffix}`, host, sweepId: sweep.id, trialId: trial.id,
      }, JSON.parse(trial.params) as Params)).execute();
      await trx.updateTable('trials').set({
        status: 'running', worker_id: options.workerId, host, run_id: runId, started_at: now, heartbeat_at: now,
        pid: null, gpu: null, stdout_offset: 0, stderr_offset: 0,
      }).where('id', '=', trial.id).where('status', '=', 'queued').execute();
      return { trialId: trial.id, runId };
    });
    if (!claimed) return null;
    return { trial: await this.getTrial(claimed.trialId), run: await this.getRun(claimed.runId) };
  }

  /** Records the attempt's process (pid = process group), GPU and final command line. False if the lease is lost. */
  async setTrialProcess(trialId: string, workerId: string, process: { pid: number; gpu: string | null; command: string }): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const trial = await this.ownedTrial(trx, trialId, workerId);
      if (!trial) return false;
      await trx.updateTable('trials').set({ pid: process.pid, gpu: process.gpu }).where('id', '=', trialId).execute();
      await trx.updateTable('runs').set({ command: process.command }).where('id', '=', trial.run_id!).execute();
      return true;
    });
  }

  /** Keeps `workerId`'s lease on a running trial alive. False when the lease was lost (re-queued or finished). */
  async heartbeat(trialId: string, workerId: string): Promise<boolean> {
    const result = await this.db.updateTable('trials').set({ heartbeat_at: Date.now() })
      .where('id', '=', trialId).where('worker_id', '=', workerId).where('status', '=', 'running').executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Records newly read output of a running trial in one transaction: log chunks and metric reports go to the
   * attempt's run, and the byte offsets advance with them, so output is ingested exactly once across crashes.
   * False (nothing written) when `workerId` no longer holds the trial.
   */
  async ingestTrialOutput(trialId: string, workerId: string, output: {
    stdoutOffset: number; stderrOffset: number; logs: { stream: LogStream; text: string }[]; points: MetricPoint[]; params?: Params;
  }): Promise<boolean> {
    const points = checkPoints(output.points);
    const params = output.params && checkParams(output.params);
    return this.db.transaction().execute(async (trx) => {
      const trial = await this.ownedTrial(trx, trialId, workerId);
      if (!trial) return false;
      const runId = trial.run_id!;
      const run = await trx.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow();
      if (run.status === 'running') {
        await this.writeLogs(trx, runId, output.logs);
        if (points.length > 0) await this.writeMetrics(trx, runId, points);
        if (params && Object.keys(params).length > 0) await this.writeParams(trx, runId, params);
      }
      await trx.updateTable('trials').set({ stdout_offset: output.stdoutOffset, stderr_offset: output.stderrOffset })
        .where('id', '=', trialId).execute();
      return true;
    });
  }

  /**
   * Ends a trial and its attempt's run (same status; reason and exit code on both). With `workerId`, only
   * while that worker holds it (false otherwise); with null (the controller), any queued or running trial.
   * False when it had already ended.
   */
  async finishTrial(trialId: string, workerId: string | null, status: FinalTrialStatus,
    details: { exitCode?: number | null; reason?: string | null } = {}): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const trial = workerId === null ? await this.lockTrial(trx, trialId) : await this.ownedTrial(trx, trialId, workerId);
      if (!trial || (trial.status !== 'queued' && trial.status !== 'running')) return false;
      const exitCode = details.exitCode ?? null;
      const reason = details.reason ?? null;
      await trx.updateTable('trials').set({ status, exit_code: exitCode, reason, ended_at: Date.now() })
        .where('id', '=', trialId).execute();
      if (trial.run_id) await this.finishRunRow(trx, trial.run_id, status, exitCode, reason);
      return true;
    });
  }

  /** Asks a trial to stop with a reason (policy, timeout, user). A queued trial ends at once as terminated. */
  async requestTrialStop(trialId: string, reason: string): Promise<void> {
    const trial = await this.getTrial(trialId);
    if (trial.status === 'queued') {
      await this.finishTrial(trialId, null, 'terminated', { reason });
      return;
    }
    if (trial.status !== 'running') return;
    await this.db.updateTable('trials').set({ stop_requested: reason })
      .where('id', '=', trialId).where('stop_requested', 'is', null).execute();
    if (trial.runId) {
      await this.db.updateTable('runs').set({ stop_requested: reason })
        .where('id', '=', trial.runId).where('status', '=', 'running').where('stop_requested', 'is', null).execute();
    }
  }

  /** The controller's view of a trial's primary metric: report count, intervals judged, best value and step. */
  async updateTrialProgress(trialId: string, progress: { reportCount: number; evaluatedCount: number; bestValue: number | null; bestStep: number | null }): Promise<void> {
    await this.db.updateTable('trials').set({
      report_count: progress.reportCount, evaluated_count: progress.evaluatedCount,
      best_value: progress.bestValue, best_step: progress.bestStep,
    }).where('id', '=', trialId).execute();
  }

  /** Moves a running trial's lease from a dead holder to `toWorkerId` (controller restart re-attaching its processes). */
  async takeOverTrial(trialId: string, fromWorkerId: string, toWorkerId: string): Promise<boolean> {
    const result = await this.db.updateTable('trials').set({ worker_id: toWorkerId, heartbeat_at: Date.now() })
      .where('id', '=', trialId).where('worker_id', '=', fromWorkerId).where('status', '=', 'running').executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Trials of the sweep whose worker sent no heartbeat for `graceMs`: the attempt's run fails ("worker lost"),
   * and the trial goes back to the queue (attempt + 1) while attempts ≤ maxRetries, else it fails.
   */
  async requeueStaleTrials(sweepId: string, options: { graceMs: number; maxRetries: number; now?: number }): Promise<RequeueAction[]> {
    const now = options.now ?? Date.now();
    const stale = await this.db.selectFrom('trials').selectAll().where('sweep_id', '=', sweepId)
      .where('status', '=', 'running').where('heartbeat_at', '<', now - options.graceMs).execute();
    const actions: RequeueAction[] = [];
    for (const row of stale) {
      const silentFor = ((now - (row.heartbeat_at ?? now)) / 1000).toFixed(1);
      const reason = `worker ${row.worker_id} lost: no heartbeat for ${silentFor} s (grace ${options.graceMs / 1000} s)`;
      const action = await this.requeueRow(row, reason, options.maxRetries, now, true);
      if (action) actions.push(action);
    }
    return actions;
  }

  /**
   * Gives up `workerId`'s running attempt of a trial (its process is gone, or the worker shuts down): the
   * attempt's run fails with `reason` and the trial is re-queued, or fails once attempts exceed maxRetries.
   * Null when the worker no longer held the trial.
   */
  async requeueTrial(trialId: string, workerId: string, reason: string, options: { maxRetries: number }): Promise<RequeueAction | null> {
    const row = await this.db.selectFrom('trials').selectAll().where('id', '=', trialId).executeTakeFirst();
    if (!row) throw new NotFoundError('trial', trialId);
    if (row.status !== 'running' || row.worker_id !== workerId) return null;
    return this.requeueRow(row, reason, options.maxRetries, Date.now(), false);
  }

  /**
   * Compare-and-set on (status, worker[, heartbeat]): a trial that moved on meanwhile is left alone; with
   * `unchangedHeartbeat`, so is one whose worker turned out to be alive after all.
   */
  private async requeueRow(row: Selectable<TrialsTable>, reason: string, maxRetries: number, now: number, unchangedHeartbeat: boolean): Promise<RequeueAction | null> {
    const retry = row.attempt <= maxRetries;
    const done = await this.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable('trials').set(retry
        ? { status: 'queued', attempt: row.attempt + 1, worker_id: null, host: null, pid: null, gpu: null, run_id: null, started_at: null, heartbeat_at: null, stop_requested: null, stdout_offset: 0, stderr_offset: 0 }
        : { status: 'failed', reason: `${reason}; retries exhausted (${maxRetries})`, ended_at: now })
        .where('id', '=', row.id).where('status', '=', 'running').where('worker_id', '=', row.worker_id)
        .$if(unchangedHeartbeat, (q) => q.where('heartbeat_at', row.heartbeat_at === null ? 'is' : '=', row.heartbeat_at))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      if (row.run_id) await this.finishRunRow(trx, row.run_id, 'failed', null, reason);
      return true;
    });
    return done ? { trialId: row.id, action: retry ? 'requeued' : 'failed', reason } : null;
  }

  private async lockTrial(trx: Db, trialId: string): Promise<Selectable<TrialsTable> | undefined> {
    let query = trx.selectFrom('trials').selectAll().where('id', '=', trialId);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw new NotFoundError('trial', trialId);
    return row;
  }

  private async ownedTrial(trx: Db, trialId: string, workerId: string): Promise<Selectable<TrialsTable> | undefined> {
    const row = await this.lockTrial(trx, trialId);
    return row && row.status === 'running' && row.worker_id === workerId ? row : undefined;
  }
}

// ------------------------------------------------------------------------------------------- mapping

function toRun(row: Selectable<RunsTable>, tags: string[]): Run {
  return {
    id: row.id, experimentId: row.experiment_id, name: row.name, status: row.status as RunStatus,
    params: JSON.parse(row.params) as Params, tags, command: row.command, host: row.host, gitCommit: row.git_commit,
    startedAt: row.started_at, endedAt: row.ended_at, exitCode: row.exit_code, reason: row.reason,
    sweepId: row.sweep_id, trialId: row.trial_id, stopRequested: row.stop_requested,
  };
}

function toSweep(row: Selectable<SweepsTable>): Sweep {
  return {
    id: row.id, name: row.name, experimentId: row.experiment_id, spec: JSON.parse(row.spec) as unknown,
    specDir: row.spec_dir, executor: row.executor as SweepExecutor, status: row.status as SweepStatus,
    createdAt: row.created_at, startedAt: row.started_at, endedAt: row.ended_at, reason: row.reason,
    stopRequested: row.stop_requested, controllerId: row.controller_id, controllerHeartbeatAt: row.controller_heartbeat_at,
    bestTrialId: row.best_trial_id,
  };
}

function toTrial(row: Selectable<TrialsTable>): Trial {
  return {
    id: row.id, sweepId: row.sweep_id, number: row.number, params: JSON.parse(row.params) as Params,
    status: row.status as TrialStatus, attempt: row.attempt, runId: row.run_id, workerId: row.worker_id,
    host: row.host, pid: row.pid, gpu: row.gpu, queuedAt: row.queued_at, startedAt: row.started_at,
    endedAt: row.ended_at, heartbeatAt: row.heartbeat_at, exitCode: row.exit_code, reason: row.reason,
    stopRequested: row.stop_requested, bestValue: row.best_value, bestStep: row.best_step,
    reportCount: row.report_count, evaluatedCount: row.evaluated_count,
    stdoutOffset: row.stdout_offset, stderrOffset: row.stderr_offset,
  };
}

// ---------------------------------------------------------------------------------------- validation

/** 12 random base-36 characters: short enough to type, ~62 bits. */
export function newId(): string {
  const bytes = randomBytes(12);
  let id = '';
  for (const byte of bytes) id += (byte % 36).toString(36);
  return id;
}

function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 256) {
    throw new StoreInputError(`${what} must be a non-empty string of at most 256 characters, got ${JSON.stringify(name)}`);
  }
}

function checkParams(params: Params): Params {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new StoreInputError(`params must be an object of scalars, got ${JSON.stringify(params)}`);
  }
  for (const [key, value] of Object.entries(params)) {
    checkName('param name', key);
    const ok = value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw new StoreInputError(`param ${key}: expected a string, finite number, boolean or null, got ${String(value)}`);
  }
  return params;
}

function checkPoints(points: MetricPoint[]): Required<MetricPoint>[] {
  const now = Date.now();
  return points.map((p) => {
    checkName('metric name', p.name);
    if (!Number.isSafeInteger(p.step) || p.step < 0) throw new StoreInputError(`metric ${p.name}: step must be an integer ≥ 0, got ${p.step}`);
    if (typeof p.value !== 'number') throw new StoreInputError(`metric ${p.name} at step ${p.step}: value must be a number, got ${JSON.stringify(p.value)}`);
    return { name: p.name, step: p.step, value: p.value, wallTime: p.wallTime ?? now };
  });
}

function checkMaxPoints(maxPoints: number | undefined): void {
  if (maxPoints !== undefined && (!Number.isInteger(maxPoints) || maxPoints < 2)) {
    throw new StoreInputError(`maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  }
}

function checkStream(stream: string): asserts stream is LogStream {
  if (!(LOG_STREAMS as readonly string[]).includes(stream)) {
    throw new StoreInputError(`log stream must be one of ${LOG_STREAMS.join(', ')}, got ${JSON.stringify(stream)}`);
  }
}

function checkArtifactName(name: string): string {
  const normal = normalize(name).split(sep).join('/');
  if (name === '' || isAbsolute(name) || normal.startsWith('../') || normal === '..' || normal === '.') {
    throw new StoreInputError(`artifact name must be a relative path inside the run folder, got ${JSON.stringify(name)}`);
  }
  return normal;
}

/** Summary rows of a batch of points per metric name (merged into the stored ones by writeMetrics), with the points. */
function summarise(points: Required<MetricPoint>[]) {
  const byName = new Map<string, Omit<Selectable<MetricSummariesTable>, 'run_id'> & { points: SeriesPoint[] }>();
  for (const p of points) {
    const value = Number.isNaN(p.value) ? null : p.value;
    const s = byName.get(p.name);
    if (!s) {
      byName.set(p.name, {
        name: p.name, count: 1, first_step: p.step, first_value: value, first_wall_time: p.wallTime,
        last_step: p.step, last_value: value, last_wall_time: p.wallTime, min_value: value, max_value: value, points: [p],
      });
      continue;
    }
    s.count += 1;
    s.points.push(p);
    if (!isBefore(p, s.last_step, s.last_wall_time)) Object.assign(s, { last_step: p.step, last_value: value, last_wall_time: p.wallTime });
    if (isBefore(p, s.first_step, s.first_wall_time)) Object.assign(s, { first_step: p.step, first_value: value, first_wall_time: p.wallTime });
    if (value !== null && (s.min_value === null || value < s.min_value)) s.min_value = value;
    if (value !== null && (s.max_value === null || value > s.max_value)) s.max_value = value;
  }
  return [...byName.values()];
}

function isBefore(p: Required<MetricPoint>, step: number, wallTime: number): boolean {
  return p.step < step || (p.step === step && p.wallTime < wallTime);
}

/** Upsert conditions on metric_summaries (`excluded` is the batch's row): see writeMetrics. */
const LATER_LAST = 'excluded.last_step > metric_summaries.last_step or (excluded.last_step = metric_summaries.last_step and excluded.last_wall_time >= metric_summaries.last_wall_time)';
const EARLIER_FIRST = 'metric_summaries.first_step is null or excluded.first_step < metric_summaries.first_step or (excluded.first_step = metric_summaries.first_step and excluded.first_wall_time < metric_summaries.first_wall_time)';

function takeIf(condition: string, column: keyof MetricSummariesTable) {
  return sql<number>`case when ${sql.raw(condition)} then ${sql.ref(`excluded.${column}`)} else ${sql.ref(`metric_summaries.${column}`)} end`;
}

function listFilesUnder(path: string, allowMissing = false): { absolute: string; relative: string }[] {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    if (allowMissing) return [];
    throw new StoreInputError(`artifact source not found: ${path}`);
  }
  if (!stats.isDirectory()) return [{ absolute: path, relative: '' }];
  const entries = readdirSync(path, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && !/\.tmp-\d+$/.test(e.name))
    .map((e) => {
      const absolute = join(e.parentPath, e.name);
      return { absolute, relative: relative(path, absolute) };
    })
    .sort((a, b) => a.relative.localeCompare(b.relative));
}

function posixJoin(base: string, rest: string): string {
  return rest === '' ? base : `${base}/${rest.split(sep).join('/')}`;
}
