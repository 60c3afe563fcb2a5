// Metric series as the API sends them: downsampled by the store (first, last and per-bucket extremes) and
// packed as [step, value, wallTime] triples (NaN → null). Series of finished runs never change, so their
// downsampled form is cached: reopening a 1,000-trial sweep does not re-read 10 million points.
import type { MetricSeries, Store } from '../track/store.js';

export type Point = [step: number, value: number | null, wallTime: number];

export interface SeriesPayload {
  name: string;
  points: Point[];
}

export function packPoints(points: MetricSeries['points']): Point[] {
  return points.map((p) => [p.step, Number.isFinite(p.value) ? p.value : null, p.wallTime]);
}

export class SeriesCache {
  private readonly entries = new Map<string, SeriesPayload[]>();

  constructor(private readonly store: Store, private readonly capacity = 4000) {}

  /** Downsampled series of one run; `finished` runs are served from (and added to) the cache. */
  async get(runId: string, names: string[] | undefined, maxPoints: number, finished: boolean): Promise<SeriesPayload[]> {
    const key = `${runId}\0${names?.join('\0') ?? '*'}\0${maxPoints}`;
    const hit = finished ? this.entries.get(key) : undefined;
    if (hit) {
      // Refresh recency: Map iteration order is insertion order, so the oldest entry is evicted first.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const series = await this.store.getMetrics(runId, names, { maxPoints });
    const payload = series.map((s) => ({ name: s.name, points: packPoints(s.points) }));
    if (finished) {
      this.entries.set(key, payload);
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return payload;
  }

  /** A deleted run's entries must not outlive it. */
  forget(runId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${runId}\0`)) this.entries.delete(key);
  }
}
