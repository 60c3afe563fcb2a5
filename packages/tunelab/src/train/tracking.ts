// Where a training run reports its params, metric curves and output folder: the tracking store (a run of its own,
// or — inside a sweep trial — the run the sweep created), or, when a trial cannot reach the store, `@tunelab` lines
// on stdout that the sweep's executor parses. The trainer itself knows nothing of this.
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ENV_RUN_ID, RunClient, startRun } from '../track/client.js';
import { resolveStoreTarget } from '../track/connect.js';
import { formatProtocolLine } from '../track/protocol.js';
import type { Params } from '../track/store.js';
import type { LogEntry } from './checkpoint.js';

export interface Tracker {
  /** The tracked run's id; null when reporting by @tunelab lines or not at all. */
  readonly runId: string | null;
  /** Where it went, for the final summary ("run 01H… in ./tunelab-runs/tunelab.db"). */
  readonly description: string | null;
  logParams(params: Params): void;
  log(entry: LogEntry): void;
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
}

export async function openTracker(options: TrackingOptions, env: NodeJS.ProcessEnv = process.env): Promise<Tracker> {
  if (!options.enabled) return new SilentTracker();
  if (env[ENV_RUN_ID]) {
    try {
      return new StoreTracker(await RunClient.fromEnv(env), `sweep trial run ${env[ENV_RUN_ID]}`);
    } catch (err) {
      process.stderr.write(`tracking store unreachable (${(err as Error).message}); reporting by @tunelab lines\n`);
      return new ProtocolTracker();
    }
  }
  const client = await startRun({
    experiment: options.experiment, name: options.runName, tags: options.tags, store: options.store,
  });
  const where = resolveStoreTarget(options.store, env).url;
  return new StoreTracker(client, `run ${client.id} (experiment ${options.experiment}) in ${where}`);
}

class StoreTracker implements Tracker {
  readonly runId: string;
  constructor(private readonly client: RunClient, readonly description: string) {
    this.runId = client.id;
  }

  logParams(params: Params): void {
    this.client.logParams(params);
  }

  log(entry: LogEntry): void {
    this.client.logMetrics(entry.step, { ...entry.metrics, epoch: entry.epoch });
  }

  async logOutput(outputDir: string): Promise<void> {
    // A sweep trial's output folder already is the run's artifacts folder: its files are there.
    const trialDir = process.env.TUNELAB_OUTPUT_DIR;
    if (trialDir && !relative(resolve(trialDir), resolve(outputDir)).startsWith('..')) return;
    for (const name of readdirSync(outputDir)) {
      if (/^checkpoint-\d+/.test(name) || name === 'best-model') continue;
      await this.client.logArtifact(join(outputDir, name), `output/${name}`);
    }
  }

  stopRequested(): string | null {
    return this.client.stopRequested;
  }

  async finish(status: 'completed' | 'failed' | 'terminated', reason?: string): Promise<void> {
    await this.client.endRun(status, reason);
  }
}

/** Inside a sweep trial without a reachable store: the executor reads `@tunelab {...}` lines from stdout. */
class ProtocolTracker implements Tracker {
  readonly runId = null;
  readonly description = null;
  logParams(): void {}

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
  async logOutput(): Promise<void> {}
  stopRequested(): null { return null; }
  async finish(): Promise<void> {}
}
