// The store's public data types: what every Store method takes and returns (the contract is in ../store.ts).

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
  /** When the process tracking the run last showed it was alive (touchRun, or any write); epoch ms. */
  lastSeenAt: number;
}

/**
 * How long a running run may go unseen before it shows as `lost` (its process died by SIGKILL, OOM, power
 * loss). The tracker touches its run every RUN_HEARTBEAT_MS, so this is a few missed heartbeats.
 */
export const RUN_HEARTBEAT_MS = 15_000;
export const RUN_LOST_AFTER_MS = 120_000;

/** What to show for a run: its status, or `lost` for a running run unseen for longer than `graceMs`. */
export type DisplayStatus = RunStatus | 'lost';

export function displayStatus(run: Pick<Run, 'status' | 'lastSeenAt'>, now = Date.now(), graceMs = RUN_LOST_AFTER_MS): DisplayStatus {
  return run.status === 'running' && now - run.lastSeenAt > graceMs ? 'lost' : run.status;
}

/** A run as the CLI and the dashboard show it: `status` is the display status (`lost` included). */
export type ShownRun = Omit<Run, 'status'> & { status: DisplayStatus };

export function showRun(run: Run, now = Date.now()): ShownRun {
  return { ...run, status: displayStatus(run, now) };
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

/** A stored point with its insertion sequence number within the run (1, 2, …: the order of commits). */
export interface SequencedPoint {
  seq: number;
  name: string;
  step: number;
  value: number;
  wallTime: number;
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
  /** `<device>:<inode>` of the file the store placed; null for a multiply-linked file found in the folder. */
  fileId: string | null;
}

/** How logArtifact puts a file into the store: a hard link when source and store share a filesystem, else a copy. */
export type ArtifactMode = 'link' | 'copy';

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
