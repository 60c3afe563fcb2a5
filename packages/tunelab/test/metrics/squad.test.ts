import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exactMatch, normalizeAnswer, squadV1, squadV2, tokenF1 } from '../../src/metrics/squad.js';

const close = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('SQuAD answer normalisation (official normalize_answer)', () => {
  const cases: [string, string][] = [
    ['The Cat!', 'cat'],
    ['an apple a day', 'apple day'],
    ['Theater and anthem', 'theater and anthem'], // articles only as whole words
    ['U.S.A.', 'usa'],
    ["l'homme, the-end", 'lhomme theend'], // ASCII punctuation goes, without leaving a space
    ['«Paris» – “here”', '«paris» – “here”'], // non-ASCII punctuation stays, as in the script
    ['Éthe a', 'éthe'], // é is a word character for Python's \b: "the" inside "éthe" stays
    ['a\u00a0b\u3000c', 'b c'], // NBSP and ideographic space split words as str.split() does
    ['\ufeffthe', '\ufeff'], // BOM is not whitespace for Python, and not a word character
    ['  multiple   spaces\n', 'multiple spaces'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.equal(normalizeAnswer(input), expected));
  }
});

describe('exact match and token F1', () => {
  it('scores overlap by token counts', () => {
    assert.equal(exactMatch('The Denver Broncos!', 'denver broncos'), 1);
    close(tokenF1('the cat sat', 'cat sat on the mat'), 2 / 3); // p = 2/2, r = 2/4
    close(tokenF1('cat cat', 'cat'), 2 / 3); // one common token: p = 1/2, r = 1
    assert.equal(tokenF1('dog', 'cat'), 0);
  });

  it('treats empty answers as v2 does (both empty: 1) and v1 does (0)', () => {
    assert.equal(tokenF1('', 'the'), 1);
    assert.equal(tokenF1('', '', 'v1'), 0);
    assert.equal(tokenF1('x', ''), 0);
  });
});

describe('SQuAD v1.1 evaluation', () => {
  it('takes the best gold answer per question; unanswered questions score 0', () => {
    const references = [
      { id: 'q1', answers: ['Denver Broncos', 'The Denver Broncos'] },
      { id: 'q2', answers: ['1956'] },
      { id: 'q3', answers: ['blue sky'] },
    ];
    const result = squadV1(references, new Map([['q1', 'denver broncos!'], ['q2', 'in 1956']]));
    close(result.exact_match, 100 / 3);
    close(result.f1, (100 * (1 + 2 / 3)) / 3);
  });
});

describe('SQuAD v2.0 evaluation', () => {
  const references = [
    { id: 'a', answers: ['Paris'] },
    { id: 'b', answers: [] },
    { id: 'c', answers: ['blue whale'] },
    { id: 'd', answers: ['the'] }, // normalises to nothing: counts as unanswerable
  ];
  const predictions = new Map([['a', 'Paris'], ['b', ''], ['c', 'whale'], ['d', 'London']]);

  it('splits HasAns / NoAns and finds the best threshold (all probabilities 0)', () => {
    const result = squadV2(references, predictions);
    close(result.exact, 50);
    close(result.f1, (100 * (1 + 1 + 2 / 3)) / 4);
    assert.deepEqual([result.total, result.HasAns_total, result.NoAns_total], [4, 2, 2]);
    close(result.HasAns_exact, 50);
    close(result.HasAns_f1, (100 * (1 + 2 / 3)) / 2);
    close(result.NoAns_exact, 50);
    // start from 2 no-answer questions right; a: +1; b: 0; c: +0 exact / +2/3 F1; d: −1
    close(result.best_exact, 75);
    close(result.best_f1, (100 * (3 + 2 / 3)) / 4);
    assert.deepEqual([result.best_exact_thresh, result.best_f1_thresh], [0, 0]);
  });

  it('applies no-answer probabilities above the threshold, and sweeps them for the best', () => {
    const probabilities = new Map([['a', 0.1], ['b', 0.9], ['c', 0.6], ['d', 0.8]]);
    const result = squadV2(references, predictions, { noAnswerProbability: probabilities, threshold: 0.5 });
    close(result.exact, 75); // b, c, d predicted unanswerable: b 1, c 0, d 1; a stays 1
    close(result.f1, 75);
    close(result.best_exact, 75);
    assert.equal(result.best_exact_thresh, 0.1);
    close(result.best_f1, (100 * (3 + 2 / 3)) / 4);
    assert.equal(result.best_f1_thresh, 0.6);
  });

  it('requires a prediction for every question', () => {
    assert.throws(() => squadV2(references, new Map([['a', 'x']])), { name: 'MetricInputError', message: 'no prediction for question b' });
  });
});
