// Trials of a sweep and the worker lease: a running trial belongs to exactly one worker, kept alive by heartbeat;
// every write for a trial names the worker and is ignored (false) once the lease is lost.
import { hostname } from 'node:os';
import type { Selectable } from 'kysely';
import type { TrialsTable } from '../schema.js';
import { NotFoundError } from '../errors.js';
import { redactCredentials } from '../connect.js';
import { checkParams, checkPoints, newId, type Db, type SqlContext } from './context.js';
import { finishRunRow, getRun, runRow, writeParams } from './runs.js';
import { writeMetrics } from './metrics.js';
import { writeLogs } from './logs.js';
import { getSweep } from './sweeps.js';
import type {
  ClaimedTrial, FinalTrialStatus, LogStream, MetricPoint, Params, RequeueAction, SweepExecutor, Trial, TrialStatus,
} from './types.js';

/** Adds trial `number` (queued) with its sampled params. Numbers are unique per sweep. */
export async function createTrial(ctx: SqlContext, sweepId: string, number: number, params: Params): Promise<Trial> {
  await getSweep(ctx, sweepId);
  const id = newId();
  await ctx.db.insertInto('trials').values({
    id, sweep_id: sweepId, number, params: JSON.stringify(checkParams(params)), status: 'queued', attempt: 1,
    run_id: null, worker_id: null, host: null, pid: null, gpu: null, queued_at: Date.now(), started_at: null,
    ended_at: null, heartbeat_at: null, exit_code: null, reason: null, stop_requested: null, best_value: null,
    best_step: null, report_count: 0, evaluated_count: 0, stdout_offset: 0, stderr_offset: 0,
  }).execute();
  return getTrial(ctx, id);
}

export async function getTrial(ctx: SqlContext, id: string): Promise<Trial> {
  const row = await ctx.db.selectFrom('trials').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('trial', id);
  return toTrial(row);
}

/** The sweep's trials in number order. */
export async function listTrials(ctx: SqlContext, sweepId: string): Promise<Trial[]> {
  const rows = await ctx.db.selectFrom('trials').selectAll().where('sweep_id', '=', sweepId).orderBy('number').execute();
  return rows.map(toTrial);
}

/**
 * Atomically takes the oldest queued trial of a running, not-stopping sweep (restricted to `sweepId`
 * and/or sweeps of `executor` kind), marks it running for `workerId` and creates the attempt's run.
 * On PostgreSQL the pick is `SELECT … FOR UPDATE SKIP LOCKED`, so any number of workers claim in parallel
 * without blocking or double-claiming. Null when nothing is queued.
 */
export async function claimTrial(ctx: SqlContext, options: { workerId: string; host?: string; sweepId?: string; executor?: SweepExecutor }): Promise<ClaimedTrial | null> {
  const host = options.host ?? hostname();
  const claimed = await ctx.db.transaction().execute(async (trx) => {
    let pick = trx.selectFrom('trials').innerJoin('sweeps', 'sweeps.id', 'trials.sweep_id')
      .select(['trials.id as id'])
      .where('trials.status', '=', 'queued').where('sweeps.status', '=', 'running').where('sweeps.stop_requested', 'is', null);
    if (options.sweepId !== undefined) pick = pick.where('trials.sweep_id', '=', options.sweepId);
    if (options.executor !== undefined) pick = pick.where('sweeps.executor', '=', options.executor);
    pick = pick.orderBy('trials.queued_at').orderBy('trials.number').limit(1);
    if (ctx.dialect === 'postgres') pick = pick.forUpdate(['trials']).skipLocked();
    const candidate = await pick.executeTakeFirst();
    if (!candidate) return null;
    const trial = await trx.selectFrom('trials').selectAll().where('id', '=', candidate.id).executeTakeFirstOrThrow();
    const sweep = await trx.selectFrom('sweeps').selectAll().where('id', '=', trial.sweep_id).executeTakeFirstOrThrow();
    const runId = newId();
    const now = Date.now();
    const suffix = trial.attempt > 1 ? ` (attempt ${trial.attempt})` : '';
    await trx.insertInto('runs').values(runRow(runId, sweep.experiment_id, {
      name: `${sweep.name}/${trial.number}${suffix}`, host, sweepId: sweep.id, trialId: trial.id,
    }, JSON.parse(trial.params) as Params)).execute();
    await trx.updateTable('trials').set({
      status: 'running', worker_id: options.workerId, host, run_id: runId, started_at: now, heartbeat_at: now,
      pid: null, gpu: null, stdout_offset: 0, stderr_offset: 0,
    }).where('id', '=', trial.id).where('status', '=', 'queued').execute();
    return { trialId: trial.id, runId };
  });
  if (!claimed) return null;
  return { trial: await getTrial(ctx, claimed.trialId), run: await getRun(ctx, claimed.runId) };
}

/** Records the attempt's process (pid = process group), GPU and final command line. False if the lease is lost. */
export async function setTrialProcess(ctx: SqlContext, trialId: string, workerId: string, process: { pid: number; gpu: string | null; command: string }): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const trial = await ownedTrial(ctx, trx, trialId, workerId);
    if (!trial) return false;
    await trx.updateTable('trials').set({ pid: process.pid, gpu: process.gpu }).where('id', '=', trialId).execute();
    await trx.updateTable('runs').set({ command: redactCredentials(process.command) }).where('id', '=', trial.run_id!).execute();
    return true;
  });
}

/** Keeps the worker's lease alive, and the attempt's run seen: a worker watching its process vouches for it. */
export async function heartbeat(ctx: SqlContext, trialId: string, workerId: string): Promise<boolean> {
  const now = Date.now();
  const result = await ctx.db.updateTable('trials').set({ heartbeat_at: now })
    .where('id', '=', trialId).where('worker_id', '=', workerId).where('status', '=', 'running').executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await ctx.db.updateTable('runs').set({ last_seen: now }).where('status', '=', 'running')
    .where('id', '=', (eb) => eb.selectFrom('trials').select('run_id').where('id', '=', trialId)).execute();
  return true;
}

/**
 * Records newly read output of a running trial in one transaction: log chunks and metric reports go to the
 * attempt's run, and the byte offsets advance with them, so output is ingested exactly once across crashes.
 * False (nothing written) when `workerId` no longer holds the trial.
 */
export async function ingestTrialOutput(ctx: SqlContext, trialId: string, workerId: string, output: {
  stdoutOffset: number; stderrOffset: number; logs: { stream: LogStream; text: string }[]; points: MetricPoint[]; params?: Params;
}): Promise<boolean> {
  const points = checkPoints(output.points);
  const params = output.params && checkParams(output.params);
  return ctx.db.transaction().execute(async (trx) => {
    const trial = await ownedTrial(ctx, trx, trialId, workerId);
    if (!trial) return false;
    const runId = trial.run_id!;
    const run = await trx.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow();
    if (run.status === 'running') {
      await writeLogs(trx, runId, output.logs);
      if (points.length > 0) await writeMetrics(trx, runId, points);
      if (params && Object.keys(params).length > 0) await writeParams(ctx, trx, runId, params);
    }
    await trx.updateTable('trials').set({ stdout_offset: output.stdoutOffset, stderr_offset: output.stderrOffset })
      .where('id', '=', trialId).execute();
    return true;
  });
}

/**
 * Ends a trial and its attempt's run (same status; reason and exit code on both). With `workerId`, only
 * while that worker holds it (false otherwise); with null (the controller), any queued or running trial.
 * False when it had already ended.
 */
export async function finishTrial(ctx: SqlContext, trialId: string, workerId: string | null, status: FinalTrialStatus,
  details: { exitCode?: number | null; reason?: string | null } = {}): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const trial = workerId === null ? await lockTrial(ctx, trx, trialId) : await ownedTrial(ctx, trx, trialId, workerId);
    if (!trial || (trial.status !== 'queued' && trial.status !== 'running')) return false;
    const exitCode = details.exitCode ?? null;
    const reason = details.reason ?? null;
    await trx.updateTable('trials').set({ status, exit_code: exitCode, reason, ended_at: Date.now() })
      .where('id', '=', trialId).execute();
    if (trial.run_id) await finishRunRow(trx, trial.run_id, status, exitCode, reason);
    return true;
  });
}

/** Asks a trial to stop with a reason (policy, timeout, user). A queued trial ends at once as terminated. */
export async function requestTrialStop(ctx: SqlContext, trialId: string, reason: string): Promise<void> {
  const trial = await getTrial(ctx, trialId);
  if (trial.status === 'queued') {
    await finishTrial(ctx, trialId, null, 'terminated', { reason });
    return;
  }
  if (trial.status !== 'running') return;
  await ctx.db.updateTable('trials').set({ stop_requested: reason })
    .where('id', '=', trialId).where('stop_requested', 'is', null).execute();
  if (trial.runId) {
    await ctx.db.updateTable('runs').set({ stop_requested: reason })
      .where('id', '=', trial.runId).where('status', '=', 'running').where('stop_requested', 'is', null).execute();
  }
}

/** The controller's view of a trial's primary metric: report count, intervals judged, best value and step. */
export async function updateTrialProgress(ctx: SqlContext, trialId: string, progress: { reportCount: number; evaluatedCount: number; bestValue: number | null; bestStep: number | null }): Promise<void> {
  await ctx.db.updateTable('trials').set({
    report_count: progress.reportCount, evaluated_count: progress.evaluatedCount,
    best_value: progress.bestValue, best_step: progress.bestStep,
  }).where('id', '=', trialId).execute();
}

/** Moves a running trial's lease from a dead holder to `toWorkerId` (controller restart re-attaching its processes). */
export async function takeOverTrial(ctx: SqlContext, trialId: string, fromWorkerId: string, toWorkerId: string): Promise<boolean> {
  const result = await ctx.db.updateTable('trials').set({ worker_id: toWorkerId, heartbeat_at: Date.now() })
    .where('id', '=', trialId).where('worker_id', '=', fromWorkerId).where('status', '=', 'running').executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Trials of the sweep whose worker sent no heartbeat for `graceMs`: the attempt's run fails ("worker lost"),
 * and the trial goes back to the queue (attempt + 1) while attempts ≤ maxRetries, else it fails.
 */
export async function requeueStaleTrials(ctx: SqlContext, sweepId: string, options: { graceMs: number; maxRetries: number; now?: number }): Promise<RequeueAction[]> {
  const now = options.now ?? Date.now();
  const stale = await ctx.db.selectFrom('trials').selectAll().where('sweep_id', '=', sweepId)
    .where('status', '=', 'running').where('heartbeat_at', '<', now - options.graceMs).execute();
  const actions: RequeueAction[] = [];
  for (const row of stale) {
    const silentFor = ((now - (row.heartbeat_at ?? now)) / 1000).toFixed(1);
    const reason = `worker ${row.worker_id} lost: no heartbeat for ${silentFor} s (grace ${options.graceMs / 1000} s)`;
    const action = await requeueRow(ctx, row, reason, options.maxRetries, now, true);
    if (action) actions.push(action);
  }
  return actions;
}

/**
 * Gives up `workerId`'s running attempt of a trial (its process is gone, or the worker shuts down): the
 * attempt's run fails with `reason` and the trial is re-queued, or fails once attempts exceed maxRetries.
 * Null when the worker no longer held the trial.
 */
export async function requeueTrial(ctx: SqlContext, trialId: string, workerId: string, reason: string, options: { maxRetries: number }): Promise<RequeueAction | null> {
  const row = await ctx.db.selectFrom('trials').selectAll().where('id', '=', trialId).executeTakeFirst();
  if (!row) throw new NotFoundError('trial', trialId);
  if (row.status !== 'running' || row.worker_id !== workerId) return null;
  return requeueRow(ctx, row, reason, options.maxRetries, Date.now(), false);
}

/**
 * Compare-and-set on (status, worker[, heartbeat]): a trial that moved on meanwhile is left alone; with
 * `unchangedHeartbeat`, so is one whose worker turned out to be alive after all.
 */
async function requeueRow(ctx: SqlContext, row: Selectable<TrialsTable>, reason: string, maxRetries: number, now: number, unchangedHeartbeat: boolean): Promise<RequeueAction | null> {
  const retry = row.attempt <= maxRetries;
  const done = await ctx.db.transaction().execute(async (trx) => {
    const result = await trx.updateTable('trials').set(retry
      ? { status: 'queued', attempt: row.attempt + 1, worker_id: null, host: null, pid: null, gpu: null, run_id: null, started_at: null, heartbeat_at: null, stop_requested: null, stdout_offset: 0, stderr_offset: 0 }
      : { status: 'failed', reason: `${reason}; retries exhausted (${maxRetries})`, ended_at: now })
      .where('id', '=', row.id).where('status', '=', 'running').where('worker_id', '=', row.worker_id)
      .$if(unchangedHeartbeat, (q) => q.where('heartbeat_at', row.heartbeat_at === null ? 'is' : '=', row.heartbeat_at))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    if (row.run_id) await finishRunRow(trx, row.run_id, 'failed', null, reason);
    return true;
  });
  return done ? { trialId: row.id, action: retry ? 'requeued' : 'failed', reason } : null;
}

async function lockTrial(ctx: SqlContext, trx: Db, trialId: string): Promise<Selectable<TrialsTable> | undefined> {
  let query = trx.selectFrom('trials').selectAll().where('id', '=', trialId);
  if (ctx.dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new NotFoundError('trial', trialId);
  return row;
}

async function ownedTrial(ctx: SqlContext, trx: Db, trialId: string, workerId: string): Promise<Selectable<TrialsTable> | undefined> {
  const row = await lockTrial(ctx, trx, trialId);
  return row && row.status === 'running' && row.worker_id === workerId ? row : undefined;
}

function toTrial(row: Selectable<TrialsTable>): Trial {
  return {
    id: row.id, sweepId: row.sweep_id, number: row.number, params: JSON.parse(row.params) as Params,
    status: row.status as TrialStatus, attempt: row.attempt, runId: row.run_id, workerId: row.worker_id,
    host: row.host, pid: row.pid, gpu: row.gpu, queuedAt: row.queued_at, startedAt: row.started_at,
    endedAt: row.ended_at, heartbeatAt: row.heartbeat_at, exitCode: row.exit_code, reason: row.reason,
    stopRequested: row.stop_requested, bestValue: row.best_value, bestStep: row.best_step,
    reportCount: row.report_count, evaluatedCount: row.evaluated_count,
    stdoutOffset: row.stdout_offset, stderrOffset: row.stderr_offset,
  };
}
