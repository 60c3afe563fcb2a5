// The run client: what a training script calls to be tracked. Writes are buffered and flushed in batches
// (every `flushIntervalMs`, when the buffer grows, and on endRun / process exit), so logging a metric per step
// costs nothing noticeable. Inside a process launched by a sweep, `RunClient.fromEnv()` attaches to the run
// the launcher created (env TUNELAB_RUN_ID + TUNELAB_STORE); the launcher then owns the run's final status.
import { execFileSync } from 'node:child_process';
import { openStore, Store, StoreInputError, type FinalRunStatus, type MetricPoint, type Params, type Artifact, type LogStream } from './store.js';

export interface StartRunOptions {
  experiment: string;
  name?: string;
  params?: Params;
  tags?: string[];
  /** A store URL (see resolveStoreTarget) or an open Store; default: $TUNELAB_STORE or ./tunelab-runs. */
  store?: string | Store;
  /** Recorded as the run's command; default: this process's argv. */
  command?: string;
  flushIntervalMs?: number;
}

export const ENV_RUN_ID = 'TUNELAB_RUN_ID';
export const ENV_STORE = 'TUNELAB_STORE';

const MAX_BUFFERED_POINTS = 2000;

/** Starts a new run and returns its client; the caller ends it with `endRun`. */
export async function startRun(options: StartRunOptions): Promise<RunClient> {
  const ownsStore = !(options.store instanceof Store);
  const store = options.store instanceof Store ? options.store : await openStore(options.store);
  try {
    const run = await store.createRun({
      experiment: options.experiment, name: options.name, params: options.params, tags: options.tags,
      command: options.command ?? process.argv.join(' '), gitCommit: gitCommit(),
    });
    return new RunClient(store, run.id, { ownsRun: true, ownsStore, flushIntervalMs: options.flushIntervalMs });
  } catch (error) {
    if (ownsStore) await store.close();
    throw error;
  }
}

export class RunClient {
  /** Why someone asked this run to stop (dashboard, sweep policy), as of the last flush; null while it may go on. */
  stopRequested: string | null = null;
  private points: MetricPoint[] = [];
  private params: Params = {};
  private logs: string[] = [];
  private pendingFlush: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private ended = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onBeforeExit = () => { void this.endRun().catch(() => undefined); };

  constructor(
    private readonly store: Store,
    /** The run's id. */
    readonly id: string,
    private readonly options: { ownsRun: boolean; ownsStore: boolean; flushIntervalMs?: number },
  ) {
    this.timer = setInterval(() => { void this.flush().catch(() => undefined); }, options.flushIntervalMs ?? 1000);
    this.timer.unref();
    process.once('beforeExit', this.onBeforeExit);
  }

  /**
   * Attaches to the run named by env TUNELAB_RUN_ID in the store TUNELAB_STORE (how a sweep trial or any
   * launched child reports through the client). endRun then only flushes: the launcher records the exit status.
   */
  static async fromEnv(env: NodeJS.ProcessEnv = process.env): Promise<RunClient> {
    const runId = env[ENV_RUN_ID];
    if (!runId) throw new StoreInputError(`${ENV_RUN_ID} is not set: RunClient.fromEnv needs a run id from the process that launched this one`);
    const store = await openStore(env[ENV_STORE]);
    try {
      const run = await store.getRun(runId);
      return new RunClient(store, run.id, { ownsRun: false, ownsStore: true });
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** Merges params into the run's (buffered). */
  logParams(params: Params): void {
    this.checkOpen();
    Object.assign(this.params, params);
  }

  /** Buffers one report of several metrics at `step`; values must be numbers (NaN is kept as NaN). */
  logMetrics(step: number, metrics: Record<string, number>): void {
    this.checkOpen();
    const wallTime = Date.now();
    for (const [name, value] of Object.entries(metrics)) {
      if (typeof value !== 'number') throw new StoreInputError(`metric ${name} at step ${step}: value must be a number, got ${JSON.stringify(value)}`);
      if (!Number.isSafeInteger(step) || step < 0) throw new StoreInputError(`metric ${name}: step must be an integer ≥ 0, got ${step}`);
      this.points.push({ name, step, value, wallTime });
    }
    if (this.points.length >= MAX_BUFFERED_POINTS) void this.flush().catch(() => undefined);
  }

  /** Buffers a line (or block) of text into the run's log, stream 'log'. */
  log(text: string): void {
    this.checkOpen();
    this.logs.push(text.endsWith('\n') ? text : text + '\n');
  }

  /** Copies a file or folder into the run's artifacts (after flushing what is buffered). */
  async logArtifact(path: string, name?: string): Promise<Artifact[]> {
    this.checkOpen();
    await this.flush();
    return this.store.logArtifact(this.id, path, name);
  }

  /** Writes everything buffered; rethrows a failure of an earlier background flush. */
  async flush(): Promise<void> {
    this.pendingFlush = this.pendingFlush.then(() => this.writeBuffered());
    await this.pendingFlush;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  /**
   * Flushes and, for a run this client started, ends it (default 'completed'). Idempotent. A client from
   * `fromEnv` only flushes: the process that launched it records the status from the exit code.
   */
  async endRun(status: FinalRunStatus = 'completed', reason?: string): Promise<void> {
    if (this.ended) return;
    clearInterval(this.timer);
    process.removeListener('beforeExit', this.onBeforeExit);
    try {
      await this.flush();
      if (this.options.ownsRun) await this.store.setRunStatus(this.id, status, { reason: reason ?? null });
    } finally {
      this.ended = true;
      if (this.options.ownsStore) await this.store.close();
    }
  }

  private async writeBuffered(): Promise<void> {
    const points = this.points;
    const params = this.params;
    const logs = this.logs;
    this.points = [];
    this.params = {};
    this.logs = [];
    try {
      if (Object.keys(params).length > 0) await this.store.logParams(this.id, params);
      if (points.length > 0) await this.store.appendMetrics(this.id, points);
      if (logs.length > 0) await this.store.appendLog(this.id, 'log' satisfies LogStream, logs.join(''));
      this.stopRequested = (await this.store.getRun(this.id)).stopRequested;
    } catch (error) {
      this.failure ??= error;
    }
  }

  private checkOpen(): void {
    if (this.ended) throw new StoreInputError(`run ${this.id}: the client already ended the run`);
  }
}

/** The checked-out commit of the working directory's git repository, if any. */
function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() || null;
  } catch {
    return null;
  }
}
