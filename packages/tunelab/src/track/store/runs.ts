// Runs: creation, reads and filters, params, tags, the final status, stop requests, heartbeat, resume, deletion.
import { hostname } from 'node:os';
import { sql, type Selectable } from 'kysely';
import type { RunsTable } from '../schema.js';
import { NotFoundError, StoreInputError } from '../errors.js';
import { INSERT_BATCH, checkName, checkParams, lockRunningRun, newId, redactParams, type Db, type SqlContext } from './context.js';
import { findExperiment, getOrCreateExperiment } from './experiments.js';
import { chunks } from '../series.js';
import { redactCredentials } from '../connect.js';
import {
  displayStatus, type CreateRunInput, type FinalRunStatus, type Params, type Run, type RunFilter,
} from './types.js';

const RUN_TABLES = ['metrics', 'metric_summaries', 'metric_buckets', 'run_logs', 'artifacts', 'run_tags'] as const;

export async function createRun(ctx: SqlContext, input: CreateRunInput): Promise<Run> {
  if (input.name !== undefined) checkName('run name', input.name);
  const experiment = await getOrCreateExperiment(ctx, input.experiment);
  const id = newId();
  const params = checkParams(input.params ?? {});
  const tags = [...new Set(input.tags ?? [])];
  tags.forEach((t) => checkName('tag', t));
  await ctx.db.transaction().execute(async (trx) => {
    await trx.insertInto('runs').values(runRow(id, experiment.id, input, params)).execute();
    if (tags.length > 0) await trx.insertInto('run_tags').values(tags.map((tag) => ({ run_id: id, tag }))).execute();
  });
  return getRun(ctx, id);
}

/** A new run row: running, started and seen now. */
export function runRow(id: string, experimentId: string, input: Omit<CreateRunInput, 'experiment'>, params: Params): RunsTable {
  const now = Date.now();
  return {
    id,
    experiment_id: experimentId,
    name: input.name ?? id,
    status: 'running',
    params: JSON.stringify(params),
    command: input.command == null ? null : redactCredentials(input.command), // the store keeps no credential
    host: input.host === undefined ? hostname() : input.host,
    git_commit: input.gitCommit ?? null,
    started_at: now,
    ended_at: null,
    exit_code: null,
    reason: null,
    sweep_id: input.sweepId ?? null,
    trial_id: input.trialId ?? null,
    stop_requested: null,
    log_seq: 0,
    metric_seq: 0,
    last_seen: now,
  };
}

export async function getRun(ctx: SqlContext, id: string): Promise<Run> {
  const row = await ctx.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('run', id);
  const tags = await ctx.db.selectFrom('run_tags').select('tag').where('run_id', '=', id).orderBy('tag').execute();
  return toRun(row, tags.map((t) => t.tag));
}

export async function listRuns(ctx: SqlContext, filter: RunFilter = {}): Promise<Run[]> {
  let query = ctx.db.selectFrom('runs').selectAll();
  if (filter.experiment !== undefined) {
    const experiment = await findExperiment(ctx, filter.experiment);
    if (!experiment) return [];
    query = query.where('experiment_id', '=', experiment.id);
  }
  if (filter.sweepId !== undefined) query = query.where('sweep_id', '=', filter.sweepId);
  if (filter.trialId !== undefined) query = query.where('trial_id', '=', filter.trialId);
  if (filter.status !== undefined) {
    const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
    if (statuses.length === 0) return [];
    query = query.where('status', 'in', statuses);
  }
  if (filter.tag !== undefined) {
    const tag = filter.tag;
    query = query.where('id', 'in', (eb) => eb.selectFrom('run_tags').select('run_id').where('tag', '=', tag));
  }
  if (filter.nameContains !== undefined) {
    // lower() on both sides: LIKE is case-insensitive on SQLite but not on PostgreSQL.
    const escaped = filter.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c);
    query = query.where(sql<boolean>`lower(name) like ${'%' + escaped + '%'} escape '\\'`);
  }
  const direction = filter.order === 'oldest' ? 'asc' : 'desc';
  query = query.orderBy('started_at', direction).orderBy('id', direction);
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  if (filter.offset !== undefined) query = query.offset(filter.offset).$if(filter.limit === undefined, (q) => q.limit(1e9));
  const rows = await query.execute();
  const tags = await tagsOf(ctx, rows.map((r) => r.id));
  return rows.map((row) => toRun(row, tags.get(row.id) ?? []));
}

async function tagsOf(ctx: SqlContext, runIds: string[]): Promise<Map<string, string[]>> {
  const byRun = new Map<string, string[]>();
  for (const chunk of chunks(runIds, INSERT_BATCH)) {
    const rows = await ctx.db.selectFrom('run_tags').select(['run_id', 'tag']).where('run_id', 'in', chunk).orderBy('tag').execute();
    for (const row of rows) byRun.set(row.run_id, [...(byRun.get(row.run_id) ?? []), row.tag]);
  }
  return byRun;
}

export async function logParams(ctx: SqlContext, runId: string, params: Params): Promise<void> {
  const checked = checkParams(params);
  await ctx.db.transaction().execute(async (trx) => {
    await writeParams(ctx, trx, runId, checked);
  });
}

export async function writeParams(ctx: SqlContext, trx: Db, runId: string, params: Params): Promise<void> {
  const row = await lockRunningRun(ctx, trx, runId);
  const merged = { ...(JSON.parse(row.params) as Params), ...params };
  await trx.updateTable('runs').set({ params: JSON.stringify(merged), last_seen: Date.now() }).where('id', '=', runId).execute();
}

export async function addTags(ctx: SqlContext, runId: string, tags: string[]): Promise<void> {
  tags.forEach((t) => checkName('tag', t));
  await getRun(ctx, runId);
  for (const tag of new Set(tags)) {
    await ctx.db.insertInto('run_tags').values({ run_id: runId, tag })
      .onConflict((oc) => oc.columns(['run_id', 'tag']).doNothing()).execute();
  }
}

export async function removeTags(ctx: SqlContext, runId: string, tags: string[]): Promise<void> {
  await getRun(ctx, runId);
  if (tags.length === 0) return;
  await ctx.db.deleteFrom('run_tags').where('run_id', '=', runId).where('tag', 'in', tags).execute();
}

export async function setRunStatus(ctx: SqlContext, runId: string, status: FinalRunStatus,
  details: { exitCode?: number | null; reason?: string | null } = {}): Promise<Run> {
  if (!['completed', 'failed', 'terminated'].includes(status)) {
    throw new StoreInputError(`run status must be completed, failed or terminated, got ${JSON.stringify(status)}`);
  }
  await ctx.db.transaction().execute(async (trx) => {
    await lockRunningRun(ctx, trx, runId);
    await finishRunRow(trx, runId, status, details.exitCode ?? null, details.reason ?? null);
  });
  return getRun(ctx, runId);
}

export async function finishRunRow(trx: Db, runId: string, status: FinalRunStatus, exitCode: number | null, reason: string | null) {
  await trx.updateTable('runs').set({ status, exit_code: exitCode, reason, ended_at: Date.now() })
    .where('id', '=', runId).where('status', '=', 'running').execute();
}

/** Stop of a lost run: nobody is left to obey, so the run ends here (failed, saying why). */
export async function requestRunStop(ctx: SqlContext, runId: string, reason: string): Promise<boolean> {
  const run = await getRun(ctx, runId);
  if (run.status !== 'running') return false;
  if (displayStatus(run) === 'lost') {
    const silentFor = Math.round((Date.now() - run.lastSeenAt) / 1000);
    await finishRunRow(ctx.db, runId, 'failed', null, `lost: its process was not seen for ${silentFor} s; stopped (${reason})`);
    return true;
  }
  await ctx.db.updateTable('runs').set({ stop_requested: reason })
    .where('id', '=', runId).where('stop_requested', 'is', null).execute();
  if (run.trialId) {
    await ctx.db.updateTable('trials').set({ stop_requested: reason })
      .where('id', '=', run.trialId).where('run_id', '=', runId).where('stop_requested', 'is', null).execute();
  }
  return true;
}

export async function touchRun(ctx: SqlContext, runId: string): Promise<boolean> {
  const result = await ctx.db.updateTable('runs').set({ last_seen: Date.now() })
    .where('id', '=', runId).where('status', '=', 'running').executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return true;
  await getRun(ctx, runId); // NotFoundError for an unknown id
  return false;
}

export async function resumeRun(ctx: SqlContext, runId: string): Promise<Run> {
  const run = await getRun(ctx, runId);
  if (run.trialId !== null) throw new StoreInputError(`run ${runId} is an attempt of sweep trial ${run.trialId}: its worker re-runs it, it cannot be resumed`);
  await ctx.db.updateTable('runs')
    .set({ status: 'running', ended_at: null, exit_code: null, reason: null, stop_requested: null, last_seen: Date.now() })
    .where('id', '=', runId).execute();
  return getRun(ctx, runId);
}

/** Deletes the run's rows (the caller removes its folder). Running runs refuse, unless lost. */
export async function deleteRunRows(ctx: SqlContext, runId: string): Promise<void> {
  const run = await getRun(ctx, runId);
  if (run.status === 'running' && displayStatus(run) !== 'lost') {
    throw new StoreInputError(`run ${runId} is running: stop it before deleting it`);
  }
  await ctx.db.transaction().execute(async (trx) => {
    for (const table of RUN_TABLES) await trx.deleteFrom(table).where('run_id', '=', runId).execute();
    await trx.deleteFrom('runs').where('id', '=', runId).execute();
  });
}

function toRun(row: Selectable<RunsTable>, tags: string[]): Run {
  return {
    id: row.id, experimentId: row.experiment_id, name: row.name, status: row.status as Run['status'],
    // Redacted on read too: rows written before the store masked credentials must not serve them.
    params: redactParams(JSON.parse(row.params) as Params), tags, command: row.command && redactCredentials(row.command), host: row.host, gitCommit: row.git_commit,
    startedAt: row.started_at, endedAt: row.ended_at, exitCode: row.exit_code, reason: row.reason,
    sweepId: row.sweep_id, trialId: row.trial_id, stopRequested: row.stop_requested,
    lastSeenAt: row.last_seen ?? row.started_at,
  };
}
