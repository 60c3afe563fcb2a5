// Captured output of a run: chunks of text numbered per run (seq 1, 2, …), per stream (stdout, stderr, log).
import { StoreInputError } from '../errors.js';
import { redactCredentials } from '../connect.js';
import { checkCount, checkStream, lockRunningRun, type Db, type SqlContext } from './context.js';
import { getRun } from './runs.js';
import type { LogChunk, LogStream } from './types.js';

export async function appendLog(ctx: SqlContext, runId: string, stream: LogStream, text: string): Promise<number> {
  checkStream(stream);
  return ctx.db.transaction().execute(async (trx) => {
    await lockRunningRun(ctx, trx, runId);
    const [seq] = await writeLogs(trx, runId, [{ stream, text }]);
    return seq;
  });
}

/** Inserts non-empty chunks (the caller holds the run's lock) and returns their sequence numbers. */
export async function writeLogs(trx: Db, runId: string, chunks: { stream: LogStream; text: string }[]): Promise<number[]> {
  const nonEmpty = chunks.filter((c) => c.text.length > 0);
  if (nonEmpty.length === 0) return [];
  const now = Date.now();
  const { log_seq: last } = await trx.updateTable('runs').set((eb) => ({ log_seq: eb('log_seq', '+', nonEmpty.length), last_seen: now }))
    .where('id', '=', runId).returning('log_seq').executeTakeFirstOrThrow();
  const first = last - nonEmpty.length + 1;
  await trx.insertInto('run_logs').values(nonEmpty.map((c, i) => ({
    run_id: runId, seq: first + i, stream: c.stream, text: redactCredentials(c.text), wall_time: now, // no credential kept
  }))).execute();
  return nonEmpty.map((_, i) => first + i);
}

export async function readLog(ctx: SqlContext, runId: string,
  options: { stream?: LogStream; afterSeq?: number; limit?: number; tail?: number } = {}): Promise<LogChunk[]> {
  const { stream, afterSeq, limit, tail } = options;
  if (stream !== undefined) checkStream(stream);
  checkCount('readLog afterSeq', afterSeq, 0);
  checkCount('readLog limit', limit, 1);
  checkCount('readLog tail', tail, 1);
  if (limit !== undefined && tail !== undefined) throw new StoreInputError('readLog takes limit or tail, not both');
  await getRun(ctx, runId);
  let query = ctx.db.selectFrom('run_logs').selectAll().where('run_id', '=', runId);
  if (stream !== undefined) query = query.where('stream', '=', stream);
  if (afterSeq !== undefined) query = query.where('seq', '>', afterSeq);
  query = query.orderBy('seq', tail === undefined ? 'asc' : 'desc');
  const count = tail ?? limit;
  if (count !== undefined) query = query.limit(count);
  const rows = await query.execute();
  if (tail !== undefined) rows.reverse();
  return rows.map((r) => ({ seq: r.seq, stream: r.stream as LogStream, text: r.text, wallTime: r.wall_time }));
}
