// Smoothing of training curves. Train loss is smoothed by a time-weighted exponential moving average: each point's
// weight decays with the distance in x (steps or seconds) from it, not with the number of points, so unevenly logged
// or downsampled series smooth alike. Evaluation series (a few points) are never smoothed: 0.715 must read 0.715.

/** Whether a series is smoothed at all: train-time series are, evaluations (`eval_*`, `final_*`, `test_*`) are not. */
export function isSmoothable(name: string): boolean {
  return !/^(eval|final|test)[_/]/.test(name);
}

/**
 * Debiased time-weighted EMA. `weight` (0 = raw … 0.99 = very smooth) is the decay over the series' mean x gap; a
 * gap twice as wide decays twice as much (weight²). Debiased as TensorBoard's, so the first points are not dragged
 * towards zero.
 */
export function smoothEma(xs: readonly number[], values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0 || values.length < 2) return values.slice();
  const meanGap = (xs[xs.length - 1] - xs[0]) / (xs.length - 1) || 1;
  let accumulated = 0;
  let normalizer = 0;
  let lastX: number | null = null;
  return values.map((value, i) => {
    if (value === null || !Number.isFinite(value)) return value;
    const decay = weight ** (lastX === null ? 1 : (xs[i] - lastX) / meanGap); // the first point: one mean gap from nothing
    accumulated = accumulated * decay + (1 - decay) * value;
    normalizer = normalizer * decay + (1 - decay);
    lastX = xs[i];
    return accumulated / normalizer;
  });
}
