// Runs one claimed trial attempt to its end on behalf of a worker (the local controller or `tunelab worker`):
// launches the command, ingests its output, keeps the lease alive, obeys stop requests and the trial timeout,
// then records the outcome. The only writer of a trial's results; it decides nothing about other trials.
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClaimedTrial, FinalTrialStatus, Store, Sweep, Trial } from '../track/store.js';
import { processesPerTrial, type SweepSpec } from './spec.js';
import { STDERR_FILE, type Executor, type TrialHandle } from './types.js';
import { trialCommand, trialEnv } from './command.js';

export interface RunnerContext {
  store: Store;
  executor: Executor;
  workerId: string;
  /** Heartbeat period (capped to a quarter of the sweep's heartbeat grace). */
  heartbeatMs: number;
  /** How often a stop request or the trial timeout is checked. */
  checkMs: number;
  log: (line: string) => void;
}

export interface TrialOutcome {
  trialId: string;
  /** 'lost': the lease went to someone else; nothing was recorded by this runner. */
  status: FinalTrialStatus | 'lost';
  reason: string | null;
}

/** The command a trial runs, placeholders still in: the spec's own, or `tunelab train` (the trainer loads only then). */
async function commandTemplate(spec: SweepSpec): Promise<string> {
  if (spec.trial.command !== undefined) return spec.trial.command;
  const { trainCommandTemplate } = await import('./train-trial.js');
  return trainCommandTemplate(spec.trial.train!, Object.keys(spec.search_space), processesPerTrial(spec));
}

/** Launches a freshly claimed trial and supervises it to the end; `gpu` is its CUDA_VISIBLE_DEVICES ("0" or "0,1"). */
export async function runClaimedTrial(ctx: RunnerContext, claimed: ClaimedTrial, sweep: Sweep, spec: SweepSpec, gpu: string | null): Promise<TrialOutcome> {
  const { trial, run } = claimed;
  const outputDir = ctx.store.artifactsDir(run.id);
  mkdirSync(outputDir, { recursive: true });
  const context = {
    params: trial.params, outputDir, trialId: trial.id, trialNumber: trial.number, runId: run.id,
    sweepId: sweep.id, sweepName: sweep.name, processCount: processesPerTrial(spec), storeUrl: ctx.store.url, storeHome: ctx.store.home,
  };
  const command = trialCommand(await commandTemplate(spec), context);
  const env = trialEnv(context, spec.trial.env);
  if (gpu !== null) env.CUDA_VISIBLE_DEVICES = gpu;
  let handle: TrialHandle;
  try {
    handle = ctx.executor.launch({ runId: run.id, runDir: ctx.store.runDir(run.id), cwd: sweep.specDir }, command, env);
  } catch (error) {
    const reason = `could not start: ${(error as Error).message}`;
    await ctx.store.finishTrial(trial.id, ctx.workerId, 'failed', { reason });
    return { trialId: trial.id, status: 'failed', reason };
  }
  if (!(await ctx.store.setTrialProcess(trial.id, ctx.workerId, { pid: handle.pid, gpu, command }))) {
    await handle.terminate('lease lost');
    return { trialId: trial.id, status: 'lost', reason: null };
  }
  ctx.log(`trial ${trial.number} started (run ${run.id}${gpu === null ? '' : `, GPU${gpu.includes(',') ? 's' : ''} ${gpu}`}): ${command}`);
  return superviseTrial(ctx, { ...trial, runId: run.id, pid: handle.pid, gpu }, handle, spec);
}

/** Supervises a running attempt (just launched, or re-attached after a controller restart) until it ends. */
export async function superviseTrial(ctx: RunnerContext, trial: Trial, handle: TrialHandle, spec: SweepSpec): Promise<TrialOutcome> {
  const runId = trial.runId!;
  const heartbeatMs = Math.min(ctx.heartbeatMs, (spec.limits.heartbeat_grace * 1000) / 4);
  let lost = false;
  let stopReason: string | null = null;
  const stop = (reason: string) => {
    stopReason ??= reason;
    void handle.terminate(reason);
  };

  const ingesting = (async () => {
    for await (const batch of handle.reports) {
      const owned = await ctx.store.ingestTrialOutput(trial.id, ctx.workerId, batch);
      if (!owned && !lost) {
        lost = true;
        void handle.terminate('lease lost');
      }
    }
  })();

  let exited = false;
  const exit = handle.wait().then((info) => { exited = true; return info; });
  let lastBeat = 0;
  while (!exited && !lost) {
    if (Date.now() - lastBeat >= heartbeatMs) {
      lastBeat = Date.now();
      if (!(await ctx.store.heartbeat(trial.id, ctx.workerId))) {
        lost = true;
        void handle.terminate('lease lost');
        break;
      }
    }
    const current = await ctx.store.getTrial(trial.id);
    if (current.stopRequested !== null) stop(current.stopRequested);
    const limit = spec.limits.trial_timeout;
    if (limit !== undefined && current.startedAt !== null && Date.now() - current.startedAt > limit * 1000) {
      stop(`trial_timeout: ran ${((Date.now() - current.startedAt) / 1000).toFixed(1)} s (limit ${limit} s)`);
    }
    await Promise.race([sleep(Math.min(ctx.checkMs, heartbeatMs)), exit]);
  }
  const info = await exit;
  await ingesting;
  if (lost) return { trialId: trial.id, status: 'lost', reason: null };

  let status: FinalTrialStatus;
  let reason: string | null;
  if (stopReason !== null) {
    status = 'terminated';
    reason = stopReason;
  } else if (info.exitCode === 0) {
    status = 'completed';
    reason = null;
  } else {
    status = 'failed';
    const how = info.exitCode !== null ? `exit code ${info.exitCode}` : `killed by ${info.signal}`;
    const lastError = lastLine(join(ctx.store.runDir(runId), STDERR_FILE));
    reason = lastError ? `${how}: ${lastError}` : how;
  }
  await ctx.store.registerArtifacts(runId); // files the command wrote into ${{trial.output_dir}}
  await ctx.store.finishTrial(trial.id, ctx.workerId, status, { exitCode: info.exitCode, reason });
  return { trialId: trial.id, status, reason };
}

/** The last non-empty line of a text file (at most 300 characters), or null. */
function lastLine(file: string): string | null {
  let fd: number | undefined;
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 4096);
    const buffer = Buffer.alloc(length);
    fd = openSync(file, 'r');
    readSync(fd, buffer, 0, length, size - length);
    const line = buffer.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).pop();
    return line === undefined ? null : line.slice(0, 300);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
