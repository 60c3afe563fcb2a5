// The three extension points of a sweep (see STYLE.md, Interfaces). A new sampler, policy or executor is one file
// implementing one of these; the controller only ever talks to them through these types.
import type { Params, TrialStatus } from '../track/store.js';
import type { SearchSpace } from './space.js';

export type Goal = 'minimize' | 'maximize';

/** A read-only snapshot of one trial. */
export interface TrialView {
  readonly number: number;
  readonly params: Readonly<Params>;
  readonly status: TrialStatus;
  /** Primary-metric reports in order: values[i] is interval i + 1 (NaN for a NaN report). */
  readonly values: readonly number[];
}

/** A read-only snapshot of the sweep: its space, its goal and every trial so far. */
export interface SweepView {
  readonly space: SearchSpace;
  readonly goal: Goal;
  readonly trials: readonly TrialView[];
}

/**
 * Proposes the params of a new trial over the whole space at once. Seeded and deterministic: the same sweep
 * view and trial number give the same params (a restarted controller re-draws nothing differently).
 * Samplers read snapshots and write nothing.
 */
export interface Sampler {
  sample(sweep: SweepView, trial: { number: number }): Params;
}

export interface Decision {
  stop: boolean;
  /** Why, with the numbers compared ("bandit: best 0.52 < 0.8/(1+0.2) = 0.667 at interval 4"). */
  reason: string;
}

/**
 * Early termination, judged each time a trial reports the primary metric: `trial.values.length` is the interval
 * being judged; other trials are seen as they stand. Pure: no clock, no randomness, no state.
 */
export interface TerminationPolicy {
  evaluate(sweep: SweepView, trial: TrialView): Decision;
}

/** What a trial process printed since the last batch, split into log text and parsed protocol reports. */
export interface OutputBatch {
  /** Byte offsets of stdout.log / stderr.log up to which output is now consumed (whole lines only). */
  stdoutOffset: number;
  stderrOffset: number;
  logs: { stream: 'stdout' | 'stderr' | 'log'; text: string }[];
  points: { name: string; step: number; value: number; wallTime: number }[];
  params: Params;
}

export interface ExitInfo {
  /** Null when the process died from a signal or its status could not be learned. */
  exitCode: number | null;
  signal: string | null;
}

/** A launched (or re-attached) trial process. */
export interface TrialHandle {
  /** Process group id (signals go to the whole group); 0 for an attempt that had already exited when attached. */
  readonly pid: number;
  /** Output batches until the process has exited and its output is drained; one consumer. */
  readonly reports: AsyncIterable<OutputBatch>;
  /** Resolves once the process has exited. */
  wait(): Promise<ExitInfo>;
  /** SIGTERM to the process group, SIGKILL after the grace period. Safe to call twice. */
  terminate(reason: string): Promise<void>;
}

/** Where a trial attempt runs: its run (for output files) and working folder. */
export interface LaunchTarget {
  runId: string;
  /** Folder receiving STDOUT_FILE, STDERR_FILE and EXIT_FILE. */
  runDir: string;
  cwd: string;
}

/** The files an executor writes into LaunchTarget.runDir: the command's two streams and its exit status. */
export const STDOUT_FILE = 'stdout.log';
export const STDERR_FILE = 'stderr.log';
export const EXIT_FILE = 'exit_code';

/** An attempt as the store recorded it (pid 0: known to have exited), for re-attaching after a restart. */
export interface RecordedAttempt {
  runId: string;
  runDir: string;
  pid: number;
  stdoutOffset: number;
  stderrOffset: number;
}

/**
 * Runs trial commands somewhere; decides nothing (no statuses, no store writes). The controller, the worker and
 * the runner know executors only through this interface (executors/local.ts is the one that ships).
 */
export interface Executor {
  launch(trial: LaunchTarget, command: string, env: Record<string, string>): TrialHandle;
  /** Re-attaches to an attempt started by a supervisor that died; null when the attempt is lost (re-queue it). */
  attach(attempt: RecordedAttempt): TrialHandle | null;
  /**
   * What became of an attempt whose pid was never recorded (its launcher died in between): still running (its
   * pid), 'exited' (only its exit status is left), 'vanished' (gone without a status) or 'never-started'.
   */
  findUnrecorded(runId: string, runDir: string): { pid: number } | 'exited' | 'vanished' | 'never-started';
}

/**
 * The metric a trial reports once (at step 0) with its planned total of training steps; `tunelab train` does. With
 * it, no policy judges a report at or after the last step (the trial has finished training), and what early
 * termination saved is computed from the trial's own plan (sweep/savings.ts).
 */
export const TOTAL_STEPS_METRIC = 'total_steps';
