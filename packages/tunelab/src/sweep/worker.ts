// A distributed worker: on any machine that reaches the store (PostgreSQL), it claims queued trials of sweeps run
// with the worker executor (`SELECT … FOR UPDATE SKIP LOCKED`), runs them as local processes and heartbeats. If it
// dies, the sweep's controller re-queues its trials after heartbeat_grace. On abort (SIGTERM/SIGINT) it stops its
// trials and hands them back to the queue at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store, Sweep } from '../track/store.js';
import { sweepSpecOf, type SweepSpec } from './spec.js';
import { LocalExecutor } from './executors/local.js';
import { GpuPool } from './gpus.js';
import { processIdentity } from './controller.js';
import { runClaimedTrial, type RunnerContext, type TrialOutcome } from './runner.js';

export interface WorkerOptions {
  /** Only this sweep's trials; the worker exits once that sweep has ended. */
  sweepId?: string;
  /** Trials run at once (default: one per GPU, else 1). */
  slots?: number;
  gpus?: string[];
  pollMs?: number;
  heartbeatMs?: number;
  killGraceMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
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
  const executor = new LocalExecutor({ pollMs: Math.min(pollMs, 100), killGraceMs: options.killGraceMs });
  const ctx: RunnerContext = { store, executor, workerId, heartbeatMs: options.heartbeatMs ?? 1000, checkMs: Math.min(pollMs, 200), log };
  const running = new Map<string, { promise: Promise<TrialOutcome>; maxRetries: number }>();
  const outcomes: TrialOutcome[] = [];
  const specs = new Map<string, SweepSpec>();
  log(`worker ${workerId} ready (${slots} slot${slots === 1 ? '' : 's'}${gpus.size > 0 ? `, GPUs ${gpus.ids.join(',')}` : ''})`);

  while (!options.signal?.aborted) {
    while (running.size < slots && (gpus.size === 0 || gpus.available > 0)) {
      const claimed = await store.claimTrial({ workerId, sweepId: options.sweepId, executor: 'worker' });
      if (claimed === null) break;
      const sweep = await store.getSweep(claimed.trial.sweepId);
      const spec = specOf(specs, sweep);
      const gpu = gpus.size === 0 ? null : gpus.take();
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

function specOf(cache: Map<string, SweepSpec>, sweep: Sweep): SweepSpec {
  let spec = cache.get(sweep.id);
  if (!spec) {
    spec = sweepSpecOf(sweep);
    cache.set(sweep.id, spec);
  }
  return spec;
}

/** Shutting down: re-queue our trials first (so the runners see the lease gone and kill their processes). */
async function handBack(store: Store, workerId: string, running: Map<string, { maxRetries: number }>, log: (line: string) => void): Promise<void> {
  for (const [trialId, { maxRetries }] of running) {
    const action = await store.requeueTrial(trialId, workerId, `worker ${workerId} shut down`, { maxRetries });
    if (action) log(`trial ${trialId} ${action.action}: ${action.reason}`);
  }
}
