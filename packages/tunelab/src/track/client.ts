// The run client: what a training script calls to be tracked. Writes are buffered and flushed in batches
// (every `flushIntervalMs`, when the buffer grows, and on endRun / process exit), so logging a metric per step
// costs nothing noticeable. Inside a process launched by a sweep, `RunClient.fromEnv()` attaches to the run
// the launcher created (env TUNELAB_RUN_ID + TUNELAB_STORE); the launcher then owns the run's final status.
//
// Durability: a point leaves the buffer only once the store committed it. A failed write is retried with backoff;
// while the store stays unreachable past `spillAfterMs` (or the buffer passes `maxBufferedPoints`), one line says so
// and the buffer goes to the run's local journal (journal.ts), which is replayed, oldest first, as soon as the store
// answers again, or later by `tunelab runs sync`. Training is never stopped by the store, and a run is never ended
// `completed` while points are missing: if the store is still down at the end, the end waits in the journal too.
import { execFileSync } from 'node:child_process';
import { redactUrl } from './connect.js';
import { RunJournal, journalDir } from './journal.js';
import {
  RUN_HEARTBEAT_MS, StoreError, isStore, openStore, StoreInputError,
  type Artifact, type FinalRunStatus, type MetricPoint, type Params, type Store,
} from './store.js';

export interface StartRunOptions extends DurabilityOptions {
  experiment: string;
  name?: string;
  params?: Params;
  tags?: string[];
  /** A store URL (see resolveStoreTarget) or an open Store; default: $TUNELAB_STORE or ./tunelab-runs. */
  store?: string | Store;
  /** Recorded as the run's command (the store masks credentials in it); default: this process's argv. */
  command?: string;
}

/** How the client rides out an unreachable store. Every field has a default fit for training runs. */
export interface DurabilityOptions {
  flushIntervalMs?: number;
  /** Delay before the first retry of a failed write; doubled per failure up to `maxRetryDelayMs` (default 250). */
  retryDelayMs?: number;
  /** Longest delay between retries (default 10 s). */
  maxRetryDelayMs?: number;
  /** How long the store may fail before the buffer goes to the journal and one line says so (default 30 s). */
  spillAfterMs?: number;
  /** Most points held in memory while the store fails; beyond it they go to the journal (default 100,000). */
  maxBufferedPoints?: number;
  /** Journal folder (default `<store home>/journal`). */
  journalDir?: string;
  /** Where the client's one-line notices go (default stderr). */
  notify?: (line: string) => void;
}

export const ENV_RUN_ID = 'TUNELAB_RUN_ID';
export const ENV_STORE = 'TUNELAB_STORE';

/** A flush starts early once this many points wait. */
const FLUSH_AT_POINTS = 2000;
/** Points per store transaction: a long backlog commits (and leaves memory) in steps. */
const WRITE_CHUNK = 5000;

/** Starts a new run and returns its client; the caller ends it with `endRun`. */
export async function startRun(options: StartRunOptions): Promise<RunClient> {
  const ownsStore = !isStore(options.store);
  const store = isStore(options.store) ? options.store : await openStore(options.store);
  try {
    const run = await store.createRun({
      experiment: options.experiment, name: options.name, params: options.params, tags: options.tags,
      command: options.command ?? process.argv.join(' '), gitCommit: gitCommit(),
    });
    return new RunClient(store, run.id, { ...options, ownsRun: true, ownsStore });
  } catch (error) {
    if (ownsStore) await store.close();
    throw error;
  }
}

export class RunClient {
  /** Why someone asked this run to stop (dashboard, sweep policy), as of the last flush; null while it may go on. */
  stopRequested: string | null = null;
  /** Where the run's writes go while the store is unreachable. */
  readonly journal: RunJournal;
  private points: MetricPoint[] = [];
  private params: Params = {};
  private logs: string[] = [];
  private pendingFlush: Promise<void> = Promise.resolve();
  /** An error the store will keep giving (run deleted or finished, bad input): rethrown by the next flush. */
  private failure: unknown = undefined;
  private outageSince: number | null = null;
  private failures = 0;
  private retryAt = 0;
  private spilled = false;
  /** An attempt is writing (it may be replaying the journal): only it may touch the journal or the buffer's head. */
  private writing = false;
  private backgroundQueued = false;
  private lastWrite = Date.now();
  private ended = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onBeforeExit = () => { void this.endRun().catch(() => undefined); };
  private readonly settings: Required<Omit<DurabilityOptions, 'journalDir'>>;

  constructor(
    private readonly store: Store,
    /** The run's id. */
    readonly id: string,
    private readonly options: DurabilityOptions & { ownsRun: boolean; ownsStore: boolean },
  ) {
    this.settings = {
      flushIntervalMs: options.flushIntervalMs ?? 1000, retryDelayMs: options.retryDelayMs ?? 250,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 10_000, spillAfterMs: options.spillAfterMs ?? 30_000,
      maxBufferedPoints: options.maxBufferedPoints ?? 100_000,
      notify: options.notify ?? ((line) => process.stderr.write(`${line}\n`)),
    };
    this.journal = new RunJournal(options.journalDir ?? journalDir(store.home), id);
    this.timer = setInterval(() => { void this.flushInBackground(); }, this.settings.flushIntervalMs);
    this.timer.unref();
    process.once('beforeExit', this.onBeforeExit);
  }

  /**
   * Attaches to the run named by env TUNELAB_RUN_ID in the store TUNELAB_STORE (how a sweep trial or any
   * launched child reports through the client). endRun then only flushes: the launcher records the exit status.
   */
  static async fromEnv(env: NodeJS.ProcessEnv = process.env, options: DurabilityOptions = {}): Promise<RunClient> {
    const runId = env[ENV_RUN_ID];
    if (!runId) throw new StoreInputError(`${ENV_RUN_ID} is not set: RunClient.fromEnv needs a run id from the process that launched this one`);
    const store = await openStore(env[ENV_STORE]);
    try {
      const run = await store.getRun(runId);
      return new RunClient(store, run.id, { ...options, ownsRun: false, ownsStore: true });
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
    if (this.outageSince !== null && !this.writing && this.points.length >= this.settings.maxBufferedPoints) this.spill('the buffer is full');
    else if (this.points.length >= FLUSH_AT_POINTS) void this.flushInBackground();
  }

  /** Buffers a line (or block) of text into the run's log, stream 'log'. */
  log(text: string): void {
    this.checkOpen();
    this.logs.push(text.endsWith('\n') ? text : text + '\n');
  }

  /**
   * Copies a file or folder into the run's artifacts (after flushing what is buffered). While the store is
   * unreachable the copy is journaled instead (the files must still be there when it is replayed) and [] returned.
   */
  async logArtifact(path: string, name?: string): Promise<Artifact[]> {
    this.checkOpen();
    await this.flush();
    let artifacts: Artifact[] = [];
    let failure: unknown;
    // In the write chain, so no replay of the journal runs meanwhile.
    this.pendingFlush = this.pendingFlush.then(async () => {
      const startedAt = Date.now();
      if (this.outageSince === null && !this.journal.pending) {
        try {
          artifacts = await this.store.logArtifact(this.id, path, name);
          return;
        } catch (error) {
          if (isPermanent(error)) { failure = error; return; }
          this.failed(error, startedAt);
        }
      }
      this.journal.append([{ type: 'artifact', path, ...(name !== undefined ? { name } : {}) }]);
    });
    await this.pendingFlush;
    if (failure !== undefined) throw failure;
    return artifacts;
  }

  /**
   * Writes everything buffered (the journal first); rethrows an error the store will keep giving (the run was
   * deleted or finished). While the store is unreachable it returns with the writes still buffered or journaled.
   */
  async flush(): Promise<void> {
    this.pendingFlush = this.pendingFlush.then(() => this.writeBuffered(true));
    await this.pendingFlush;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  /**
   * Flushes and, for a run this client started, ends it (default 'completed'). Idempotent. A client from
   * `fromEnv` only flushes: the process that launched it records the status from the exit code. When the store is
   * unreachable, the rest and the end go to the journal (one line says where), and the run stays `running` in the
   * store until the journal is replayed.
   */
  async endRun(status: FinalRunStatus = 'completed', reason?: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    process.removeListener('beforeExit', this.onBeforeExit);
    try {
      await this.flush();
      const end = { type: 'end' as const, status, reason: reason ?? null };
      // Retried like any write until the outage has lasted spillAfterMs; only then does the end wait in the journal.
      for (;;) {
        if (this.outageSince === null && !this.journal.pending) {
          if (!this.options.ownsRun) return;
          const startedAt = Date.now();
          try {
            await this.store.setRunStatus(this.id, status, { reason: end.reason });
            return;
          } catch (error) {
            if (isPermanent(error)) throw error;
            this.failed(error, startedAt);
          }
        }
        if (this.outageSince !== null && Date.now() - this.outageSince >= this.settings.spillAfterMs) break;
        await sleep(Math.max(0, this.retryAt - Date.now()));
        await this.flush();
      }
      this.spill('the run ended', this.options.ownsRun ? [end] : []);
      this.settings.notify(`tracking: run ${this.id} is not complete in the store yet: ${this.journal.pendingPoints()} points wait in ` +
        `${this.journal.file}; \`tunelab runs sync --store ${redactUrl(this.store.url)}\` writes them once it is reachable`);
    } finally {
      if (this.options.ownsStore) await this.store.close();
    }
  }

  /** Queues one background attempt (at most one waits at a time: logging 10k points/s must not queue 10k). */
  private async flushInBackground(): Promise<void> {
    if (this.backgroundQueued) return;
    this.backgroundQueued = true;
    this.pendingFlush = this.pendingFlush.then(() => {
      this.backgroundQueued = false;
      return this.writeBuffered(false);
    });
    await this.pendingFlush;
  }

  /** One attempt: the journal, then params, points (committed chunk by chunk) and logs. Never throws. */
  private async writeBuffered(force: boolean): Promise<void> {
    if (!force && Date.now() < this.retryAt) return; // backing off
    const params = this.params;
    const logs = this.logs;
    this.params = {};
    this.logs = [];
    this.writing = true;
    const startedAt = Date.now();
    try {
      const replayed = await this.journal.replay(this.store);
      if (Object.keys(params).length > 0) await this.store.logParams(this.id, params);
      let wrote = replayed > 0 || Object.keys(params).length > 0 || logs.length > 0 || this.points.length > 0;
      while (this.points.length > 0) {
        const chunk = this.points.slice(0, WRITE_CHUNK);
        await this.store.appendMetrics(this.id, chunk);
        this.points.splice(0, chunk.length); // committed: only now does it leave the buffer
      }
      if (logs.length > 0) await this.store.appendLog(this.id, 'log', logs.join(''));
      if (!wrote && Date.now() - this.lastWrite >= RUN_HEARTBEAT_MS) wrote = await this.store.touchRun(this.id); // still alive
      this.stopRequested = (await this.store.getRun(this.id)).stopRequested;
      if (wrote) this.lastWrite = Date.now();
      this.recovered(replayed);
    } catch (error) {
      // What did not commit goes back in front of what was logged meanwhile.
      this.params = { ...params, ...this.params };
      this.logs = [...logs, ...this.logs];
      if (isPermanent(error)) {
        this.failure ??= error;
        this.points = [];
        this.params = {};
        this.logs = [];
      } else {
        this.failed(error, startedAt);
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * A transient failure of an attempt begun at `startedAt` (the outage counts from there: a SQLite writer may have
   * waited busy_timeout before failing): back off, and past the limits move the buffer to the journal.
   */
  private failed(error: unknown, startedAt: number): void {
    const now = Date.now();
    this.outageSince ??= startedAt;
    this.failures++;
    this.retryAt = now + Math.min(this.settings.maxRetryDelayMs, this.settings.retryDelayMs * 2 ** (this.failures - 1));
    const why = error instanceof Error ? error.message : String(error);
    if (now - this.outageSince >= this.settings.spillAfterMs) this.spill(why);
    else if (this.points.length >= this.settings.maxBufferedPoints) this.spill(`${why}; the buffer is full`);
  }

  /** Moves everything buffered to the journal; says so once per outage. */
  private spill(why: string, extra: { type: 'end'; status: FinalRunStatus; reason: string | null }[] = []): void {
    const records = [
      ...(Object.keys(this.params).length > 0 ? [{ type: 'params' as const, params: this.params }] : []),
      ...(this.points.length > 0 ? [{ type: 'points' as const, points: this.points }] : []),
      ...(this.logs.length > 0 ? [{ type: 'log' as const, text: this.logs.join('') }] : []),
      ...extra,
    ];
    this.journal.append(records);
    this.points = [];
    this.params = {};
    this.logs = [];
    if (this.spilled || this.outageSince === null) return;
    this.spilled = true;
    const seconds = ((Date.now() - this.outageSince) / 1000).toFixed(1);
    this.settings.notify(`tracking: store ${redactUrl(this.store.url)} unreachable for ${seconds} s (${oneLine(why)}); ` +
      `training goes on and run ${this.id}'s points go to ${this.journal.file} until it is back`);
  }

  private recovered(replayed: number): void {
    if (this.outageSince === null) return;
    if (this.spilled) this.settings.notify(`tracking: store reachable again; ${replayed} journaled points written to run ${this.id}`);
    this.outageSince = null;
    this.failures = 0;
    this.retryAt = 0;
    this.spilled = false;
  }

  private checkOpen(): void {
    if (this.ended) throw new StoreInputError(`run ${this.id}: the client already ended the run`);
  }
}

/** Errors the store will give again on a retry (unknown or finished run, bad input); anything else may pass. */
function isPermanent(error: unknown): boolean {
  return error instanceof StoreError;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function oneLine(text: string): string {
  return text.split('\n')[0];
}

/** The checked-out commit of the working directory's git repository, if any. */
function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() || null;
  } catch {
    return null;
  }
}
