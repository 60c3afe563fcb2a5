import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accuracy, argmax, f1Binary, matthewsCorrelation } from '../../src/metrics/classification.js';
import { averageRanks, pearson, spearman } from '../../src/metrics/correlation.js';
import { GLUE_METRICS, glueMetrics } from '../../src/metrics/glue.js';
import { MetricInputError } from '../../src/metrics/errors.js';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≠ ${expected}`);

describe('accuracy, F1, MCC (sklearn definitions, hand-computed)', () => {
  // tp = 3, fp = 1, fn = 2, tn = 2
  const predictions = [1, 1, 1, 1, 0, 0, 0, 0];
  const references = [1, 1, 1, 0, 1, 1, 0, 0];

  it('accuracy = correct / all', () => {
    close(accuracy(predictions, references), 5 / 8);
  });

  it('binary F1 of class 1 = 2tp / (2tp + fp + fn), 0 without true positives', () => {
    close(f1Binary(predictions, references), 6 / 9);
    assert.equal(f1Binary([0, 0, 0], [0, 0, 0]), 0);
    assert.equal(f1Binary([0, 0], [1, 1]), 0);
  });

  it('MCC = (tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn)) for two classes', () => {
    close(matthewsCorrelation(predictions, references), (3 * 2 - 1 * 2) / Math.sqrt(4 * 5 * 3 * 4));
    close(matthewsCorrelation(references, references), 1);
    close(matthewsCorrelation(references.map((r) => 1 - r), references), -1);
  });

  it('MCC is 0 for a constant predictor, as sklearn', () => {
    assert.equal(matthewsCorrelation([1, 1, 1, 1], [1, 0, 1, 0]), 0);
    assert.equal(matthewsCorrelation([0, 1, 0, 1], [1, 1, 1, 1]), 0);
  });

  it('MCC for three classes follows the multiclass formula', () => {
    // confusion (rows true, columns predicted): [[2,1,0],[0,2,1],[1,0,1]]; c = 5, s = 8
    const truth = [0, 0, 0, 1, 1, 1, 2, 2];
    const guess = [0, 0, 1, 1, 1, 2, 0, 2];
    // t = [3,3,2], p = [3,3,2]: (5·8 − 22) / √((64 − 22)(64 − 22)) = 18 / 42
    close(matthewsCorrelation(guess, truth), 18 / 42);
  });

  it('argmax takes the first maximum of each row, for [N, C] and [B, T, C]', () => {
    assert.deepEqual([...argmax(Float32Array.from([0.1, 0.9, 0.5, 0.5, 2, -1]), [3, 2])], [1, 0, 0]);
    assert.deepEqual([...argmax(Float32Array.from([1, 2, 3, 3, 2, 1, 0, 0, 0, 5, 4, 6]), [2, 2, 3])], [2, 0, 0, 2]);
    assert.throws(() => argmax(new Float32Array(5), [2, 3]), MetricInputError);
  });

  it('rejects inputs that cannot be paired', () => {
    assert.throws(() => accuracy([1, 0], [1]), { name: 'MetricInputError', message: '2 predictions for 1 references' });
    assert.throws(() => accuracy([], []), { message: 'no predictions to score' });
  });
});

describe('Pearson and Spearman (scipy definitions, hand-computed)', () => {
  it('Pearson r of a hand-worked set, and NaN for a constant input', () => {
    // x = 1..4, y = 2,4,5,9: means 2.5, 5; sxy = 4.5 + 0.5 + 0 + 6 = 11, sxx = 5, syy = 26
    close(pearson([1, 2, 3, 4], [2, 4, 5, 9]), 11 / Math.sqrt(5 * 26));
    assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  });

  it('Spearman ranks ties by their average rank', () => {
    assert.deepEqual([...averageRanks([10, 20, 20, 5, 20])], [2, 4, 4, 1, 4]);
    // ranks x = [1, 2.5, 2.5, 4], y = [1, 2, 3, 4]: sxy = 4.5, sxx = 4.5, syy = 5
    close(spearman([1, 2, 2, 3], [1, 2, 3, 4]), 4.5 / Math.sqrt(4.5 * 5));
    close(spearman([1, 2, 3, 4], [10, 100, 1000, 10000]), 1);
  });
});

describe('GLUE metrics per task (evaluate.load("glue", task) names)', () => {
  it('mrpc: accuracy, f1 and their mean as combined_score', () => {
    const result = glueMetrics('mrpc', [1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1, 0, 0]);
    assert.deepEqual(Object.keys(result), ['accuracy', 'f1', 'combined_score']);
    close(result.combined_score, (5 / 8 + 6 / 9) / 2);
  });

  it('cola: matthews_correlation; stsb: pearson and spearmanr; others accuracy', () => {
    assert.deepEqual(Object.keys(glueMetrics('cola', [1, 0], [1, 0])), ['matthews_correlation']);
    assert.deepEqual(Object.keys(glueMetrics('stsb', [0.5, 2, 4], [1, 2, 5])), ['pearson', 'spearmanr', 'combined_score']);
    assert.deepEqual(Object.keys(glueMetrics('rte', [1, 0], [1, 0])), ['accuracy']);
    assert.equal(GLUE_METRICS.cola.primary, 'matthews_correlation');
  });
});
