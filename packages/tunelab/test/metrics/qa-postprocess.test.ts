import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QaFeatureInfo } from '../../src/data/qa-features.js';
import { postprocessQaPredictions, rowsByFeature } from '../../src/metrics/qa-postprocess.js';

// Context with an emoji before the answer: offsets count code points, so 'Paris' is [17, 22), not UTF-16's [18, 23).
const context = 'The capital 😀 is Paris.';
const example = { id: 'q', context };
// [CLS] q [SEP] the capital [UNK] is paris . [SEP]
const window: QaFeatureInfo = { exampleId: 'q', offsets: [null, null, null, [0, 3], [4, 11], [12, 13], [14, 16], [17, 22], [22, 23], null] };
const row = (values: Record<number, number>, length = 10) => Float32Array.from({ length }, (_, i) => values[i] ?? 0);

describe('QA post-processing (HF postprocess_qa_predictions)', () => {
  it('picks the best start + end inside the context and slices the context by code points', () => {
    const result = postprocessQaPredictions([example], [window], [row({ 0: 2, 4: 1, 7: 5 })], [row({ 0: 2, 7: 4, 8: 1 })]);
    assert.equal(result.predictions.get('q'), 'Paris');
    const nBest = result.nBest.get('q')!;
    assert.deepEqual(nBest.slice(0, 3).map((a) => [a.text, a.start, a.end, a.startLogit + a.endLogit]),
      [['Paris', 17, 22, 9], ['Paris.', 17, 23, 6], ['capital 😀 is Paris', 4, 22, 5]]);
    assert.equal(nBest.length, 20);
    const total = nBest.reduce((sum, a) => sum + a.probability, 0);
    assert.ok(Math.abs(total - 1) < 1e-12);
    assert.ok(Math.abs(nBest[0].probability / nBest[1].probability - Math.exp(3)) < 1e-9);
  });

  it('skips spans that end before they start, leave the context, or exceed maxAnswerLength', () => {
    // best start 8 ('.') with best end 7: reversed; start 1 is in the question (no offsets)
    const reversed = postprocessQaPredictions([example], [window], [row({ 8: 9, 1: 8, 3: 1 })], [row({ 7: 9, 9: 8, 4: 1 })]);
    assert.equal(reversed.predictions.get('q'), 'The capital 😀 is Paris');
    const short = postprocessQaPredictions([example], [window], [row({ 3: 9, 7: 1 })], [row({ 7: 9 })], { maxAnswerLength: 2 });
    assert.equal(short.predictions.get('q'), 'Paris');
  });

  it('takes the best window of an example, and answers "empty" when no span is valid', () => {
    const second: QaFeatureInfo = { exampleId: 'q', offsets: [null, null, null, [4, 11], null] };
    const result = postprocessQaPredictions([example], [window, second],
      [row({ 7: 1 }), row({ 3: 10 }, 5)], [row({ 7: 1 }), row({ 3: 10 }, 5)]);
    assert.equal(result.predictions.get('q'), 'capital');
    const none: QaFeatureInfo = { exampleId: 'q', offsets: [null, null, null] };
    const empty = postprocessQaPredictions([example], [none], [row({}, 3)], [row({}, 3)]);
    assert.equal(empty.predictions.get('q'), 'empty');
  });

  it('v2: answers "" when the null score beats the best span by more than the threshold', () => {
    const starts = [row({ 0: 10, 7: 5 })];
    const ends = [row({ 0: 10, 7: 4 })];
    const result = postprocessQaPredictions([example], [window], starts, ends, { version2: true });
    assert.equal(result.scoreDiff.get('q'), 20 - 9);
    assert.equal(result.predictions.get('q'), '');
    assert.ok(result.nBest.get('q')!.some((a) => a.text === ''));
    const lenient = postprocessQaPredictions([example], [window], starts, ends, { version2: true, nullScoreDiffThreshold: 12 });
    assert.equal(lenient.predictions.get('q'), 'Paris');
  });

  it('v2: the null score is the smallest over the windows', () => {
    const second: QaFeatureInfo = { exampleId: 'q', offsets: [null, [4, 11]] };
    const result = postprocessQaPredictions([example], [window, second],
      [row({ 0: 10, 7: 5 }), row({ 0: 1 }, 2)], [row({ 0: 10, 7: 4 }), row({ 0: 1 }, 2)], { version2: true });
    assert.equal(result.scoreDiff.get('q'), 2 - 9);
    assert.equal(result.predictions.get('q'), 'Paris');
  });

  it('gathers per-feature logit rows from padded evaluation batches', () => {
    const rows = rowsByFeature(3, [
      { featureIndex: Int32Array.from([2, 0]), logits: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] } },
      { featureIndex: Int32Array.from([1]), logits: { data: Float32Array.from([7, 8]), shape: [1, 2] } },
    ]);
    assert.deepEqual(rows.map((r) => [...r]), [[4, 5, 6], [7, 8], [1, 2, 3]]);
    assert.throws(() => rowsByFeature(2, []), { message: 'no logits for feature 0' });
  });
});
