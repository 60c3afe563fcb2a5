// Sweeps and the controller lease: one controller at a time drives a sweep (compare-and-set on controller_id).
import { sql, type Selectable } from 'kysely';
import type { SweepsTable } from '../schema.js';
import { NotFoundError } from '../errors.js';
import { checkName, newId, type SqlContext } from './context.js';
import { findExperiment, getOrCreateExperiment } from './experiments.js';
import type { CreateSweepInput, Sweep, SweepExecutor, SweepStatus } from './types.js';

export async function createSweep(ctx: SqlContext, input: CreateSweepInput): Promise<Sweep> {
  checkName('sweep name', input.name);
  const experiment = await getOrCreateExperiment(ctx, input.experiment);
  const id = newId();
  await ctx.db.insertInto('sweeps').values({
    id, name: input.name, experiment_id: experiment.id, spec: JSON.stringify(input.spec), spec_dir: input.specDir,
    executor: input.executor, status: 'running', created_at: Date.now(), started_at: Date.now(), ended_at: null,
    reason: null, stop_requested: null, controller_id: null, controller_heartbeat_at: null, best_trial_id: null,
  }).execute();
  return getSweep(ctx, id);
}

export async function getSweep(ctx: SqlContext, idOrName: string): Promise<Sweep> {
  const row = await ctx.db.selectFrom('sweeps').selectAll()
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy(sql`case when id = ${idOrName} then 0 else 1 end`).orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!row) throw new NotFoundError('sweep', idOrName);
  return toSweep(row);
}

export async function listSweeps(ctx: SqlContext, filter: { experiment?: string; status?: SweepStatus; limit?: number } = {}): Promise<Sweep[]> {
  let query = ctx.db.selectFrom('sweeps').selectAll();
  if (filter.experiment !== undefined) {
    const experiment = await findExperiment(ctx, filter.experiment);
    if (!experiment) return [];
    query = query.where('experiment_id', '=', experiment.id);
  }
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  query = query.orderBy('created_at', 'desc');
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  return (await query.execute()).map(toSweep);
}

export async function requestSweepStop(ctx: SqlContext, sweepId: string, reason: string): Promise<void> {
  await getSweep(ctx, sweepId);
  await ctx.db.updateTable('sweeps').set({ stop_requested: reason })
    .where('id', '=', sweepId).where('stop_requested', 'is', null).execute();
}

export async function finishSweep(ctx: SqlContext, sweepId: string, status: Exclude<SweepStatus, 'running'>, reason: string): Promise<void> {
  await getSweep(ctx, sweepId);
  await ctx.db.updateTable('sweeps').set({ status, reason, ended_at: Date.now(), controller_id: null })
    .where('id', '=', sweepId).where('status', '=', 'running').execute();
}

export async function setSweepBest(ctx: SqlContext, sweepId: string, trialId: string | null): Promise<void> {
  await ctx.db.updateTable('sweeps').set({ best_trial_id: trialId }).where('id', '=', sweepId).execute();
}

// ------------------------------------------------------------------------------------ controller lease

export async function acquireSweepController(ctx: SqlContext, sweepId: string, controllerId: string, expectedHolder: string | null): Promise<boolean> {
  const result = await ctx.db.updateTable('sweeps')
    .set({ controller_id: controllerId, controller_heartbeat_at: Date.now() })
    .where('id', '=', sweepId)
    .where('controller_id', expectedHolder === null ? 'is' : '=', expectedHolder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function controllerHeartbeat(ctx: SqlContext, sweepId: string, controllerId: string): Promise<boolean> {
  const result = await ctx.db.updateTable('sweeps').set({ controller_heartbeat_at: Date.now() })
    .where('id', '=', sweepId).where('controller_id', '=', controllerId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseSweepController(ctx: SqlContext, sweepId: string, controllerId: string): Promise<void> {
  await ctx.db.updateTable('sweeps').set({ controller_id: null })
    .where('id', '=', sweepId).where('controller_id', '=', controllerId).execute();
}

function toSweep(row: Selectable<SweepsTable>): Sweep {
  return {
    id: row.id, name: row.name, experimentId: row.experiment_id, spec: JSON.parse(row.spec) as unknown,
    specDir: row.spec_dir, executor: row.executor as SweepExecutor, status: row.status as SweepStatus,
    createdAt: row.created_at, startedAt: row.started_at, endedAt: row.ended_at, reason: row.reason,
    stopRequested: row.stop_requested, controllerId: row.controller_id, controllerHeartbeatAt: row.controller_heartbeat_at,
    bestTrialId: row.best_trial_id,
  };
}
