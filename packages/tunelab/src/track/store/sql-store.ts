// The Store (../store.ts: the interface and its contract) over one kysely `Db`, SQLite or PostgreSQL: each
// method is one line into the file of its concern; artifacts go through the file store (artifacts.ts).
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { redactUrl, type Dialect } from '../connect.js';
import { isConnectionLost } from './connection.js';
import type { Store } from '../store.js';
import type { SqlContext } from './context.js';
import type {
  ArtifactMode, CreateRunInput, CreateSweepInput, FinalRunStatus, FinalTrialStatus, LogStream, MetricPoint, Params,
  RunFilter, SweepExecutor, SweepStatus,
} from './types.js';
import * as experiments from './experiments.js';
import * as runs from './runs.js';
import * as metrics from './metrics.js';
import * as logs from './logs.js';
import * as artifacts from './artifacts.js';
import * as sweeps from './sweeps.js';
import * as trials from './trials.js';

type Details = { exitCode?: number | null; reason?: string | null };

export interface ReconnectOptions {
  /** How long a call keeps retrying while the database connection is lost (ms); 0: fail at once. */
  reconnectForMs?: number;
  /** Told once per outage, when it starts and when it ends (a long-lived process prints it). */
  log?: (line: string) => void;
}

const DEFAULT_RECONNECT_MS = 15_000;
const MAX_BACKOFF_MS = 5_000;

export class SqlStore implements Store {
  private readonly ctx: SqlContext;
  private readonly files: artifacts.ArtifactFiles;
  private outageSince: number | null = null;

  constructor(db: Kysely<Database>, readonly dialect: Dialect, readonly url: string, readonly home: string,
    private readonly reconnect: ReconnectOptions = {}) {
    this.ctx = { db, dialect };
    this.files = new artifacts.ArtifactFiles(home);
  }

  async close(): Promise<void> { await this.ctx.db.destroy(); }

  /**
   * Runs one store call (one transaction), again from the start while the connection is lost (server restart,
   * pg_terminate_backend, network): the pool drops the dead connection and the next try opens a new one. A
   * transaction cut off before its commit wrote nothing, so running it again loses and duplicates nothing.
   */
  private async retry<T>(call: () => Promise<T>): Promise<T> {
    const limit = this.reconnect.reconnectForMs ?? DEFAULT_RECONNECT_MS;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await call();
        if (this.outageSince !== null) {
          this.reconnect.log?.(`store ${redactUrl(this.url)}: reconnected after ${((Date.now() - this.outageSince) / 1000).toFixed(1)} s`);
          this.outageSince = null;
        }
        return result;
      } catch (error) {
        if (!isConnectionLost(error) || Date.now() - started >= limit) throw error;
        if (this.outageSince === null) {
          this.outageSince = Date.now();
          this.reconnect.log?.(`store ${redactUrl(this.url)}: connection lost (${(error as Error).message}); reconnecting`);
        }
        await sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt, Math.max(0, limit - (Date.now() - started))));
      }
    }
  }

  createExperiment(name: string) { return this.retry(() => experiments.createExperiment(this.ctx, name)); }
  getOrCreateExperiment(name: string) { return this.retry(() => experiments.getOrCreateExperiment(this.ctx, name)); }
  getExperiment(idOrName: string) { return this.retry(() => experiments.getExperiment(this.ctx, idOrName)); }
  listExperiments() { return this.retry(() => experiments.listExperiments(this.ctx)); }

  createRun(input: CreateRunInput) { return this.retry(() => runs.createRun(this.ctx, input)); }
  getRun(id: string) { return this.retry(() => runs.getRun(this.ctx, id)); }
  listRuns(filter?: RunFilter) { return this.retry(() => runs.listRuns(this.ctx, filter)); }
  logParams(runId: string, params: Params) { return this.retry(() => runs.logParams(this.ctx, runId, params)); }
  addTags(runId: string, tags: string[]) { return this.retry(() => runs.addTags(this.ctx, runId, tags)); }
  removeTags(runId: string, tags: string[]) { return this.retry(() => runs.removeTags(this.ctx, runId, tags)); }
  setRunStatus(runId: string, status: FinalRunStatus, details?: Details) { return this.retry(() => runs.setRunStatus(this.ctx, runId, status, details)); }
  requestRunStop(runId: string, reason: string) { return this.retry(() => runs.requestRunStop(this.ctx, runId, reason)); }
  touchRun(runId: string) { return this.retry(() => runs.touchRun(this.ctx, runId)); }
  resumeRun(runId: string) { return this.retry(() => runs.resumeRun(this.ctx, runId)); }
  async deleteRun(runId: string): Promise<void> {
    await this.retry(() => runs.deleteRunRows(this.ctx, runId));
    this.files.removeRun(runId);
  }

  appendMetrics(runId: string, points: MetricPoint[]) { return this.retry(() => metrics.appendMetrics(this.ctx, runId, points)); }
  getMetrics(runId: string, names?: string[], options?: { maxPoints?: number; afterStep?: number }) {
    return this.retry(() => metrics.getMetrics(this.ctx, runId, names, options));
  }
  getMetricsForRuns(runIds: string[], name: string, options?: { maxPoints?: number }) {
    return this.retry(() => metrics.getMetricsForRuns(this.ctx, runIds, name, options));
  }
  getMetricSummaries(runIds: string[]) { return this.retry(() => metrics.getMetricSummaries(this.ctx, runIds)); }
  tailMetrics(runId: string, options?: { afterSeq?: number; names?: string[]; limit?: number }) {
    return this.retry(() => metrics.tailMetrics(this.ctx, runId, options));
  }

  appendLog(runId: string, stream: LogStream, text: string) { return this.retry(() => logs.appendLog(this.ctx, runId, stream, text)); }
  readLog(runId: string, options?: { stream?: LogStream; afterSeq?: number; limit?: number; tail?: number }) {
    return this.retry(() => logs.readLog(this.ctx, runId, options));
  }

  runDir(runId: string) { return this.files.runDir(runId); }
  artifactsDir(runId: string) { return this.files.artifactsDir(runId); }
  logArtifact(runId: string, sourcePath: string, name?: string, options?: { mode?: ArtifactMode }) {
    return this.retry(() => artifacts.logArtifact(this.ctx, this.files, runId, sourcePath, name, options));
  }
  registerArtifacts(runId: string) { return this.retry(() => artifacts.registerArtifacts(this.ctx, this.files, runId)); }
  listArtifacts(runId: string) { return this.retry(() => artifacts.listArtifacts(this.ctx, this.files, runId)); }

  createSweep(input: CreateSweepInput) { return this.retry(() => sweeps.createSweep(this.ctx, input)); }
  getSweep(idOrName: string) { return this.retry(() => sweeps.getSweep(this.ctx, idOrName)); }
  listSweeps(filter?: { experiment?: string; status?: SweepStatus; limit?: number }) { return this.retry(() => sweeps.listSweeps(this.ctx, filter)); }
  requestSweepStop(sweepId: string, reason: string) { return this.retry(() => sweeps.requestSweepStop(this.ctx, sweepId, reason)); }
  finishSweep(sweepId: string, status: Exclude<SweepStatus, 'running'>, reason: string) { return this.retry(() => sweeps.finishSweep(this.ctx, sweepId, status, reason)); }
  setSweepBest(sweepId: string, trialId: string | null) { return this.retry(() => sweeps.setSweepBest(this.ctx, sweepId, trialId)); }
  acquireSweepController(sweepId: string, controllerId: string, expectedHolder: string | null) {
    return this.retry(() => sweeps.acquireSweepController(this.ctx, sweepId, controllerId, expectedHolder));
  }
  controllerHeartbeat(sweepId: string, controllerId: string) { return this.retry(() => sweeps.controllerHeartbeat(this.ctx, sweepId, controllerId)); }
  releaseSweepController(sweepId: string, controllerId: string) { return this.retry(() => sweeps.releaseSweepController(this.ctx, sweepId, controllerId)); }

  createTrial(sweepId: string, number: number, params: Params) { return this.retry(() => trials.createTrial(this.ctx, sweepId, number, params)); }
  getTrial(id: string) { return this.retry(() => trials.getTrial(this.ctx, id)); }
  listTrials(sweepId: string) { return this.retry(() => trials.listTrials(this.ctx, sweepId)); }
  claimTrial(options: { workerId: string; host?: string; sweepId?: string; executor?: SweepExecutor }) { return this.retry(() => trials.claimTrial(this.ctx, options)); }
  setTrialProcess(trialId: string, workerId: string, process: { pid: number; gpu: string | null; command: string }) {
    return this.retry(() => trials.setTrialProcess(this.ctx, trialId, workerId, process));
  }
  heartbeat(trialId: string, workerId: string) { return this.retry(() => trials.heartbeat(this.ctx, trialId, workerId)); }
  ingestTrialOutput(trialId: string, workerId: string, output: Parameters<Store['ingestTrialOutput']>[2]) {
    return this.retry(() => trials.ingestTrialOutput(this.ctx, trialId, workerId, output));
  }
  finishTrial(trialId: string, workerId: string | null, status: FinalTrialStatus, details?: Details) {
    return this.retry(() => trials.finishTrial(this.ctx, trialId, workerId, status, details));
  }
  requestTrialStop(trialId: string, reason: string) { return this.retry(() => trials.requestTrialStop(this.ctx, trialId, reason)); }
  updateTrialProgress(trialId: string, progress: Parameters<Store['updateTrialProgress']>[1]) { return this.retry(() => trials.updateTrialProgress(this.ctx, trialId, progress)); }
  takeOverTrial(trialId: string, fromWorkerId: string, toWorkerId: string) { return this.retry(() => trials.takeOverTrial(this.ctx, trialId, fromWorkerId, toWorkerId)); }
  requeueStaleTrials(sweepId: string, options: { graceMs: number; maxRetries: number; now?: number }) { return this.retry(() => trials.requeueStaleTrials(this.ctx, sweepId, options)); }
  requeueTrial(trialId: string, workerId: string, reason: string, options: { maxRetries: number }) {
    return this.retry(() => trials.requeueTrial(this.ctx, trialId, workerId, reason, options));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
