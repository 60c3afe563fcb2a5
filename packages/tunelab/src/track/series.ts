// Metric series reads and the bucket rows that make thinned reads cheap (the algorithm is in downsample.ts).
// Every append also upserts, per stored level, the extremes of the buckets it touched; a thinned read of a long
// series then reads at most about 2·B bucket rows instead of every point, so 1,000 curves of 10,000 points each
// come back from one query per level instead of 10 million rows.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MetricBucketsTable } from './schema.js';
import {
  STORED_LEVELS, assemble, bucketBudget, bucketExtremes, bucketLevel, downsample, storedLevelAtMost, type SeriesPoint,
} from './downsample.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Ids per `in (…)` list: far below SQLite's and PostgreSQL's bound-parameter limits. */
const IDS_PER_QUERY = 500;
const ROWS_PER_INSERT = 500;

// ------------------------------------------------------------------------------------------- writing

/** The bucket rows of one series' new points at every stored level (each level merged from the finer one). */
export function bucketRows(runId: string, name: string, points: readonly SeriesPoint[]): MetricBucketsTable[] {
  const rows: MetricBucketsTable[] = [];
  let source: readonly SeriesPoint[] = points;
  for (const level of STORED_LEVELS) {
    const buckets = bucketExtremes(source, level);
    for (const { bucket, min, max } of buckets) {
      rows.push({
        run_id: runId, name, level, bucket,
        min_step: min.step, min_value: min.value, min_wall_time: min.wallTime,
        max_step: max.step, max_value: max.value, max_wall_time: max.wallTime,
      });
    }
    source = buckets.flatMap((b) => [b.min, b.max]);
  }
  return rows;
}

/** Merges bucket rows into the stored ones, keeping the extremes under downsample.ts's isLower/isHigher orders. */
export async function upsertBucketRows(db: Db, rows: readonly MetricBucketsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await db.insertInto('metric_buckets').values(rows.slice(i, i + ROWS_PER_INSERT))
      .onConflict((oc) => oc.columns(['run_id', 'name', 'level', 'bucket']).doUpdateSet({
        min_step: keepExtreme('min', 'step'), min_value: keepExtreme('min', 'value'), min_wall_time: keepExtreme('min', 'wall_time'),
        max_step: keepExtreme('max', 'step'), max_value: keepExtreme('max', 'value'), max_wall_time: keepExtreme('max', 'wall_time'),
      }))
      .execute();
  }
}

/** `column` of the incoming extreme when it beats the stored one (value, then earlier step, then earlier wall time). */
function keepExtreme(side: 'min' | 'max', column: 'step' | 'value' | 'wall_time') {
  const [value, step, wall] = [`${side}_value`, `${side}_step`, `${side}_wall_time`].map((c) => [`excluded.${c}`, `metric_buckets.${c}`]);
  const beyond = side === 'min' ? '<' : '>';
  const earlier = `${step[0]} < ${step[1]} or (${step[0]} = ${step[1]} and ${wall[0]} < ${wall[1]})`;
  const better = `${value[0]} ${beyond} ${value[1]} or (${value[0]} = ${value[1]} and (${earlier}))`;
  return sql<number>`case when ${sql.raw(better)} then ${sql.ref(`excluded.${side}_${column}`)} else ${sql.ref(`metric_buckets.${side}_${column}`)} end`;
}

// ------------------------------------------------------------------------------------------- reading

/** Raw points per run and metric name, each series in (step, wall time) order. */
export async function readPoints(db: Db, runIds: readonly string[], options: { names?: readonly string[]; afterStep?: number } = {}): Promise<Map<string, Map<string, SeriesPoint[]>>> {
  const byRun = new Map<string, Map<string, SeriesPoint[]>>();
  if (options.names?.length === 0) return byRun;
  for (const ids of chunks(runIds, IDS_PER_QUERY)) {
    let query = db.selectFrom('metrics').select(['run_id', 'name', 'step', 'value', 'wall_time']).where('run_id', 'in', ids);
    if (options.names !== undefined) query = query.where('name', 'in', [...options.names]);
    if (options.afterStep !== undefined) query = query.where('step', '>', options.afterStep);
    const rows = await query.orderBy('run_id').orderBy('name').orderBy('step').orderBy('wall_time').execute();
    for (const row of rows) {
      const series = byRun.get(row.run_id) ?? new Map<string, SeriesPoint[]>();
      byRun.set(row.run_id, series);
      const points = series.get(row.name) ?? [];
      series.set(row.name, points);
      points.push({ step: row.step, value: row.value ?? NaN, wallTime: row.wall_time });
    }
  }
  return byRun;
}

interface SeriesEnds {
  runId: string;
  count: number;
  first: SeriesPoint;
  last: SeriesPoint;
}

/**
 * Metric `name` of each run thinned to at most `maxPoints` (exactly `downsample` of its points). Series that fit
 * are read whole; longer ones are merged from the stored level just finer than the one they need.
 */
export async function readThinned(db: Db, runIds: readonly string[], name: string, maxPoints: number): Promise<Map<string, SeriesPoint[]>> {
  const budget = bucketBudget(maxPoints);
  const out = new Map<string, SeriesPoint[]>(runIds.map((id) => [id, []]));
  const whole: string[] = [];
  const byStoredLevel = new Map<number, { ends: SeriesEnds; level: number }[]>();
  for (const ends of await readEnds(db, runIds, name)) {
    if (ends.count <= maxPoints) {
      whole.push(ends.runId);
      continue;
    }
    if (budget === 0) {
      out.set(ends.runId, assemble(ends.first, ends.last, []));
      continue;
    }
    const level = bucketLevel(ends.first.step, ends.last.step, budget);
    const stored = storedLevelAtMost(level);
    if (stored === null) whole.push(ends.runId); // a short span: reading its points is as cheap as buckets
    else byStoredLevel.set(stored, [...(byStoredLevel.get(stored) ?? []), { ends, level }]);
  }
  const points = await readPoints(db, whole, { names: [name] });
  for (const runId of whole) out.set(runId, downsample(points.get(runId)?.get(name) ?? [], maxPoints));
  for (const [stored, series] of byStoredLevel) {
    const rows = await readBucketPoints(db, series.map((s) => s.ends.runId), name, stored);
    for (const { ends, level } of series) {
      out.set(ends.runId, assemble(ends.first, ends.last, bucketExtremes(rows.get(ends.runId) ?? [], level)));
    }
  }
  return out;
}

async function readEnds(db: Db, runIds: readonly string[], name: string): Promise<SeriesEnds[]> {
  const ends: SeriesEnds[] = [];
  for (const ids of chunks(runIds, IDS_PER_QUERY)) {
    const rows = await db.selectFrom('metric_summaries')
      .select(['run_id', 'count', 'first_step', 'first_value', 'first_wall_time', 'last_step', 'last_value', 'last_wall_time'])
      .where('name', '=', name).where('run_id', 'in', ids).execute();
    for (const r of rows) {
      ends.push({
        runId: r.run_id, count: r.count,
        first: { step: r.first_step, value: r.first_value ?? NaN, wallTime: r.first_wall_time },
        last: { step: r.last_step, value: r.last_value ?? NaN, wallTime: r.last_wall_time },
      });
    }
  }
  return ends;
}

/** The stored extremes of `level` as points, per run. */
async function readBucketPoints(db: Db, runIds: readonly string[], name: string, level: number): Promise<Map<string, SeriesPoint[]>> {
  const byRun = new Map<string, SeriesPoint[]>();
  for (const ids of chunks(runIds, IDS_PER_QUERY)) {
    const rows = await db.selectFrom('metric_buckets')
      .select(['run_id', 'min_step', 'min_value', 'min_wall_time', 'max_step', 'max_value', 'max_wall_time'])
      .where('name', '=', name).where('level', '=', level).where('run_id', 'in', ids).execute();
    for (const r of rows) {
      const points = byRun.get(r.run_id) ?? [];
      byRun.set(r.run_id, points);
      points.push({ step: r.min_step, value: r.min_value, wallTime: r.min_wall_time }, { step: r.max_step, value: r.max_value, wallTime: r.max_wall_time });
    }
  }
  return byRun;
}

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
