// What every part of the SQL store shares: the one kysely `Db`, the dialect, ids, input checks and the run lock.
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RunsTable } from '../schema.js';
import { redactCredentials, type Dialect } from '../connect.js';
import { NotFoundError, RunFinishedError, StoreInputError } from '../errors.js';
import { LOG_STREAMS, type LogStream, type MetricPoint, type Params } from './types.js';

/** The database, or a transaction on it: every helper that writes takes either. */
export type Db = Kysely<Database> | Transaction<Database>;

export interface SqlContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
}

/** Rows per insert and ids per `in (…)` list: far below SQLite's and PostgreSQL's bound-parameter limits. */
export const INSERT_BATCH = 1000;

/** 12 random base-36 characters: short enough to type, ~62 bits. */
export function newId(): string {
  const bytes = randomBytes(12);
  let id = '';
  for (const byte of bytes) id += (byte % 36).toString(36);
  return id;
}

/**
 * Locks the run row (PostgreSQL; SQLite transactions already hold the write lock) and checks it is running.
 * Every write to a run goes through here, so writes to one run are serialised (metric seq = commit order).
 */
export async function lockRunningRun(ctx: SqlContext, trx: Db, runId: string): Promise<Selectable<RunsTable>> {
  let query = trx.selectFrom('runs').selectAll().where('id', '=', runId);
  if (ctx.dialect === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new NotFoundError('run', runId);
  if (row.status !== 'running') throw new RunFinishedError(runId, row.status);
  return row;
}

export function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 256) {
    throw new StoreInputError(`${what} must be a non-empty string of at most 256 characters, got ${JSON.stringify(name)}`);
  }
}

export function checkParams(params: Params): Params {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new StoreInputError(`params must be an object of scalars, got ${JSON.stringify(params)}`);
  }
  for (const [key, value] of Object.entries(params)) {
    checkName('param name', key);
    const ok = value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw new StoreInputError(`param ${key}: expected a string, finite number, boolean or null, got ${String(value)}`);
  }
  return redactParams(params);
}

/** The store keeps and serves no credential: a `store: postgres://user:pass@…` param becomes `postgres://user:***@…`. */
export function redactParams(params: Params): Params {
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [key, typeof value === 'string' ? redactCredentials(value) : value]));
}

export function checkPoints(points: MetricPoint[]): Required<MetricPoint>[] {
  const now = Date.now();
  return points.map((p) => {
    checkName('metric name', p.name);
    if (!Number.isSafeInteger(p.step) || p.step < 0) throw new StoreInputError(`metric ${p.name}: step must be an integer ≥ 0, got ${p.step}`);
    if (typeof p.value !== 'number') throw new StoreInputError(`metric ${p.name} at step ${p.step}: value must be a number, got ${JSON.stringify(p.value)}`);
    return { name: p.name, step: p.step, value: p.value, wallTime: p.wallTime ?? now };
  });
}

export function checkStream(stream: string): asserts stream is LogStream {
  if (!(LOG_STREAMS as readonly string[]).includes(stream)) {
    throw new StoreInputError(`log stream must be one of ${LOG_STREAMS.join(', ')}, got ${JSON.stringify(stream)}`);
  }
}

/** Integer options of reads (`afterSeq`, `limit`, …): integers at or above `min`. */
export function checkCount(what: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new StoreInputError(`${what} must be an integer ≥ ${min}, got ${value}`);
  }
}
