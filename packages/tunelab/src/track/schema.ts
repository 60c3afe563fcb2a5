// The store's tables as kysely sees them. One schema for SQLite and PostgreSQL (see migrations.ts).
// Conventions: ids are short random strings; times are epoch milliseconds (bigint); JSON lives in text
// columns (params, spec); booleans do not exist (flags are nullable text that also carries the reason).

export interface Database {
  experiments: ExperimentsTable;
  runs: RunsTable;
  run_tags: RunTagsTable;
  metrics: MetricsTable;
  metric_summaries: MetricSummariesTable;
  metric_buckets: MetricBucketsTable;
  run_logs: RunLogsTable;
  artifacts: ArtifactsTable;
  sweeps: SweepsTable;
  trials: TrialsTable;
}

export interface ExperimentsTable {
  id: string;
  name: string; // unique
  created_at: number;
}

export interface RunsTable {
  id: string;
  experiment_id: string;
  name: string;
  status: string; // RunStatus
  params: string; // JSON object of scalars
  command: string | null;
  host: string | null;
  git_commit: string | null;
  started_at: number;
  ended_at: number | null;
  exit_code: number | null;
  reason: string | null;
  sweep_id: string | null;
  trial_id: string | null;
  /** Non-null once someone asked the run to stop; holds the reason. Whoever runs it obeys. */
  stop_requested: string | null;
  /** Last sequence number handed to a log chunk (run_logs.seq). */
  log_seq: number;
  /** Last sequence number handed to a metric point (metrics.seq). */
  metric_seq: number;
  /** When the run's process last showed it was alive (heartbeat or write); NULL only in rows older than 0003. */
  last_seen: number | null;
}

export interface RunTagsTable {
  run_id: string;
  tag: string;
}

/** Append-only metric series: one row per (run, name, step) report. */
export interface MetricsTable {
  run_id: string;
  name: string;
  step: number;
  value: number | null; // NULL stores NaN (SQLite cannot hold NaN)
  wall_time: number;
  /** Insertion sequence within the run (1, 2, …, in commit order): the live stream's cursor. */
  seq: number | null;
}

/** One row per (run, metric name), kept current on every append, so run lists never scan `metrics`. */
export interface MetricSummariesTable {
  run_id: string;
  name: string;
  count: number;
  last_step: number;
  last_value: number | null;
  min_value: number | null;
  max_value: number | null;
  last_wall_time: number;
  /** The point with the smallest (step, wall time); NULL value stores NaN. */
  first_step: number;
  first_value: number | null;
  first_wall_time: number;
}

/**
 * Per (run, metric, level, bucket): the lowest and highest finite point among steps [bucket·2^level,
 * (bucket+1)·2^level), kept current on every append (see downsample.ts): long series are thinned from these rows.
 */
export interface MetricBucketsTable {
  run_id: string;
  name: string;
  level: number;
  bucket: number;
  min_step: number;
  min_value: number;
  min_wall_time: number;
  max_step: number;
  max_value: number;
  max_wall_time: number;
}

export interface RunLogsTable {
  run_id: string;
  seq: number;
  stream: string; // 'stdout' | 'stderr' | 'log'
  text: string;
  wall_time: number;
}

export interface ArtifactsTable {
  run_id: string;
  name: string; // path relative to the run's artifacts folder, '/'-separated
  size: number;
  created_at: number;
  /** `<device>:<inode>` of the file the store wrote or linked: the server serves a multiply-linked file only if it is this one. */
  file_id: string | null;
}

export interface SweepsTable {
  id: string;
  name: string;
  experiment_id: string;
  spec: string; // JSON of the validated spec
  spec_dir: string; // folder trial commands run in (the spec file's folder)
  executor: string; // 'local' | 'worker'
  status: string; // SweepStatus
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  reason: string | null;
  stop_requested: string | null;
  controller_id: string | null; // '<host>:<pid>:<nonce>' of the controller holding the sweep
  controller_heartbeat_at: number | null;
  best_trial_id: string | null;
}

export interface TrialsTable {
  id: string;
  sweep_id: string;
  number: number; // 0-based, unique within the sweep
  params: string; // JSON
  status: string; // TrialStatus
  attempt: number; // 1 + number of re-queues after a lost worker
  run_id: string | null; // the current attempt's run
  worker_id: string | null;
  host: string | null;
  pid: number | null; // process group leader of the running attempt
  gpu: string | null;
  queued_at: number;
  started_at: number | null;
  ended_at: number | null;
  heartbeat_at: number | null;
  exit_code: number | null;
  reason: string | null;
  stop_requested: string | null;
  best_value: number | null;
  best_step: number | null;
  report_count: number; // primary-metric reports seen by the controller
  evaluated_count: number; // intervals already judged by the termination policy
  stdout_offset: number; // bytes of the attempt's stdout.log already ingested
  stderr_offset: number;
}
