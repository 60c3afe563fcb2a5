// Token-classification predictions back to tag sequences, as run_ner's compute_metrics: only positions whose gold
// label is not ignored (first sub-token of each word) count, so predictions and references align word by word.
import { IGNORE_INDEX } from '../data/features.js';
import { MetricInputError } from './errors.js';

/**
 * `tokenLabels[i]` are feature i's gold label ids (IGNORE_INDEX where ignored) and `predictedIds[i]` its predicted
 * id per token (argmax of the logits, padding allowed past the end); `labelNames` maps ids to tags.
 */
export function alignTokenPredictions(tokenLabels: readonly ArrayLike<number>[], predictedIds: readonly ArrayLike<number>[],
  labelNames: readonly string[]): { predictions: string[][]; references: string[][] } {
  if (tokenLabels.length !== predictedIds.length) {
    throw new MetricInputError(`${predictedIds.length} prediction rows for ${tokenLabels.length} features`);
  }
  const name = (id: number) => {
    const tag = labelNames[id];
    if (tag === undefined) throw new MetricInputError(`label id ${id} is outside the ${labelNames.length} labels`);
    return tag;
  };
  const predictions: string[][] = [];
  const references: string[][] = [];
  tokenLabels.forEach((gold, i) => {
    const predicted = predictedIds[i];
    if (predicted.length < gold.length) throw new MetricInputError(`feature ${i}: ${predicted.length} predictions for ${gold.length} tokens`);
    const p: string[] = [];
    const r: string[] = [];
    for (let t = 0; t < gold.length; t++) {
      if (gold[t] === IGNORE_INDEX) continue;
      p.push(name(predicted[t]));
      r.push(name(gold[t]));
    }
    predictions.push(p);
    references.push(r);
  });
  return { predictions, references };
}
