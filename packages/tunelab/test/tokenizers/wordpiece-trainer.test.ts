import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tokenizer } from '../../src/tokenizers/tokenizer.js';
import { trainWordPiece } from '../../src/tokenizers/wordpiece-trainer.js';
import { codePointLength, codePointToUtf16Map, sliceCodePoints } from '../../src/tokenizers/offsets.js';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

describe('WordPiece training', () => {
  it('starts from characters and merges the most frequent pair first (hand-worked)', () => {
    // words: "ab" ×3, "abc" ×1 → pieces a ##b (×4), ##b ##c (×1)
    const vocab = trainWordPiece(['ab ab', 'AB abc'], { vocabSize: 11, minFrequency: 1 });
    assert.deepEqual(vocab, [...SPECIAL, 'a', 'b', 'c', '##b', '##c', 'ab']);
    // one more slot: after merging a+##b, "abc" is ab ##c → merged
    assert.deepEqual(trainWordPiece(['ab ab', 'AB abc'], { vocabSize: 12, minFrequency: 1 }).slice(-2), ['ab', 'abc']);
    // minFrequency 2 stops before the pair seen once
    assert.deepEqual(trainWordPiece(['ab ab', 'AB abc'], { vocabSize: 50, minFrequency: 2 }).slice(-1), ['ab']);
  });

  it('breaks ties by the smaller pair and does not depend on text order', () => {
    const texts = ['xy xy zw zw', 'punctuation, splits!'];
    const vocab = trainWordPiece(texts, { vocabSize: 100, minFrequency: 2 });
    assert.ok(vocab.indexOf('xy') < vocab.indexOf('zw'));
    assert.deepEqual(trainWordPiece([...texts].reverse(), { vocabSize: 100, minFrequency: 2 }), vocab);
    assert.ok(vocab.includes(',') && vocab.includes('!'));
  });

  it('builds a tokenizer that splits unseen words into learned pieces', async () => {
    const vocab = trainWordPiece(['walking talking walked talked', 'walk talk walks talks'], { vocabSize: 40, minFrequency: 2 });
    const tokenizer = await Tokenizer.fromWordPieceVocab(vocab);
    const encoding = await tokenizer.encode('Walking talks');
    assert.deepEqual(encoding.tokens[0], '[CLS]');
    assert.equal(await tokenizer.decode(encoding.input_ids), 'walking talks');
    assert.ok(!encoding.input_ids.includes(tokenizer.unkTokenId));
  });
});

describe('code point offsets', () => {
  it('converts code-point offsets to UTF-16 only when slicing', () => {
    const text = 'a😀b中c';
    assert.equal(codePointLength(text), 5);
    assert.deepEqual([...codePointToUtf16Map(text)], [0, 1, 3, 4, 5, 6]);
    assert.equal(sliceCodePoints(text, 1, 3), '😀b');
    assert.equal(sliceCodePoints(text, 4, 99), 'c');
    assert.equal(sliceCodePoints(text, 3, 2), '');
  });
});
