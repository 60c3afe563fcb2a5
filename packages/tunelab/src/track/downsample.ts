// Thinning a metric series for charts. The series' steps are cut into aligned buckets — bucket b of level ℓ holds
// steps [b·2^ℓ, (b+1)·2^ℓ) — at the finest level that gives at most B = ⌊(maxPoints − 2)/2⌋ buckets between the
// first and the last step. Each bucket keeps its minimum and maximum point (NaN values are skipped), and the first
// and last points are always kept: spikes survive where a plain stride would drop them, and at most maxPoints remain.
//
// Because the buckets are aligned powers of two, the extremes of a bucket are the extremes of the extremes of the
// finer buckets inside it. So the store keeps each series' bucket extremes at a few levels as points are appended
// (the metric_buckets table, STORED_LEVELS) and thins a long series from those rows — without reading its points —
// to exactly what thinning its points gives.

export interface SeriesPoint {
  step: number;
  value: number;
  wallTime: number;
}

export interface BucketExtremes<P extends SeriesPoint = SeriesPoint> {
  bucket: number;
  min: P;
  max: P;
}

/** Levels (log2 of the bucket width in steps) kept in metric_buckets: 16, 64, 256, …, 16M steps. */
export const STORED_LEVELS: readonly number[] = [4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24];

/** Buckets that fit `maxPoints` beside the first and last point (each bucket gives up to two points). */
export function bucketBudget(maxPoints: number): number {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  return Math.floor((maxPoints - 2) / 2);
}

/** The finest level whose buckets between `firstStep` and `lastStep` number at most `buckets` (≥ 1). */
export function bucketLevel(firstStep: number, lastStep: number, buckets: number): number {
  let level = 0;
  while (Math.floor(lastStep / 2 ** level) - Math.floor(firstStep / 2 ** level) + 1 > buckets) level++;
  return level;
}

/** The coarsest stored level not coarser than `level`: its rows merge into `level`'s buckets exactly. Null: none. */
export function storedLevelAtMost(level: number): number | null {
  const candidates = STORED_LEVELS.filter((stored) => stored <= level);
  return candidates.length === 0 ? null : candidates[candidates.length - 1];
}

/** Total orders that make every path pick the same point: by value, then the earlier step, then the earlier wall time. */
export function isLower(a: SeriesPoint, b: SeriesPoint): boolean {
  return a.value < b.value || (a.value === b.value && isEarlier(a, b));
}

export function isHigher(a: SeriesPoint, b: SeriesPoint): boolean {
  return a.value > b.value || (a.value === b.value && isEarlier(a, b));
}

function isEarlier(a: SeriesPoint, b: SeriesPoint): boolean {
  return a.step < b.step || (a.step === b.step && a.wallTime < b.wallTime);
}

/** Minimum and maximum point of every non-empty bucket of `level`, in bucket order. NaN values are skipped. */
export function bucketExtremes<P extends SeriesPoint>(points: Iterable<P>, level: number): BucketExtremes<P>[] {
  const width = 2 ** level;
  const byBucket = new Map<number, BucketExtremes<P>>();
  for (const point of points) {
    if (Number.isNaN(point.value)) continue;
    const bucket = Math.floor(point.step / width);
    const found = byBucket.get(bucket);
    if (!found) byBucket.set(bucket, { bucket, min: point, max: point });
    else {
      if (isLower(point, found.min)) found.min = point;
      if (isHigher(point, found.max)) found.max = point;
    }
  }
  return [...byBucket.values()].sort((a, b) => a.bucket - b.bucket);
}

/** First, bucket extremes and last, in (step, wall time) order, each distinct point once. */
export function assemble<P extends SeriesPoint>(first: P, last: P, buckets: readonly BucketExtremes<P>[]): P[] {
  const candidates = [first];
  for (const { min, max } of buckets) candidates.push(...(isEarlier(max, min) ? [max, min] : [min, max]));
  candidates.push(last);
  const seen = new Set<string>();
  const kept = candidates.filter((p) => {
    const key = `${p.step}|${p.wallTime}|${p.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return kept.sort((a, b) => a.step - b.step || a.wallTime - b.wallTime);
}

/** Thins `points` (in step order) to at most `maxPoints`; a series that fits is returned whole. */
export function downsample<P extends SeriesPoint>(points: readonly P[], maxPoints: number): P[] {
  const budget = bucketBudget(maxPoints);
  if (points.length <= maxPoints) return points.slice();
  const first = points[0];
  const last = points[points.length - 1];
  if (budget === 0) return assemble(first, last, []);
  return assemble(first, last, bucketExtremes(points, bucketLevel(first.step, last.step, budget)));
}
