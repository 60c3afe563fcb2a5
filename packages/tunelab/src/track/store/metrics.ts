// Metric series: append-only points numbered per run in commit order, per-series summaries and bucket extremes
// kept on every append (series.ts), thinned reads, and tailing by sequence number (the live stream).
import { sql, type Selectable } from 'kysely';
import type { MetricSummariesTable } from '../schema.js';
import { NotFoundError, StoreInputError } from '../errors.js';
import { downsample, type SeriesPoint } from '../downsample.js';
import { bucketRows, chunks, readPoints, readThinned, upsertBucketRows } from '../series.js';
import { INSERT_BATCH, checkCount, checkPoints, lockRunningRun, type Db, type SqlContext } from './context.js';
import { getRun } from './runs.js';
import type { MetricPoint, MetricSeries, MetricSummary, SequencedPoint } from './types.js';

export async function appendMetrics(ctx: SqlContext, runId: string, points: MetricPoint[]): Promise<void> {
  if (points.length === 0) return;
  const checked = checkPoints(points);
  await ctx.db.transaction().execute(async (trx) => {
    await lockRunningRun(ctx, trx, runId);
    await writeMetrics(trx, runId, checked);
  });
}

/** Inserts points (the caller holds the run's lock): each gets the run's next sequence number. */
export async function writeMetrics(trx: Db, runId: string, points: Required<MetricPoint>[]): Promise<void> {
  const { metric_seq: last } = await trx.updateTable('runs')
    .set((eb) => ({ metric_seq: eb('metric_seq', '+', points.length), last_seen: Date.now() }))
    .where('id', '=', runId).returning('metric_seq').executeTakeFirstOrThrow();
  let seq = last - points.length;
  for (const chunk of chunks(points, INSERT_BATCH)) {
    await trx.insertInto('metrics').values(chunk.map((p) => ({
      run_id: runId, name: p.name, step: p.step, value: Number.isNaN(p.value) ? null : p.value, wall_time: p.wallTime, seq: ++seq,
    }))).execute();
  }
  for (const summary of summarise(points)) {
    const { points: seriesPoints, ...row } = summary;
    await trx.insertInto('metric_summaries').values({ run_id: runId, ...row })
      .onConflict((oc) => oc.columns(['run_id', 'name']).doUpdateSet({
        count: sql`metric_summaries.count + excluded.count`,
        // last: the greatest (step, wall time), a tie going to the newer report; first: the least, the older.
        last_step: takeIf(LATER_LAST, 'last_step'),
        last_value: takeIf(LATER_LAST, 'last_value'),
        last_wall_time: takeIf(LATER_LAST, 'last_wall_time'),
        first_step: takeIf(EARLIER_FIRST, 'first_step'),
        first_value: takeIf(EARLIER_FIRST, 'first_value'),
        first_wall_time: takeIf(EARLIER_FIRST, 'first_wall_time'),
        min_value: sql`case when metric_summaries.min_value is null or excluded.min_value < metric_summaries.min_value then excluded.min_value else metric_summaries.min_value end`,
        max_value: sql`case when metric_summaries.max_value is null or excluded.max_value > metric_summaries.max_value then excluded.max_value else metric_summaries.max_value end`,
      }))
      .execute();
    await upsertBucketRows(trx, bucketRows(runId, summary.name, seriesPoints));
  }
}

export async function getMetrics(ctx: SqlContext, runId: string, names?: string[],
  options: { maxPoints?: number; afterStep?: number } = {}): Promise<MetricSeries[]> {
  await getRun(ctx, runId);
  const { maxPoints, afterStep } = options;
  checkMaxPoints(maxPoints);
  if (afterStep !== undefined && !Number.isSafeInteger(afterStep)) throw new StoreInputError(`afterStep must be an integer, got ${afterStep}`);
  if (maxPoints !== undefined && afterStep === undefined) {
    const wanted = names ?? (await getMetricSummaries(ctx, [runId])).map((s) => s.name);
    const series: MetricSeries[] = [];
    for (const name of [...new Set(wanted)].sort()) {
      const points = (await readThinned(ctx.db, [runId], name, maxPoints)).get(runId)!;
      if (points.length > 0) series.push({ name, points });
    }
    return series;
  }
  const byName = (await readPoints(ctx.db, [runId], { names, afterStep })).get(runId) ?? new Map<string, SeriesPoint[]>();
  return [...byName.keys()].sort().map((name) => {
    const points = byName.get(name)!;
    return { name, points: maxPoints === undefined ? points : downsample(points, maxPoints) };
  });
}

export async function getMetricsForRuns(ctx: SqlContext, runIds: string[], name: string,
  options: { maxPoints?: number } = {}): Promise<Map<string, MetricSeries['points']>> {
  checkMaxPoints(options.maxPoints);
  const unique = [...new Set(runIds)];
  const known = new Set<string>();
  for (const ids of chunks(unique, INSERT_BATCH)) {
    for (const row of await ctx.db.selectFrom('runs').select('id').where('id', 'in', ids).execute()) known.add(row.id);
  }
  const missing = unique.find((id) => !known.has(id));
  if (missing !== undefined) throw new NotFoundError('run', missing);
  if (options.maxPoints !== undefined) return readThinned(ctx.db, unique, name, options.maxPoints);
  const points = await readPoints(ctx.db, unique, { names: [name] });
  return new Map(unique.map((id) => [id, points.get(id)?.get(name) ?? []]));
}

export async function getMetricSummaries(ctx: SqlContext, runIds: string[]): Promise<MetricSummary[]> {
  const out: MetricSummary[] = [];
  for (const chunk of chunks(runIds, INSERT_BATCH)) {
    const rows = await ctx.db.selectFrom('metric_summaries').selectAll().where('run_id', 'in', chunk)
      .orderBy('run_id').orderBy('name').execute();
    for (const r of rows) {
      out.push({
        runId: r.run_id, name: r.name, count: r.count, lastStep: r.last_step, lastValue: r.last_value ?? NaN,
        min: r.min_value ?? NaN, max: r.max_value ?? NaN, lastWallTime: r.last_wall_time,
      });
    }
  }
  return out;
}

export async function tailMetrics(ctx: SqlContext, runId: string,
  options: { afterSeq?: number; names?: string[]; limit?: number } = {}): Promise<{ points: SequencedPoint[]; lastSeq: number }> {
  const { afterSeq = 0, names, limit } = options;
  checkCount('tailMetrics afterSeq', afterSeq, 0);
  checkCount('tailMetrics limit', limit, 1);
  const run = await ctx.db.selectFrom('runs').select('metric_seq').where('id', '=', runId).executeTakeFirst();
  if (!run) throw new NotFoundError('run', runId);
  if (names !== undefined && names.length === 0) return { points: [], lastSeq: run.metric_seq };
  let query = ctx.db.selectFrom('metrics').select(['seq', 'name', 'step', 'value', 'wall_time'])
    .where('run_id', '=', runId).where('seq', '>', afterSeq).where('seq', '<=', run.metric_seq);
  if (names !== undefined) query = query.where('name', 'in', names);
  query = query.orderBy('seq');
  if (limit !== undefined) query = query.limit(limit);
  const rows = await query.execute();
  const points = rows.map((r) => ({ seq: r.seq!, name: r.name, step: r.step, value: r.value ?? NaN, wallTime: r.wall_time }));
  // A limited read ends at its last point; a full one reaches the run's sequence (names filtered out included).
  const lastSeq = limit !== undefined && rows.length === limit ? points.at(-1)!.seq : run.metric_seq;
  return { points, lastSeq };
}

function checkMaxPoints(maxPoints: number | undefined): void {
  if (maxPoints !== undefined && (!Number.isInteger(maxPoints) || maxPoints < 2)) {
    throw new StoreInputError(`maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  }
}

/** Summary rows of a batch of points per metric name (merged into the stored ones by writeMetrics), with the points. */
function summarise(points: Required<MetricPoint>[]) {
  const byName = new Map<string, Omit<Selectable<MetricSummariesTable>, 'run_id'> & { points: SeriesPoint[] }>();
  for (const p of points) {
    const value = Number.isNaN(p.value) ? null : p.value;
    const s = byName.get(p.name);
    if (!s) {
      byName.set(p.name, {
        name: p.name, count: 1, first_step: p.step, first_value: value, first_wall_time: p.wallTime,
        last_step: p.step, last_value: value, last_wall_time: p.wallTime, min_value: value, max_value: value, points: [p],
      });
      continue;
    }
    s.count += 1;
    s.points.push(p);
    if (!isBefore(p, s.last_step, s.last_wall_time)) Object.assign(s, { last_step: p.step, last_value: value, last_wall_time: p.wallTime });
    if (isBefore(p, s.first_step, s.first_wall_time)) Object.assign(s, { first_step: p.step, first_value: value, first_wall_time: p.wallTime });
    if (value !== null && (s.min_value === null || value < s.min_value)) s.min_value = value;
    if (value !== null && (s.max_value === null || value > s.max_value)) s.max_value = value;
  }
  return [...byName.values()];
}

function isBefore(p: Required<MetricPoint>, step: number, wallTime: number): boolean {
  return p.step < step || (p.step === step && p.wallTime < wallTime);
}

/** Upsert conditions on metric_summaries (`excluded` is the batch's row): see writeMetrics. */
const LATER_LAST = 'excluded.last_step > metric_summaries.last_step or (excluded.last_step = metric_summaries.last_step and excluded.last_wall_time >= metric_summaries.last_wall_time)';
const EARLIER_FIRST = 'metric_summaries.first_step is null or excluded.first_step < metric_summaries.first_step or (excluded.first_step = metric_summaries.first_step and excluded.first_wall_time < metric_summaries.first_wall_time)';

function takeIf(condition: string, column: keyof MetricSummariesTable) {
  return sql<number>`case when ${sql.raw(condition)} then ${sql.ref(`excluded.${column}`)} else ${sql.ref(`metric_summaries.${column}`)} end`;
}
