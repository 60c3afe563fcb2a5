// GLUE's metric per task, named and defined as HF's `evaluate.load("glue", task)` (values in [0, 1]); when a task has
// two, `combined_score` is their mean, as run_glue.py logs it.
import type { GlueTask } from '../data/glue.js';
import { accuracy, f1Binary, matthewsCorrelation } from './classification.js';
import { pearson, spearman } from './correlation.js';

export const GLUE_METRICS: Record<GlueTask, { names: string[]; primary: string }> = {
  cola: { names: ['matthews_correlation'], primary: 'matthews_correlation' },
  sst2: { names: ['accuracy'], primary: 'accuracy' },
  mrpc: { names: ['accuracy', 'f1'], primary: 'f1' },
  stsb: { names: ['pearson', 'spearmanr'], primary: 'pearson' },
  qqp: { names: ['accuracy', 'f1'], primary: 'f1' },
  mnli: { names: ['accuracy'], primary: 'accuracy' },
  qnli: { names: ['accuracy'], primary: 'accuracy' },
  rte: { names: ['accuracy'], primary: 'accuracy' },
  wnli: { names: ['accuracy'], primary: 'accuracy' },
};

/** Scores class-id predictions (STS-B: predicted scores) against the references. */
export function glueMetrics(task: GlueTask, predictions: ArrayLike<number>, references: ArrayLike<number>): Record<string, number> {
  const compute: Record<string, () => number> = {
    accuracy: () => accuracy(predictions, references),
    f1: () => f1Binary(predictions, references),
    matthews_correlation: () => matthewsCorrelation(predictions, references),
    pearson: () => pearson(predictions, references),
    spearmanr: () => spearman(predictions, references),
  };
  const result: Record<string, number> = {};
  for (const name of GLUE_METRICS[task].names) result[name] = compute[name]();
  const values = Object.values(result);
  if (values.length > 1) result.combined_score = values.reduce((a, b) => a + b, 0) / values.length;
  return result;
}
