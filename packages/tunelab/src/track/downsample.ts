// Thinning a metric series for charts: at most `maxPoints` points that keep the first, the last, and each
// bucket's minimum and maximum, so spikes survive (a plain stride would drop them).

export interface SeriesPoint {
  step: number;
  value: number;
  wallTime: number;
}

export function downsample<P extends SeriesPoint>(points: readonly P[], maxPoints: number): P[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  if (points.length <= maxPoints) return points.slice();
  const first = points[0];
  const last = points[points.length - 1];
  const inner = points.slice(1, -1);
  const buckets = Math.floor((maxPoints - 2) / 2);
  const kept: P[] = [first];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * inner.length) / buckets);
    const end = Math.floor(((b + 1) * inner.length) / buckets);
    let low = -1;
    let high = -1;
    for (let i = start; i < end; i++) {
      const value = inner[i].value;
      if (Number.isNaN(value)) continue;
      if (low < 0 || value < inner[low].value) low = i;
      if (high < 0 || value > inner[high].value) high = i;
    }
    if (low < 0) { kept.push(inner[start]); continue; } // all-NaN bucket: keep one marker
    if (low === high) kept.push(inner[low]);
    else kept.push(inner[Math.min(low, high)], inner[Math.max(low, high)]);
  }
  kept.push(last);
  return kept;
}
