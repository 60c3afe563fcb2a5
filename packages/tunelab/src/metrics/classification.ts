// Classification metrics with scikit-learn's definitions (the ones GLUE's evaluation uses).
import { MetricInputError } from './errors.js';

type Labels = ArrayLike<number>;

/** Argmax over the last axis of logits with `shape` ([N, C] → N ids, [B, T, C] → B × T ids); first maximum on ties. */
export function argmax(logits: ArrayLike<number>, shape: readonly number[]): Int32Array {
  const classes = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (shape.length < 1 || classes < 1 || logits.length !== rows * classes) {
    throw new MetricInputError(`logits have ${logits.length} values, not [${shape.join(', ')}]`);
  }
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c] > logits[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

export function accuracy(predictions: Labels, references: Labels): number {
  checkPaired(predictions, references);
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === references[i]) correct++;
  return correct / predictions.length;
}

/** Binary F1 of the positive class (sklearn's f1_score, average='binary'); 0 when there are no true positives. */
export function f1Binary(predictions: Labels, references: Labels, positive = 1): number {
  checkPaired(predictions, references);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < predictions.length; i++) {
    const predicted = predictions[i] === positive;
    const actual = references[i] === positive;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/**
 * Matthews correlation coefficient, multiclass (sklearn's matthews_corrcoef): 0 when either side is constant
 * (the denominator vanishes), as sklearn returns.
 */
export function matthewsCorrelation(predictions: Labels, references: Labels): number {
  checkPaired(predictions, references);
  const n = predictions.length;
  const predicted = new Map<number, number>();
  const actual = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    predicted.set(predictions[i], (predicted.get(predictions[i]) ?? 0) + 1);
    actual.set(references[i], (actual.get(references[i]) ?? 0) + 1);
    if (predictions[i] === references[i]) correct++;
  }
  let pk = 0;
  for (const [label, count] of predicted) pk += count * (actual.get(label) ?? 0);
  const sumSquares = (counts: Map<number, number>) => [...counts.values()].reduce((s, c) => s + c * c, 0);
  const covPredRef = correct * n - pk;
  const covPredPred = n * n - sumSquares(predicted);
  const covRefRef = n * n - sumSquares(actual);
  if (covPredPred === 0 || covRefRef === 0) return 0;
  return covPredRef / Math.sqrt(covPredPred * covRefRef);
}

export function checkPaired(predictions: ArrayLike<unknown>, references: ArrayLike<unknown>): void {
  if (predictions.length !== references.length) {
    throw new MetricInputError(`${predictions.length} predictions for ${references.length} references`);
  }
  if (predictions.length === 0) throw new MetricInputError('no predictions to score');
}
