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

/** Three (or `digits`) significant digits, without trailing zeros: 0.6666… → "0.667", 0.8 → "0.8". */
export function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(digits))) : String(x);
}

/**
 * The fewest significant digits (3 or more) at which different values among `values` also print differently, so a
 * reason never reads "0.411 > 0.411" (0.41145 > 0.4114 it is).
 */
export function digitsToTell(values: readonly number[]): number {
  for (let digits = 3; digits < 17; digits++) {
    const printed = new Map<string, number>();
    const clash = values.some((v) => {
      const text = fmt(v, digits);
      const other = printed.get(text);
      printed.set(text, v);
      return other !== undefined && other !== v;
    });
    if (!clash) return digits;
  }
  return 17;
}

/**
 * Azure's schedule: judged at intervals that are multiples of `evaluation_interval`, from `delay_evaluation` on.
 */
export function isEvaluationInterval(interval: number, schedule: { evaluation_interval: number; delay_evaluation: number }): boolean {
  return interval >= Math.max(1, schedule.delay_evaluation) && interval % schedule.evaluation_interval === 0;
}
