// A distributed worker: on any machine that reaches the store (PostgreSQL), it claims queued trials of sweeps run
// with the worker executor (`SELECT … FOR UPDATE SKIP LOCKED`), runs them as local processes and heartbeats. If it
// dies, the sweep's controller re-queues its trials after heartbeat_grace. On abort (SIGTERM/SIGINT) it stops its
// trials and hands them back to the queue at once. With GPUs, a trial of N processes (trial.distribution) holds N
// of them, so the worker claims a trial only from sweeps whose N GPUs are free at that moment.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClaimedTrial, Store, Sweep } from '../track/store.js';
import { processesPerTrial, sweepSpecOf, type SweepSpec } from './spec.js';
import { LocalExecutor } from './executors/local.js';
import { GpuPool } from './gpus.js';
import { processIdentity } from './controller.js';
import { runClaimedTrial, type RunnerContext, type TrialOutcome } from './runner.js';
import type { Executor } from './types.js';

export interface WorkerOptions {
  /** Only this sweep's trials; the worker exits once that sweep has ended. */
  sweepId?: string;
  /** Trials run at once (default: one per GPU, else 1). */
  slots?: number;
  /** GPU ids, one per trial process. With `sweepId`, a sweep needing more per trial than all of them is refused. */
  gpus?: string[];
  pollMs?: number;
  heartbeatMs?: number;
  killGraceMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Where trials run (default: child processes of this machine, executors/local.ts). */
  executor?: Executor;
}

export interface WorkerSummary {
  workerId: string;
  trials: TrialOutcome[];
}

export async function runWorker(store: Store, options: WorkerOptions = {}): Promise<WorkerSummary> {
  const workerId = processIdentity();
  const pollMs = options.pollMs ?? 1000;
  const log = options.log ?? (() => undefined);
  const gpus = new GpuPool(options.gpus ?? []);
  const slots = options.slots ?? Math.max(1, gpus.size);
  const executor = options.executor ?? new LocalExecutor({ pollMs: Math.min(pollMs, 100), killGraceMs: options.killGraceMs });
  const ctx: RunnerContext = { store, executor, workerId, heartbeatMs: options.heartbeatMs ?? 1000, checkMs: Math.min(pollMs, 200), log };
  const running = new Map<string, { promise: Promise<TrialOutcome>; maxRetries: number }>();
  const outcomes: TrialOutcome[] = [];
  const claimer = new Claimer(store, workerId, gpus, options.sweepId, log);
  if (options.sweepId !== undefined) await claimer.checkSweepFits(options.sweepId);
  log(`worker ${workerId} ready (${slots} slot${slots === 1 ? '' : 's'}${gpus.size > 0 ? `, GPUs ${gpus.ids.join(',')}` : ''})`);

  while (!options.signal?.aborted) {
    while (running.size < slots && (gpus.size === 0 || gpus.available > 0)) {
      const next = await claimer.next();
      if (next === null) break;
      const { claimed, sweep, spec, gpu } = next;
      log(`claimed trial ${claimed.trial.number} of sweep ${sweep.name} (${sweep.id}), attempt ${claimed.trial.attempt}`);
      const promise = runClaimedTrial(ctx, claimed, sweep, spec, gpu).then((outcome) => {
        outcomes.push(outcome);
        log(`trial ${claimed.trial.number} ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''}`);
        return outcome;
      }).finally(() => {
        running.delete(claimed.trial.id);
        gpus.release(gpu);
      });
      running.set(claimed.trial.id, { promise, maxRetries: spec.limits.max_retries });
    }
    if (options.sweepId !== undefined && running.size === 0 && (await store.getSweep(options.sweepId)).status !== 'running') break;
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
  }

  if (options.signal?.aborted) await handBack(store, workerId, running, log);
  await Promise.all([...running.values()].map((r) => r.promise));
  return { workerId, trials: outcomes };
}

interface Claim {
  claimed: ClaimedTrial;
  sweep: Sweep;
  spec: SweepSpec;
  /** The trial's CUDA_VISIBLE_DEVICES ("0" or "0,1"), already taken from the pool; null without GPUs. */
  gpu: string | null;
}

/** Claims the trials this worker can start now, and takes their GPUs. */
class Claimer {
  private readonly specs = new Map<string, SweepSpec>();
  /** Sweeps already logged as needing more GPUs per trial than this worker has. */
  private readonly tooBig = new Set<string>();

  constructor(private readonly store: Store, private readonly workerId: string, private readonly gpus: GpuPool,
    private readonly sweepId: string | undefined, private readonly log: (line: string) => void) {}

  /** `--sweep` with a sweep whose trials need more GPUs than this worker has: refuse now rather than idle forever. */
  async checkSweepFits(sweepId: string): Promise<void> {
    this.gpus.checkFits(processesPerTrial(this.specOf(await this.store.getSweep(sweepId))), `sweep ${sweepId}`);
  }

  /**
   * The next trial to start, or null. Without GPUs any queued trial will do. With GPUs, trials are claimed sweep by
   * sweep, only from sweeps whose processes per trial fit the GPUs free now: a claimed trial left waiting for GPUs
   * would send no heartbeat and be taken for lost.
   */
  async next(): Promise<Claim | null> {
    if (this.gpus.size === 0) {
      const claimed = await this.store.claimTrial({ workerId: this.workerId, sweepId: this.sweepId, executor: 'worker' });
      if (claimed === null) return null;
      const sweep = await this.store.getSweep(claimed.trial.sweepId);
      return { claimed, sweep, spec: this.specOf(sweep), gpu: null };
    }
    for (const sweep of await this.candidates()) {
      const spec = this.specOf(sweep);
      if (processesPerTrial(spec) > this.gpus.available) continue;
      const claimed = await this.store.claimTrial({ workerId: this.workerId, sweepId: sweep.id, executor: 'worker' });
      if (claimed !== null) return { claimed, sweep, spec, gpu: this.gpus.take(processesPerTrial(spec)) };
    }
    return null;
  }

  /** The running worker-executor sweeps (or just `--sweep`) whose trials fit this worker's GPUs, oldest first. */
  private async candidates(): Promise<Sweep[]> {
    const sweeps = this.sweepId !== undefined
      ? [await this.store.getSweep(this.sweepId)]
      : (await this.store.listSweeps({ status: 'running' })).filter((s) => s.executor === 'worker').reverse();
    return sweeps.filter((sweep) => this.fits(sweep));
  }

  private fits(sweep: Sweep): boolean {
    const perTrial = processesPerTrial(this.specOf(sweep));
    if (perTrial <= this.gpus.size) return true;
    if (!this.tooBig.has(sweep.id)) {
      this.tooBig.add(sweep.id);
      this.log(`sweep ${sweep.name} (${sweep.id}) needs ${perTrial} GPUs per trial and this worker has ${this.gpus.size}: leaving its trials to other workers`);
    }
    return false;
  }

  private specOf(sweep: Sweep): SweepSpec {
    let spec = this.specs.get(sweep.id);
    if (!spec) {
      spec = sweepSpecOf(sweep);
      this.specs.set(sweep.id, spec);
    }
    return spec;
  }
}

/** Shutting down: re-queue our trials first (so the runners see the lease gone and kill their processes). */
async function handBack(store: Store, workerId: string, running: Map<string, { maxRetries: number }>, log: (line: string) => void): Promise<void> {
  for (const [trialId, { maxRetries }] of running) {
    const action = await store.requeueTrial(trialId, workerId, `worker ${workerId} shut down`, { maxRetries });
    if (action) log(`trial ${trialId} ${action.action}: ${action.reason}`);
  }
}
