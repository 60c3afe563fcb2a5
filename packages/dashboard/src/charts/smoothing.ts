// TensorBoard's debiased exponential moving average: weight 0 = raw, 0.99 = very smooth.
// Debiasing divides by (1 - w^n) so the first points aren't dragged towards zero.
export function smoothEma(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values.slice();
  let accumulated = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return value;
    accumulated = accumulated * weight + (1 - weight) * value;
    count++;
    return accumulated / (1 - Math.pow(weight, count));
  });
}
