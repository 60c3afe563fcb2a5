import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getEntities, seqeval } from '../../src/metrics/seqeval.js';
import { alignTokenPredictions } from '../../src/metrics/token-classification.js';

const spans = (tags: string[], options = {}) => getEntities(tags, options).map((e) => `${e.type}:${e.start}-${e.end}`);

describe('entity chunking, default (conlleval) mode', () => {
  it('reads IOB2, IOB1 and IOBES alike', () => {
    assert.deepEqual(spans(['B-PER', 'I-PER', 'O', 'B-LOC']), ['PER:0-1', 'LOC:3-3']);
    assert.deepEqual(spans(['I-PER', 'I-PER', 'B-PER', 'O']), ['PER:0-1', 'PER:2-2']); // IOB1: B only between neighbours
    assert.deepEqual(spans(['S-LOC', 'B-PER', 'I-PER', 'E-PER', 'O']), ['LOC:0-0', 'PER:1-3']);
  });

  it('starts an entity at an I- after O and ends it when the type changes', () => {
    assert.deepEqual(spans(['O', 'I-MISC', 'I-MISC']), ['MISC:1-2']);
    assert.deepEqual(spans(['B-PER', 'I-LOC', 'I-LOC']), ['PER:0-0', 'LOC:1-2']);
    assert.deepEqual(spans(['B-PER', 'B-PER']), ['PER:0-0', 'PER:1-1']);
    assert.deepEqual(spans(['E-PER', 'E-PER']), ['PER:0-0', 'PER:1-1']);
  });

  it('rejects tags that are not O or prefixed', () => {
    assert.throws(() => spans(['PER']), { name: 'MetricInputError', message: 'tag "PER" is not O or B-/I-/E-/S-<type>' });
  });
});

describe('entity chunking, strict mode', () => {
  it('IOB2: an entity must open with B-', () => {
    assert.deepEqual(spans(['I-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC'], { mode: 'strict', scheme: 'IOB2' }), ['LOC:3-4']);
    assert.throws(() => spans(['S-LOC'], { mode: 'strict', scheme: 'IOB2' }), { message: 'tag "S-LOC" is not allowed in IOB2' });
  });

  it('IOBES: an entity must close with E- (or be a single S-)', () => {
    assert.deepEqual(spans(['B-PER', 'I-PER', 'O', 'B-PER', 'E-PER', 'S-LOC'], { mode: 'strict', scheme: 'IOBES' }), ['PER:3-4', 'LOC:5-5']);
  });

  it('IOB1: I- opens, B- separates neighbours of one type', () => {
    assert.deepEqual(spans(['I-PER', 'B-PER', 'O', 'I-LOC', 'I-LOC'], { mode: 'strict', scheme: 'IOB1' }), ['PER:0-0', 'PER:1-1', 'LOC:3-4']);
  });
});

describe('seqeval scores (evaluate.load("seqeval") output)', () => {
  const references = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
  const predictions = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];

  it('scores entities exactly: a MISC one token too long is wrong', () => {
    const result = seqeval(predictions, references);
    assert.deepEqual([result.overall_precision, result.overall_recall, result.overall_f1], [0.5, 0.5, 0.5]);
    assert.equal(result.overall_accuracy, 0.8);
    assert.deepEqual(result.types, {
      MISC: { precision: 0, recall: 0, f1: 0, number: 1 },
      PER: { precision: 1, recall: 1, f1: 1, number: 1 },
    });
  });

  it('counts predicted types that are not in the references, with zero support', () => {
    const result = seqeval([['B-LOC', 'O']], [['O', 'O']]);
    assert.deepEqual(result.types, { LOC: { precision: 0, recall: 0, f1: 0, number: 0 } });
    assert.equal(result.overall_f1, 0);
  });

  it('aligns token predictions to words through the gold labels (run_ner compute_metrics)', () => {
    const { predictions: p, references: r } = alignTokenPredictions(
      [Int32Array.from([-100, 0, -100, 2, -100])], [Int32Array.from([1, 0, 1, 1, 1, 2])], ['B-PER', 'I-PER', 'O']);
    assert.deepEqual(p, [['B-PER', 'I-PER']]);
    assert.deepEqual(r, [['B-PER', 'O']]);
  });
});
