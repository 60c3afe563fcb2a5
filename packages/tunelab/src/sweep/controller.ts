// The sweep controller. Every `pollMs` it: keeps its lease on the sweep, obeys a stop request or the sweep
// timeout, re-queues trials whose worker went silent, reads each trial's primary metric and lets the termination
// policy judge every new interval, records the best trial, samples new trials up to the limits and, with the local
// executor, launches queued trials as child processes. All state lives in the store, so a controller killed at
// any moment is replaced by `tunelab sweep resume`, which re-attaches to the trial processes still running.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError, type Store, type Sweep, type SweepExecutor, type Trial } from '../track/store.js';
import { processesPerTrial, sweepSpecOf, withSeed, type SweepSpec } from './spec.js';
import { createSampler } from './samplers/index.js';
import { createPolicy } from './policies/index.js';
import { bestOf, fmt } from './policies/compare.js';
import { LocalExecutor } from './executors/local.js';
import { GpuPool } from './gpus.js';
import { runClaimedTrial, superviseTrial, type RunnerContext, type TrialOutcome } from './runner.js';
import { TOTAL_STEPS_METRIC, type Executor, type Sampler, type SweepView, type TerminationPolicy, type TrialHandle, type TrialView } from './types.js';
import { InputError } from '../errors.js';

export class ControllerBusyError extends InputError {
  override name = 'ControllerBusyError';
}

export interface ControllerOptions {
  pollMs?: number;
  /** Trial heartbeat period (default 1 s; never more than a quarter of the spec's heartbeat_grace). */
  heartbeatMs?: number;
  /** SIGTERM → SIGKILL grace for terminated trials. */
  killGraceMs?: number;
  /** GPU ids for local trials (one per trial process; a sweep whose trials need more than all of them is refused). */
  gpus?: string[];
  log?: (line: string) => void;
  /** Aborting stops the controller only; trial processes keep running and `resume` picks them up. */
  signal?: AbortSignal;
  /** Where local-executor trials run (default: child processes of this machine, executors/local.ts). */
  executor?: Executor;
}

export interface SweepOutcome {
  sweep: Sweep;
  trials: Trial[];
  /** False when the controller was aborted before the sweep ended. */
  finished: boolean;
}

/** Records a new sweep (seed fixed now, so a resumed sweep draws the same values). */
export async function createSweep(store: Store, spec: SweepSpec, specDir: string, executor: SweepExecutor): Promise<Sweep> {
  const seeded = withSeed(spec, randomBytes(4).readUInt32BE() >>> 1);
  return store.createSweep({ name: spec.name, experiment: spec.experiment_name ?? spec.name, spec: seeded, specDir, executor });
}

/** Runs (or resumes) the sweep until it ends or `options.signal` aborts. */
export async function runSweep(store: Store, sweepId: string, options: ControllerOptions = {}): Promise<SweepOutcome> {
  const controller = new Controller(store, await store.getSweep(sweepId), options);
  return controller.run();
}

/** "<host>:<pid>:<nonce>": the identity of a controller or worker process, parseable to check it is alive. */
export function processIdentity(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Whether the process named by a processIdentity() string is known dead (same host, pid gone). */
export function isIdentityDead(identity: string): boolean {
  const [host, pid] = identity.split(':');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

interface SeriesCache {
  runId: string;
  count: number;
  values: number[];
  steps: number[];
  /** The trial's planned training steps (TOTAL_STEPS_METRIC), when it reported them. */
  totalSteps: number | null;
}

class Controller {
  private readonly id = processIdentity();
  private readonly spec: SweepSpec;
  private readonly sampler: Sampler;
  private readonly policy: TerminationPolicy | undefined;
  private readonly executor: Executor;
  private readonly gpus: GpuPool;
  /** Processes, hence GPUs, per trial. */
  private readonly perTrial: number;
  private readonly pollMs: number;
  private readonly runner: RunnerContext;
  private readonly log: (line: string) => void;
  private readonly local = new Map<string, Promise<TrialOutcome>>();
  private readonly series = new Map<string, SeriesCache>();
  private readonly lastStatus = new Map<string, string>();

  constructor(private readonly store: Store, private sweep: Sweep, private readonly options: ControllerOptions) {
    this.spec = sweepSpecOf(sweep);
    this.sampler = createSampler(this.spec);
    this.policy = createPolicy(this.spec.early_termination);
    this.pollMs = options.pollMs ?? 250;
    this.executor = options.executor ?? new LocalExecutor({ pollMs: Math.min(this.pollMs, 100), killGraceMs: options.killGraceMs });
    this.gpus = new GpuPool(options.gpus ?? []);
    this.perTrial = processesPerTrial(this.spec);
    this.log = options.log ?? (() => undefined);
    this.runner = { store, executor: this.executor, workerId: this.id, heartbeatMs: options.heartbeatMs ?? 1000, checkMs: Math.min(this.pollMs, 200), log: this.log };
  }

  async run(): Promise<SweepOutcome> {
    if (this.sweep.status !== 'running') return { sweep: this.sweep, trials: await this.store.listTrials(this.sweep.id), finished: true };
    // Refused before taking the lease: otherwise no trial could ever start and the sweep would wait forever.
    if (this.sweep.executor === 'local') this.gpus.checkFits(this.perTrial, `sweep ${this.sweep.id}`);
    await this.acquireLease();
    try {
      for (const trial of await this.store.listTrials(this.sweep.id)) this.lastStatus.set(trial.id, trial.status);
      if (this.sweep.executor === 'local') await this.reattachOrphans();
      for (;;) {
        if (this.options.signal?.aborted) return { sweep: this.sweep, trials: await this.store.listTrials(this.sweep.id), finished: false };
        if (await this.tick()) break;
        await sleep(this.pollMs, undefined, { signal: this.options.signal }).catch(() => undefined);
      }
      await Promise.all(this.local.values());
      const trials = await this.store.listTrials(this.sweep.id);
      return { sweep: await this.store.getSweep(this.sweep.id), trials, finished: true };
    } finally {
      await this.store.releaseSweepController(this.sweep.id, this.id);
    }
  }

  /** One control step; true once the sweep has ended. */
  private async tick(): Promise<boolean> {
    if (!(await this.store.controllerHeartbeat(this.sweep.id, this.id))) {
      throw new ControllerBusyError(`sweep ${this.sweep.id}: another controller took it over`);
    }
    this.sweep = await this.store.getSweep(this.sweep.id);
    if (this.sweep.status !== 'running') return true;
    const limits = this.spec.limits;
    await this.requeueStale();
    let trials = await this.store.listTrials(this.sweep.id);
    const view = await this.judgeTrials(trials);
    this.reportTransitions(trials);
    await this.recordBest(trials);

    const stopReason = this.sweep.stopRequested ?? this.timeoutReason();
    if (stopReason !== null) return this.wind(trials, stopReason);

    trials = await this.sampleTrials(trials, view);
    if (this.sweep.executor === 'local') await this.launchQueued();

    const open = trials.filter((t) => t.status === 'queued' || t.status === 'running').length;
    if (trials.length >= limits.max_total_trials && open === 0 && this.local.size === 0) {
      await this.finish(await this.store.listTrials(this.sweep.id));
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------------------------------- lease

  private async acquireLease(): Promise<void> {
    const holder = this.sweep.controllerId;
    const staleAfterMs = Math.max(10 * this.pollMs, this.spec.limits.heartbeat_grace * 1000);
    const stale = this.sweep.controllerHeartbeatAt === null || Date.now() - this.sweep.controllerHeartbeatAt > staleAfterMs;
    if (holder !== null && !isIdentityDead(holder) && !stale) {
      const ago = ((Date.now() - (this.sweep.controllerHeartbeatAt ?? 0)) / 1000).toFixed(1);
      throw new ControllerBusyError(`sweep ${this.sweep.id} is being run by controller ${holder} (heartbeat ${ago} s ago)`);
    }
    if (!(await this.store.acquireSweepController(this.sweep.id, this.id, holder))) {
      throw new ControllerBusyError(`sweep ${this.sweep.id}: another controller started at the same moment`);
    }
  }

  // --------------------------------------------------------------------------------- execution

  /**
   * After a restart: adopt the trial processes a dead local controller left running, finish those that ended
   * meanwhile, launch those it claimed but never started, and re-queue those whose process vanished.
   */
  private async reattachOrphans(): Promise<void> {
    const trials = await this.store.listTrials(this.sweep.id);
    for (const trial of trials) {
      if (trial.status !== 'running' || trial.workerId === null || trial.workerId === this.id) continue;
      if (!isIdentityDead(trial.workerId) || trial.runId === null) continue;
      const found = this.findOrphan(trial, trial.runId);
      if (found === 'never-started') {
        await this.relaunch(trial);
      } else if (found === 'lost') {
        const action = await this.store.requeueTrial(trial.id, trial.workerId, `controller ${trial.workerId} died and the trial process is gone`, { maxRetries: this.spec.limits.max_retries });
        if (action) this.log(`trial ${trial.number} ${action.action}: ${action.reason}`);
      } else if (await this.store.takeOverTrial(trial.id, trial.workerId, this.id)) {
        if (trial.gpu !== null) this.gpus.claim(trial.gpu);
        this.log(`trial ${trial.number} re-attached (pid ${found.pid}, run ${trial.runId})`);
        this.track(trial.id, trial.gpu, superviseTrial(this.runner, { ...trial, pid: found.pid, workerId: this.id }, found, this.spec));
      }
    }
  }

  /** The orphaned attempt's process as a handle (running, or exited with a recorded status), or why there is none. */
  private findOrphan(trial: Trial, runId: string): TrialHandle | 'never-started' | 'lost' {
    const runDir = this.store.runDir(runId);
    const offsets = { runId, runDir, stdoutOffset: trial.stdoutOffset, stderrOffset: trial.stderrOffset };
    if (trial.pid !== null) return this.executor.attach({ ...offsets, pid: trial.pid }) ?? 'lost';
    const unrecorded = this.executor.findUnrecorded(runId, runDir); // died between spawning and recording the pid
    if (unrecorded === 'never-started') return 'never-started';
    if (unrecorded === 'vanished') return 'lost';
    return this.executor.attach({ ...offsets, pid: unrecorded === 'exited' ? 0 : unrecorded.pid }) ?? 'lost';
  }

  /** A trial claimed by a controller that died before starting its process: start it now, same attempt and run. */
  private async relaunch(trial: Trial): Promise<void> {
    if (!(await this.store.takeOverTrial(trial.id, trial.workerId!, this.id))) return;
    const run = await this.store.getRun(trial.runId!);
    const gpu = this.takeGpus();
    this.log(`trial ${trial.number} was claimed but never started; starting it now`);
    this.track(trial.id, gpu, runClaimedTrial(this.runner, { trial: { ...trial, workerId: this.id }, run }, this.sweep, this.spec, gpu));
  }

  private async launchQueued(): Promise<void> {
    const limits = this.spec.limits;
    while (this.local.size < limits.max_concurrent_trials && (this.gpus.size === 0 || this.gpus.available >= this.perTrial)) {
      const claimed = await this.store.claimTrial({ workerId: this.id, sweepId: this.sweep.id });
      if (claimed === null) return;
      const gpu = this.takeGpus();
      this.track(claimed.trial.id, gpu, runClaimedTrial(this.runner, claimed, this.sweep, this.spec, gpu));
    }
  }

  /** A trial's GPUs ("0,1"); null without GPUs, or (after a restart) when too few are free. */
  private takeGpus(): string | null {
    return this.gpus.size === 0 ? null : this.gpus.take(this.perTrial);
  }

  private track(trialId: string, gpu: string | null, outcome: Promise<TrialOutcome>): void {
    const done = outcome.catch((error: unknown): TrialOutcome => {
      this.log(`trial ${trialId}: runner error: ${(error as Error).message}`);
      return { trialId, status: 'lost', reason: (error as Error).message };
    }).finally(() => {
      this.local.delete(trialId);
      this.gpus.release(gpu);
    });
    this.local.set(trialId, done);
  }

  private async requeueStale(): Promise<void> {
    const actions = await this.store.requeueStaleTrials(this.sweep.id, {
      graceMs: this.spec.limits.heartbeat_grace * 1000, maxRetries: this.spec.limits.max_retries,
    });
    for (const action of actions) this.log(`trial ${action.trialId} ${action.action}: ${action.reason}`);
  }

  // --------------------------------------------------------------------------------- sampling

  private async sampleTrials(trials: Trial[], view: SweepView): Promise<Trial[]> {
    const limits = this.spec.limits;
    let open = trials.filter((t) => t.status === 'queued' || t.status === 'running').length;
    let created = trials.length;
    const views = [...view.trials];
    while (created < limits.max_total_trials && open < limits.max_concurrent_trials) {
      const params = this.sampler.sample({ ...view, trials: views }, { number: created });
      const trial = await this.store.createTrial(this.sweep.id, created, params);
      views.push({ number: trial.number, params: trial.params, status: 'queued', values: [] });
      this.lastStatus.set(trial.id, 'queued');
      created += 1;
      open += 1;
    }
    return created === trials.length ? trials : this.store.listTrials(this.sweep.id);
  }

  // --------------------------------------------------------------------------------- judging

  /** Reads new primary-metric reports and lets the policy judge each new interval of each running trial. */
  private async judgeTrials(trials: Trial[]): Promise<SweepView> {
    await this.refreshSeries(trials);
    const view: SweepView = {
      space: this.spec.search_space,
      goal: this.spec.objective.goal,
      trials: trials.map((t): TrialView => ({ number: t.number, params: t.params, status: t.status, values: this.valuesOf(t) })),
    };
    for (const trial of trials) {
      const series = this.seriesOf(trial);
      let evaluated = trial.evaluatedCount;
      if (trial.status === 'running' && trial.stopRequested === null && this.policy) {
        const self = view.trials.find((t) => t.number === trial.number)!;
        while (evaluated < series.values.length) {
          evaluated += 1;
          // A report at the last training step comes from a trial that has finished training: nothing to save.
          if (series.totalSteps !== null && series.steps[evaluated - 1] >= series.totalSteps) continue;
          const decision = this.policy.evaluate(view, { ...self, values: series.values.slice(0, evaluated) });
          if (decision.stop) {
            this.log(`trial ${trial.number} stopping: ${decision.reason}`);
            await this.store.requestTrialStop(trial.id, decision.reason);
            break;
          }
        }
      }
      const best = this.bestPoint(series);
      if (series.values.length !== trial.reportCount || evaluated !== trial.evaluatedCount || best.value !== trial.bestValue) {
        await this.store.updateTrialProgress(trial.id, { reportCount: series.values.length, evaluatedCount: evaluated, bestValue: best.value, bestStep: best.step });
      }
    }
    return view;
  }

  private async refreshSeries(trials: Trial[]): Promise<void> {
    const metric = this.spec.objective.primary_metric;
    const runIds = trials.map((t) => t.runId).filter((id): id is string => id !== null);
    const summaries = await this.store.getMetricSummaries(runIds);
    const counts = new Map(summaries.filter((s) => s.name === metric).map((s) => [s.runId, s.count]));
    const totals = new Map(summaries.filter((s) => s.name === TOTAL_STEPS_METRIC).map((s) => [s.runId, s.lastValue]));
    for (const runId of runIds) {
      const count = counts.get(runId) ?? 0;
      const totalSteps = totals.get(runId) ?? null;
      const cached = this.series.get(runId);
      if (cached?.count === count) {
        cached.totalSteps = totalSteps;
        continue;
      }
      // A finished trial's run may have been deleted (dashboard): it then simply has no curve.
      const [series] = await this.store.getMetrics(runId, [metric]).catch((error: unknown) => {
        if (error instanceof NotFoundError) return [];
        throw error;
      });
      const points = series?.points ?? [];
      this.series.set(runId, { runId, count, values: points.map((p) => p.value), steps: points.map((p) => p.step), totalSteps });
    }
  }

  private seriesOf(trial: Trial): SeriesCache {
    return (trial.runId && this.series.get(trial.runId)) || { runId: '', count: 0, values: [], steps: [], totalSteps: null };
  }

  private valuesOf(trial: Trial): number[] {
    return this.seriesOf(trial).values;
  }

  private bestPoint(series: SeriesCache): { value: number | null; step: number | null } {
    const best = bestOf(series.values, this.spec.objective.goal);
    if (Number.isNaN(best)) return { value: null, step: null };
    return { value: best, step: series.steps[series.values.indexOf(best)] };
  }

  private async recordBest(trials: Trial[]): Promise<void> {
    const best = this.bestTrial(trials);
    if ((best?.id ?? null) !== this.sweep.bestTrialId) await this.store.setSweepBest(this.sweep.id, best?.id ?? null);
  }

  private bestTrial(trials: Trial[]): Trial | undefined {
    const goal = this.spec.objective.goal;
    let best: { trial: Trial; value: number } | undefined;
    for (const trial of trials) {
      const value = bestOf(this.valuesOf(trial), goal);
      if (Number.isNaN(value)) continue;
      if (!best || (goal === 'minimize' ? value < best.value : value > best.value)) best = { trial, value };
    }
    return best?.trial;
  }

  // ------------------------------------------------------------------------------ ending

  private timeoutReason(): string | null {
    const limit = this.spec.limits.timeout;
    const started = this.sweep.startedAt;
    if (limit === undefined || started === null) return null;
    const elapsed = (Date.now() - started) / 1000;
    return elapsed > limit ? `timeout: sweep ran ${elapsed.toFixed(1)} s (limit ${limit} s)` : null;
  }

  /** Stopping: cancel queued trials, ask running ones to stop, end the sweep once none runs. */
  private async wind(trials: Trial[], reason: string): Promise<boolean> {
    for (const trial of trials) {
      if (trial.status === 'queued' || (trial.status === 'running' && trial.stopRequested === null)) {
        await this.store.requestTrialStop(trial.id, `sweep stopped: ${reason}`);
      }
    }
    const running = (await this.store.listTrials(this.sweep.id)).filter((t) => t.status === 'running');
    if (running.length > 0 || this.local.size > 0) return false;
    await this.store.finishSweep(this.sweep.id, 'stopped', reason);
    this.log(`sweep ${this.sweep.id} stopped: ${reason}`);
    return true;
  }

  private async finish(trials: Trial[]): Promise<void> {
    await this.judgeTrials(trials);
    this.reportTransitions(trials);
    await this.recordBest(trials);
    const best = this.bestTrial(trials);
    const completed = trials.filter((t) => t.status === 'completed').length;
    if (completed === 0 && trials.every((t) => t.status === 'failed')) {
      await this.store.finishSweep(this.sweep.id, 'failed', `all ${trials.length} trials failed`);
      this.log(`sweep ${this.sweep.id} failed: all ${trials.length} trials failed`);
      return;
    }
    const metric = this.spec.objective.primary_metric;
    const series = best && this.seriesOf(best);
    const point = series && this.bestPoint(series);
    const reason = best && point
      ? `best trial ${best.number} (run ${best.runId}): ${metric} ${fmt(point.value!)} at step ${point.step}`
      : `no trial reported ${metric}`;
    await this.store.finishSweep(this.sweep.id, 'completed', reason);
    this.log(`sweep ${this.sweep.id} completed: ${reason}`);
  }

  private reportTransitions(trials: Trial[]): void {
    for (const trial of trials) {
      const before = this.lastStatus.get(trial.id);
      if (before === trial.status) continue;
      this.lastStatus.set(trial.id, trial.status);
      if (trial.status === 'completed' || trial.status === 'failed' || trial.status === 'terminated') {
        const point = this.bestPoint(this.seriesOf(trial));
        const best = point.value === null ? '' : ` (best ${this.spec.objective.primary_metric} ${fmt(point.value)} at step ${point.step})`;
        this.log(`trial ${trial.number} ${trial.status}${best}${trial.reason ? `: ${trial.reason}` : ''}`);
      }
    }
  }
}
