// Client-side series bookkeeping: merging live points into downsampled history, turning [step, value, wallTime]
// points into chart arrays for the chosen x axis and smoothing, telling scalars from curves, the y range of a flat
// series, and epochs for steps.
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
  return { xs, ys: smoothing > 0 ? smoothEma(xs, raw, smoothing) : raw };
}

/** Summaries a run reports once or that only count along (best step, epoch, planned steps, runtimes). */
const SCALAR_NAMES = new Set([
  'epoch', 'best_step', 'total_steps', 'train_runtime_s', 'train_samples_per_second', 'peak_cuda_memory_bytes',
]);

/** A series shown as a number (its last value), not as a chart: a known summary, or a single point. */
export function isScalar(name: string, points: readonly Point[]): boolean {
  return SCALAR_NAMES.has(name) || points.length === 1;
}

/**
 * The y range of a chart: around the value for a flat series (uPlot's default would run 0–100 for a value of 0),
 * else null (uPlot's own).
 */
export function flatRange(min: number | null, max: number | null): [number, number] | null {
  if (min === null || max === null || min !== max) return null;
  const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
  return [min - pad, max + pad];
}

/**
 * The epoch at each step, from a run's `epoch` series (logged with every train and eval entry): exact where it has
 * the step, linear between its neighbours, null outside it.
 */
export function epochsAt(steps: readonly number[], epochPoints: readonly Point[]): (number | null)[] {
  return steps.map((step) => {
    const after = epochPoints.findIndex((p) => p[0] >= step);
    if (after === -1) return null;
    if (epochPoints[after][0] === step) return epochPoints[after][1];
    if (after === 0) return null;
    const [s0, e0] = epochPoints[after - 1];
    const [s1, e1] = epochPoints[after];
    if (e0 === null || e1 === null) return null;
    return e0 + ((e1 - e0) * (step - s0)) / (s1 - s0);
  });
}
