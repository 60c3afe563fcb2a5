// Comparing primary-metric values under the sweep's goal, shared by every termination policy.
// NaN reports count as the worst possible value (a diverged loss should never look good).
import type { Goal } from '../types.js';

/** The best of `values` for the goal; NaN when empty or all NaN. */
export function bestOf(values: readonly number[], goal: Goal): number {
  let best = NaN;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(best) || (goal === 'minimize' ? v < best : v > best)) best = v;
  }
  return best;
}

/** True when a is strictly worse than b. */
export function isWorse(a: number, b: number, goal: Goal): boolean {
  if (Number.isNaN(a)) return !Number.isNaN(b);
  if (Number.isNaN(b)) return false;
  return goal === 'minimize' ? a > b : a < b;
}

/** Mean of the non-NaN values; NaN when there are none. */
export function meanOf(values: readonly number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length === 0 ? NaN : finite.reduce((s, v) => s + v, 0) / finite.length;
}

/** Three significant digits, without trailing zeros: 0.6666… → "0.667", 0.8 → "0.8". */
export function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(3))) : String(x);
}

/**
 * Azure's schedule: judged at intervals that are multiples of `evaluation_interval`, from `delay_evaluation` on.
 */
export function isEvaluationInterval(interval: number, schedule: { evaluation_interval: number; delay_evaluation: number }): boolean {
  return interval >= Math.max(1, schedule.delay_evaluation) && interval % schedule.evaluation_interval === 0;
}
