// Metric series as the API sends them: thinned by the store (first, last and per-bucket extremes, see
// track/downsample.ts) and packed as [step, value, wallTime] triples, NaN as null (JSON has no NaN).
import type { MetricSeries } from '../track/store.js';

export type Point = [step: number, value: number | null, wallTime: number];

export interface SeriesPayload {
  name: string;
  points: Point[];
}

export function packPoints(points: MetricSeries['points']): Point[] {
  return points.map((p) => [p.step, Number.isFinite(p.value) ? p.value : null, p.wallTime]);
}

export function packSeries(series: readonly MetricSeries[]): SeriesPayload[] {
  return series.map((s) => ({ name: s.name, points: packPoints(s.points) }));
}
