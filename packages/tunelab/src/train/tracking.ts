// Where a training run reports its params, metric curves and output folder: the tracking store (a run of its own,
// or — inside a sweep trial — the run the sweep created), or, when a trial cannot reach the store, `@tunelab` lines
// on stdout that the sweep's executor parses. The trainer itself knows nothing of this.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ENV_RUN_ID, RunClient, startRun } from '../track/client.js';
import { redactUrl, resolveStoreTarget } from '../track/connect.js';
import { formatProtocolLine } from '../track/protocol.js';
import { NotFoundError, openStore, type Params, type Store } from '../track/store.js';
import { writeJsonAtomic } from './output.js';
import type { LogEntry } from './checkpoint.js';

export interface Tracker {
  /** The tracked run's id; null when reporting by @tunelab lines or not at all. */
  readonly runId: string | null;
  /** Where it went, for the final summary ("run 01H… in ./tunelab-runs/tunelab.db"). */
  readonly description: string | null;
  logParams(params: Params): void;
  log(entry: LogEntry): void;
  /** Console output of the run, kept as its log (own runs; a sweep trial's output is captured by its executor). */
  logText(text: string): void;
  /** Copies the final output folder (model, tokenizer, metrics, predictions; not checkpoints) into the run. */
  logOutput(outputDir: string): Promise<void>;
  /** Why someone asked the run to stop (dashboard, sweep policy), as of the last flush; null to go on. */
  stopRequested(): string | null;
  finish(status: 'completed' | 'failed' | 'terminated', reason?: string): Promise<void>;
}

export interface TrackingOptions {
  enabled: boolean;
  store?: string;
  experiment: string;
  runName?: string;
  tags?: string[];
  /** The output folder: it keeps the tracked run's id (RUN_FILE), so that `--resume` continues the same run. */
  outputDir?: string;
  /** Training resumes from a checkpoint: continue the run recorded in outputDir, if the store still has it. */
  resume?: boolean;
}

/** `<output dir>/tracking.json`: `{ "run_id": … }` of the run that tracks what trains into this folder. */
export const RUN_FILE = 'tracking.json';

export async function openTracker(options: TrackingOptions, env: NodeJS.ProcessEnv = process.env): Promise<Tracker> {
  if (!options.enabled) return new SilentTracker();
  if (env[ENV_RUN_ID]) {
    try {
      return new StoreTracker(await RunClient.fromEnv(env), `sweep trial run ${env[ENV_RUN_ID]}`, false);
    } catch (err) {
      process.stderr.write(`tracking store unreachable (${(err as Error).message}); reporting by @tunelab lines\n`);
      return new ProtocolTracker();
    }
  }
  const where = redactUrl(resolveStoreTarget(options.store, env).url); // printed: no password
  const store = await openStore(options.store);
  try {
    const resumed = options.resume && options.outputDir ? await resumeRecordedRun(store, options.outputDir) : null;
    const client = resumed?.client ?? await startRun({
      experiment: options.experiment, name: options.runName, tags: options.tags, store,
    });
    if (options.outputDir) {
      mkdirSync(options.outputDir, { recursive: true });
      writeJsonAtomic(join(options.outputDir, RUN_FILE), { run_id: client.id });
    }
    const what = resumed ? `run ${client.id} (resumed after step ${Math.max(-1, ...resumed.lastSteps.values())})` : `run ${client.id}`;
    return new StoreTracker(client, `${what} (experiment ${options.experiment}) in ${where}`, true, { store, lastSteps: resumed?.lastSteps });
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Reopens the run recorded in the output folder (W&B's resume: one run however often training restarts) and
 * returns, per metric, the last step it stored: points at or before it were reported by the earlier process, so
 * the resumed one (which replays the steps after its checkpoint) skips them. Null when there is none to continue.
 */
async function resumeRecordedRun(store: Store, outputDir: string): Promise<{ client: RunClient; lastSteps: Map<string, number> } | null> {
  const runId = recordedRunId(outputDir);
  if (runId === null) return null;
  try {
    await store.resumeRun(runId);
  } catch (error) {
    if (error instanceof NotFoundError) return null; // deleted meanwhile: a new run
    throw error;
  }
  const lastSteps = new Map((await store.getMetricSummaries([runId])).map((s) => [s.name, s.lastStep]));
  return { client: new RunClient(store, runId, { ownsRun: true, ownsStore: false }), lastSteps };
}

function recordedRunId(outputDir: string): string | null {
  try {
    const { run_id: runId } = JSON.parse(readFileSync(join(outputDir, RUN_FILE), 'utf8')) as { run_id?: unknown };
    return typeof runId === 'string' ? runId : null;
  } catch {
    return null; // no file (a run trained without tracking, or before tracking.json existed)
  }
}

class StoreTracker implements Tracker {
  readonly runId: string;

  /**
   * `own.store`: the store this tracker opened for its own run (closed by finish; the client's flushes keep the
   * run's heartbeat). `own.lastSteps`: per metric, the last step already stored (a resumed run).
   */
  constructor(private readonly client: RunClient, readonly description: string, private readonly keepsOutput: boolean,
    private readonly own: { store: Store; lastSteps?: Map<string, number> } | null = null) {
    this.runId = client.id;
  }

  logText(text: string): void {
    if (this.keepsOutput) this.client.log(text);
  }

  logParams(params: Params): void {
    this.client.logParams(params);
  }

  log(entry: LogEntry): void {
    const metrics: Record<string, number> = { ...entry.metrics, epoch: entry.epoch };
    const stored = this.own?.lastSteps;
    if (stored) for (const name of Object.keys(metrics)) if (entry.step <= (stored.get(name) ?? -1)) delete metrics[name];
    if (Object.keys(metrics).length > 0) this.client.logMetrics(entry.step, metrics);
  }

  async logOutput(outputDir: string): Promise<void> {
    // A sweep trial's output folder already is the run's artifacts folder: its files are there.
    const trialDir = process.env.TUNELAB_OUTPUT_DIR;
    if (trialDir && !relative(resolve(trialDir), resolve(outputDir)).startsWith('..')) return;
    for (const name of readdirSync(outputDir)) {
      if (/^checkpoint-\d+/.test(name) || name === 'best-model' || name === RUN_FILE) continue;
      await this.client.logArtifact(join(outputDir, name), `output/${name}`);
    }
  }

  stopRequested(): string | null {
    return this.client.stopRequested;
  }

  async finish(status: 'completed' | 'failed' | 'terminated', reason?: string): Promise<void> {
    try {
      await this.client.endRun(status, reason);
    } finally {
      await this.own?.store.close();
    }
  }
}

/** Inside a sweep trial without a reachable store: the executor reads `@tunelab {...}` lines from stdout. */
class ProtocolTracker implements Tracker {
  readonly runId = null;
  readonly description = null;
  logParams(): void {}
  logText(): void {}

  log(entry: LogEntry): void {
    process.stdout.write(`${formatProtocolLine(entry.step, { ...entry.metrics, epoch: entry.epoch })}\n`);
  }

  async logOutput(): Promise<void> {}
  stopRequested(): null { return null; }
  async finish(): Promise<void> {}
}

class SilentTracker implements Tracker {
  readonly runId = null;
  readonly description = null;
  logParams(): void {}
  log(): void {}
  logText(): void {}
  async logOutput(): Promise<void> {}
  stopRequested(): null { return null; }
  async finish(): Promise<void> {}
}
