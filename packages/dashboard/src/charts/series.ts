// Client-side series bookkeeping: merging live points into downsampled history, and turning
// [step, value, wallTime] points into chart arrays for the chosen x axis and smoothing.
import type { Point } from '../api.js';
import type { XKind } from './LineChart.js';
import { smoothEma } from './smoothing.js';

/** Appends live points newer than the last one held (the stream may resend a point the page just fetched). */
export function appendPoints(existing: readonly Point[], fresh: readonly Point[]): Point[] {
  const lastStep = existing.length > 0 ? existing[existing.length - 1][0] : -Infinity;
  const newer = fresh.filter((p) => p[0] > lastStep);
  return newer.length === 0 ? (existing as Point[]) : [...existing, ...newer];
}

export function toXY(points: readonly Point[], xKind: XKind, smoothing = 0): { xs: number[]; ys: (number | null)[] } {
  const xs = points.map((p) => (xKind === 'time' ? p[2] : p[0]));
  const raw = points.map((p) => p[1]);
  return { xs, ys: smoothing > 0 ? smoothEma(raw, smoothing) : raw };
}
