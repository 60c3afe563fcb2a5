// The tracking store: experiments, runs, metric series, logs, artifacts, sweeps and trials. `Store` is the
// interface; its doc comments are the contract that the run client, the sweep controller, workers and the
// dashboard code against (as Optuna's BaseStorage docstring is), and test/contracts/store.test.ts checks it on
// every backend. The implementation (track/store/: a file per concern over one kysely `Db`, artifacts in their own
// file store) runs on SQLite or PostgreSQL with one schema (migrations.ts).
//
// The contract, in general:
//   - unknown ids throw NotFoundError; malformed input throws StoreInputError (nothing is written);
//   - finished runs are immutable (RunFinishedError), except tags, deletion and an explicit resumeRun;
//   - metric series are append-only: a step reported twice keeps both points; every point gets the run's next
//     sequence number (1, 2, … in commit order), so a reader that remembers the last seq misses nothing;
//   - times are epoch milliseconds; NaN metric values round-trip;
//   - a running run is `lost` (displayStatus) once unseen for RUN_LOST_AFTER_MS: every write counts as a sign of
//     life, and a run client that wrote nothing for RUN_HEARTBEAT_MS touches it (touchRun);
//   - trials move queued → running → completed | terminated | failed; a running trial belongs to exactly one
//     worker (its lease, kept alive by heartbeat); every write for a trial names the worker and is ignored
//     (returns false) once the lease is lost, so a presumed-dead worker can never overwrite its successor;
//   - the database connection may drop (PostgreSQL restart, pg_terminate_backend): a call cut off runs again, whole,
//     on a new connection, with backoff, for `reconnectForMs`; only then does it reject with the driver's error.
//     The store stays usable, and a dropped connection never crashes the process.
import { connect, resolveStoreTarget, type Dialect } from './connect.js';
import { SqlStore, type ReconnectOptions } from './store/sql-store.js';
import type {
  Artifact, ArtifactMode, ClaimedTrial, CreateRunInput, CreateSweepInput, Experiment, FinalRunStatus, FinalTrialStatus,
  LogChunk, LogStream, MetricPoint, MetricSeries, MetricSummary, Params, RequeueAction, Run, RunFilter, SequencedPoint,
  Sweep, SweepExecutor, SweepStatus, Trial,
} from './store/types.js';

export * from './store/types.js';
export { NotFoundError, RunFinishedError, DuplicateError, StoreInputError, StoreError, StoreUnreachableError } from './errors.js';
export { resolveStoreTarget } from './connect.js';
export { newId } from './store/context.js';

export { type ReconnectOptions } from './store/sql-store.js';
export { isConnectionLost } from './store/connection.js';

/**
 * Opens (creating and migrating when needed) the store at `url`; see resolveStoreTarget for the forms.
 * `reconnectForMs` (default 15 s) is how long each call rides out a lost database connection before it fails:
 * long-lived processes (worker, sweep controller, `tunelab ui`) pass more, with a `log` to say so.
 */
export async function openStore(url?: string, options: ReconnectOptions = {}): Promise<Store> {
  const target = resolveStoreTarget(url);
  const db = await connect(target);
  return new SqlStore(db, target.dialect, target.url, target.home, options);
}

/** True for an open store (what a caller passing "a URL or a Store" branches on). */
export function isStore(value: unknown): value is Store {
  return value instanceof SqlStore;
}

export interface Store {
  /** 'sqlite' or 'postgres'. */
  readonly dialect: Dialect;
  /** Normalised URL (absolute SQLite path or PostgreSQL URL): what `TUNELAB_STORE` carries to child processes. */
  readonly url: string;
  /** Folder holding `runs/<run id>/` (artifacts, captured stdout/stderr). */
  readonly home: string;
  /** Releases the connection(s). The store is unusable afterwards. */
  close(): Promise<void>;

  // ------------------------------------------------------------------------------------ experiments

  /** Creates an experiment; DuplicateError when the name is taken. */
  createExperiment(name: string): Promise<Experiment>;
  /** The experiment with this name, created when missing (safe under concurrent callers: all get the same one). */
  getOrCreateExperiment(name: string): Promise<Experiment>;
  /** By id or name; NotFoundError otherwise. */
  getExperiment(idOrName: string): Promise<Experiment>;
  /** Every experiment, oldest first. */
  listExperiments(): Promise<Experiment[]>;

  // ------------------------------------------------------------------------------------------- runs

  /** Starts a run (status 'running', startedAt and lastSeenAt now). The experiment is created when missing. */
  createRun(input: CreateRunInput): Promise<Run>;
  getRun(id: string): Promise<Run>;
  /** Runs matching every given filter, newest first by default; an unknown experiment gives []. */
  listRuns(filter?: RunFilter): Promise<Run[]>;
  /** Merges `params` into the run's params (a later value for a key replaces the earlier). Running runs only. */
  logParams(runId: string, params: Params): Promise<void>;
  /** Adds tags (allowed on finished runs too: tags annotate, they are not results). */
  addTags(runId: string, tags: string[]): Promise<void>;
  removeTags(runId: string, tags: string[]): Promise<void>;
  /**
   * Finishes a running run: status completed | failed | terminated, optional exit code and reason.
   * RunFinishedError when it already finished (finished runs are immutable).
   */
  setRunStatus(runId: string, status: FinalRunStatus, details?: { exitCode?: number | null; reason?: string | null }): Promise<Run>;
  /**
   * Asks a running run to stop (dashboard "stop", `tunelab sweep stop`). Whoever runs it obeys: the sweep
   * executor terminates the trial's process; a RunClient sees `stopRequested` after its next flush. A lost run
   * has nobody to obey, so it ends at once as failed ("lost: …"). False when the run had already finished.
   */
  requestRunStop(runId: string, reason: string): Promise<boolean>;
  /** The tracker's heartbeat: the running run was seen now. False (nothing changed) when it is not running. */
  touchRun(runId: string): Promise<boolean>;
  /**
   * Reopens a run to continue it (`train --resume` of a killed, failed or finished run continues the SAME run):
   * status running again, end, exit code, reason and stop request cleared, seen now; its points, params, logs and
   * artifacts stay. StoreInputError for a sweep trial's run (the worker retries trials with new attempts).
   */
  resumeRun(runId: string): Promise<Run>;
  /** Deletes a finished or lost run: its rows (metrics, logs, tags, artifacts) and its folder. Running runs refuse. */
  deleteRun(runId: string): Promise<void>;

  // ---------------------------------------------------------------------------------------- metrics

  /**
   * Appends metric reports (append-only: the same step may be reported twice and both rows stay), numbered by
   * the run's next sequence numbers in the given order. Names are non-empty strings; steps are integers ≥ 0;
   * values are numbers (NaN allowed). Running runs only. All or nothing.
   */
  appendMetrics(runId: string, points: MetricPoint[]): Promise<void>;
  /**
   * The run's series (all names, or those in `names`) by name, each in step order (ties in append order);
   * series without points are left out. `afterStep` keeps only points with step > afterStep. `maxPoints` thins
   * each series to at most that many points, keeping first, last and each bucket's extremes (downsample.ts).
   */
  getMetrics(runId: string, names?: string[], options?: { maxPoints?: number; afterStep?: number }): Promise<MetricSeries[]>;
  /**
   * Metric `name` of many runs at once (the sweep chart's curves), each thinned as getMetrics does, in a constant
   * number of queries. Every requested run is a key (an empty array when it has no such metric); NotFoundError
   * for an unknown run.
   */
  getMetricsForRuns(runIds: string[], name: string, options?: { maxPoints?: number }): Promise<Map<string, MetricSeries['points']>>;
  /** Latest/min/max/count per metric for each run (no scan of the series). */
  getMetricSummaries(runIds: string[]): Promise<MetricSummary[]>;
  /**
   * The run's points with seq > afterSeq (default 0: all), in seq order, at most `limit`; `names` filters
   * (`[]`: no points, only `lastSeq`: where a reader starts to follow the run from now).
   * `lastSeq` is where the next call continues: every point up to it has been returned or filtered out.
   * Late and repeated steps are new points like any other: nothing committed is ever skipped.
   */
  tailMetrics(runId: string, options?: { afterSeq?: number; names?: string[]; limit?: number }): Promise<{ points: SequencedPoint[]; lastSeq: number }>;

  // ------------------------------------------------------------------------------------------- logs

  /** Appends a chunk of captured output; returns its sequence number (1, 2, … per run). Running runs only. */
  appendLog(runId: string, stream: LogStream, text: string): Promise<number>;
  /**
   * Log chunks in seq order. `stream` filters one stream; `afterSeq` gives only newer chunks (following a
   * log); `limit` keeps the first n of those, `tail` the last n (opening a long log at its end).
   */
  readLog(runId: string, options?: { stream?: LogStream; afterSeq?: number; limit?: number; tail?: number }): Promise<LogChunk[]>;

  // -------------------------------------------------------------------------------------- artifacts

  /** `<home>/runs/<run id>`: captured stdout.log/stderr.log and the artifacts/ folder. */
  runDir(runId: string): string;
  /** Where a run's artifacts live; a sweep trial's `${{trial.output_dir}}`. */
  artifactsDir(runId: string): string;
  /**
   * Puts a file, or every file under a folder, into the run's artifacts as `name` (default: the source's base
   * name) and records it. By hard link when the source is on the store's filesystem ('link', the default: a
   * 400 MB model costs no copy; later atomic rewrites of the source leave the artifact alone), else — or with
   * mode 'copy' — by copy. Each file appears whole (temp + rename) or not at all. Running runs only.
   */
  logArtifact(runId: string, sourcePath: string, name?: string, options?: { mode?: ArtifactMode }): Promise<Artifact[]>;
  /** Records files already written into the run's artifacts folder (a trial's output_dir) that are not yet known. */
  registerArtifacts(runId: string): Promise<Artifact[]>;
  listArtifacts(runId: string): Promise<Artifact[]>;

  // ----------------------------------------------------------------------------------------- sweeps

  createSweep(input: CreateSweepInput): Promise<Sweep>;
  /** By id, else the newest sweep with that name; NotFoundError otherwise. */
  getSweep(idOrName: string): Promise<Sweep>;
  /** Newest first. */
  listSweeps(filter?: { experiment?: string; status?: SweepStatus; limit?: number }): Promise<Sweep[]>;
  /** Asks the sweep to stop: its controller terminates running trials and cancels queued ones. */
  requestSweepStop(sweepId: string, reason: string): Promise<void>;
  /** Ends the sweep (completed | stopped | failed) with a reason; a no-op on an already-ended sweep. */
  finishSweep(sweepId: string, status: Exclude<SweepStatus, 'running'>, reason: string): Promise<void>;
  setSweepBest(sweepId: string, trialId: string | null): Promise<void>;
  /**
   * Compare-and-set of the sweep's controller: becomes `controllerId` only if the current holder is
   * `expectedHolder` (null: nobody). The caller decides that the old holder is dead. Returns success.
   */
  acquireSweepController(sweepId: string, controllerId: string, expectedHolder: string | null): Promise<boolean>;
  /** Keeps the controller lease alive; false when another controller took the sweep over. */
  controllerHeartbeat(sweepId: string, controllerId: string): Promise<boolean>;
  releaseSweepController(sweepId: string, controllerId: string): Promise<void>;

  // ----------------------------------------------------------------------------------------- trials

  /** Adds trial `number` (queued) with its sampled params. Numbers are unique per sweep. */
  createTrial(sweepId: string, number: number, params: Params): Promise<Trial>;
  getTrial(id: string): Promise<Trial>;
  /** The sweep's trials in number order. */
  listTrials(sweepId: string): Promise<Trial[]>;
  /**
   * Atomically takes the oldest queued trial of a running, not-stopping sweep (restricted to `sweepId`
   * and/or sweeps of `executor` kind), marks it running for `workerId` and creates the attempt's run.
   * Any number of workers claim in parallel without blocking or double-claiming. Null when nothing is queued.
   */
  claimTrial(options: { workerId: string; host?: string; sweepId?: string; executor?: SweepExecutor }): Promise<ClaimedTrial | null>;
  /** Records the attempt's process (pid = process group), GPU and final command line. False if the lease is lost. */
  setTrialProcess(trialId: string, workerId: string, process: { pid: number; gpu: string | null; command: string }): Promise<boolean>;
  /** Keeps `workerId`'s lease on a running trial alive (and its run seen). False when the lease was lost. */
  heartbeat(trialId: string, workerId: string): Promise<boolean>;
  /**
   * Records newly read output of a running trial in one transaction: log chunks and metric reports go to the
   * attempt's run, and the byte offsets advance with them, so output is ingested exactly once across crashes.
   * False (nothing written) when `workerId` no longer holds the trial.
   */
  ingestTrialOutput(trialId: string, workerId: string, output: {
    stdoutOffset: number; stderrOffset: number; logs: { stream: LogStream; text: string }[]; points: MetricPoint[]; params?: Params;
  }): Promise<boolean>;
  /**
   * Ends a trial and its attempt's run (same status; reason and exit code on both). With `workerId`, only
   * while that worker holds it (false otherwise); with null (the controller), any queued or running trial.
   * False when it had already ended.
   */
  finishTrial(trialId: string, workerId: string | null, status: FinalTrialStatus, details?: { exitCode?: number | null; reason?: string | null }): Promise<boolean>;
  /** Asks a trial to stop with a reason (policy, timeout, user). A queued trial ends at once as terminated. */
  requestTrialStop(trialId: string, reason: string): Promise<void>;
  /** The controller's view of a trial's primary metric: report count, intervals judged, best value and step. */
  updateTrialProgress(trialId: string, progress: { reportCount: number; evaluatedCount: number; bestValue: number | null; bestStep: number | null }): Promise<void>;
  /** Moves a running trial's lease from a dead holder to `toWorkerId` (controller restart re-attaching its processes). */
  takeOverTrial(trialId: string, fromWorkerId: string, toWorkerId: string): Promise<boolean>;
  /**
   * Trials of the sweep whose worker sent no heartbeat for `graceMs`: the attempt's run fails ("worker lost"),
   * and the trial goes back to the queue (attempt + 1) while attempts ≤ maxRetries, else it fails.
   */
  requeueStaleTrials(sweepId: string, options: { graceMs: number; maxRetries: number; now?: number }): Promise<RequeueAction[]>;
  /**
   * Gives up `workerId`'s running attempt of a trial (its process is gone, or the worker shuts down): the
   * attempt's run fails with `reason` and the trial is re-queued, or fails once attempts exceed maxRetries.
   * Null when the worker no longer held the trial.
   */
  requeueTrial(trialId: string, workerId: string, reason: string, options: { maxRetries: number }): Promise<RequeueAction | null>;
}
