import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before } from 'node:test';
import { Tokenizer as NativeTokenizer } from 'tokenizers';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';
import { TokenizerError } from '../../src/tokenizers/errors.js';
import { Tokenizer, type Encoding } from '../../src/tokenizers/tokenizer.js';
import { readGlueTsv } from '../../src/data/glue.js';
import { BERT_DIR, GLUE_DIR } from '../data/shared.js';

let fromJson: Tokenizer;
let fromVocab: Tokenizer;

before(async () => {
  fromJson = await Tokenizer.fromFile(path.join(BERT_DIR, 'tokenizer.json'));
  fromVocab = await Tokenizer.fromWordPieceVocab({ file: path.join(BERT_DIR, 'vocab.txt') }, { lowercase: true });
});

function sameEncoding(a: Encoding, b: Encoding, what: string): void {
  for (const key of ['input_ids', 'token_type_ids', 'attention_mask', 'special_tokens_mask', 'offsets', 'sequence_ids'] as const) {
    assert.deepEqual(a[key], b[key], `${what}: ${key}`);
  }
}

describe('tokenizer.json and vocab.txt give the same tokenizer', () => {
  it('encodes the first 200 MRPC dev pairs identically (ids, type ids, offsets)', async () => {
    const pairs = readGlueTsv('mrpc', path.join(GLUE_DIR, 'MRPC/dev.tsv')).examples.slice(0, 200)
      .map((example) => [example.text, example.textPair!] as const);
    const a = await fromJson.encodeBatch(pairs);
    const b = await fromVocab.encodeBatch(pairs);
    assert.equal(a.length, 200);
    a.forEach((encoding, i) => sameEncoding(encoding, b[i], `pair ${i}`));
    // and both agree with the native library encoding the pair in one call
    const native = NativeTokenizer.fromFile(path.join(BERT_DIR, 'tokenizer.json'));
    for (let i = 0; i < 200; i += 37) {
      const reference = await native.encode(pairs[i][0], pairs[i][1]);
      assert.deepEqual(a[i].input_ids, reference.getIds());
      assert.deepEqual(a[i].token_type_ids, reference.getTypeIds());
    }
  });

  it('reads special tokens and sizes from the files', () => {
    for (const tokenizer of [fromJson, fromVocab]) {
      assert.deepEqual([tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.maskTokenId],
        [0, 100, 101, 102, 103]);
      assert.equal(tokenizer.vocabSize, 30522);
      assert.equal(tokenizer.numSpecialTokens(false), 2);
      assert.equal(tokenizer.numSpecialTokens(true), 3);
      assert.deepEqual(tokenizer.normalization, { lowercase: true, stripAccents: true, handleChineseChars: true });
    }
  });
});

describe('BERT normalisation and WordPiece rules (hand-checked)', () => {
  it('lower-cases and strips accents, keeping offsets on the original text', async () => {
    const encoding = await fromJson.encode('Héllo Wörld');
    assert.deepEqual(encoding.tokens, ['[CLS]', 'hello', 'world', '[SEP]']);
    assert.deepEqual(encoding.offsets, [[0, 0], [0, 5], [6, 11], [0, 0]]);
    assert.deepEqual(encoding.sequence_ids, [null, 0, 0, null]);
  });

  it('splits Chinese characters one per token and counts offsets in code points (emoji = 1)', async () => {
    const encoding = await fromJson.encode('中文😀x');
    assert.deepEqual(encoding.tokens, ['[CLS]', '中', '文', '[UNK]', '[SEP]']);
    // '😀x' is one word for BERT's pre-tokenizer (no space, not punctuation), unknown as a whole
    assert.deepEqual(encoding.offsets.slice(1, 4), [[0, 1], [1, 2], [2, 4]]);
  });

  it('turns a word longer than 100 characters into [UNK], and splits one of exactly 100', async () => {
    const long = await fromJson.encode('a'.repeat(101));
    assert.deepEqual(long.tokens, ['[CLS]', '[UNK]', '[SEP]']);
    assert.deepEqual(long.offsets[1], [0, 101]);
    const limit = await fromJson.encode('b'.repeat(100));
    assert.ok(limit.tokens.length > 3 && !limit.tokens.includes('[UNK]'));
    assert.ok(limit.tokens.slice(2, -1).every((token) => token.startsWith('##')));
  });

  it('splits punctuation and sub-words, and matches special tokens written in the text', async () => {
    const encoding = await fromJson.encode("unaffable, [MASK]!");
    assert.deepEqual(encoding.tokens, ['[CLS]', 'una', '##ffa', '##ble', ',', '[MASK]', '!', '[SEP]']);
    assert.deepEqual(encoding.special_tokens_mask, [1, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('decodes ids back to normalised text', async () => {
    const encoding = await fromJson.encode('Héllo, unaffable world!');
    assert.equal(await fromJson.decode(encoding.input_ids), 'hello, unaffable world!');
    assert.equal(await fromJson.decode(encoding.input_ids, { skipSpecialTokens: false }), '[CLS] hello, unaffable world! [SEP]');
  });
});

describe('truncation', () => {
  const first = 'one two three four five six seven eight'; // 8 tokens
  const second = 'a b c d'; // 4 tokens

  it("'longest_first' trims the longer text until the pair fits", async () => {
    const encoding = await fromJson.encode(first, second, { maxLength: 11, truncation: 'longest_first' });
    // budget 11 - 3 = 8: the 8 + 4 tokens become 4 + 4
    assert.deepEqual(encoding.tokens, ['[CLS]', 'one', 'two', 'three', 'four', '[SEP]', 'a', 'b', 'c', 'd', '[SEP]']);
    const tight = await fromJson.encode(first, second, { maxLength: 8 });
    // budget 5, less than twice the shorter text: the shorter gets floor(5 / 2) = 2 tokens, the longer 3
    assert.deepEqual(tight.tokens, ['[CLS]', 'one', 'two', 'three', '[SEP]', 'a', 'b', '[SEP]']);
  });

  it("'only_first' and 'only_second' trim one text and fail when it cannot absorb the excess", async () => {
    const onlyFirst = await fromJson.encode(first, second, { maxLength: 10, truncation: 'only_first' });
    assert.deepEqual(onlyFirst.tokens.filter((_, i) => onlyFirst.sequence_ids[i] === 0), ['one', 'two', 'three']);
    const onlySecond = await fromJson.encode(first, second, { maxLength: 13, truncation: 'only_second' });
    assert.deepEqual(onlySecond.tokens.filter((_, i) => onlySecond.sequence_ids[i] === 1), ['a', 'b']);
    await assert.rejects(fromJson.encode(first, second, { maxLength: 11, truncation: 'only_second' }), {
      name: 'TokenizerError',
      message: "truncation 'only_second' cannot fit maxLength 11: the second text has 4 tokens but 4 must go (the other text has 8, special tokens 3)",
    });
    await assert.rejects(fromJson.encode(first, null, { maxLength: 5, truncation: 'only_second' }),
      { message: "truncation 'only_second' needs a pair of texts, got one" });
  });

  it('rejects a stride that the native library would abort the process on', async () => {
    await assert.rejects(fromJson.encode('q', first, { maxLength: 8, truncation: 'only_second', stride: 4 }),
      { name: 'TokenizerError', message: 'stride 4 must be smaller than the 4 tokens of text each window keeps' });
    await assert.rejects(fromJson.encode('q', first, { maxLength: 2 }), TokenizerError);
  });

  it('returns overflow windows sharing `stride` tokens, with segment ids and offsets of every window', async () => {
    const context = 'one two three four five six seven eight nine ten';
    const encoding = await fromJson.encode('Q', context, { maxLength: 9, truncation: 'only_second', stride: 2, returnOverflowing: true });
    const windows = [encoding, ...encoding.overflowing];
    // 9 - 3 special - 1 question token = 5 context tokens per window, each starting 5 - 2 = 3 tokens later
    assert.deepEqual(windows.map((w) => w.tokens.join(' ')), [
      '[CLS] q [SEP] one two three four five [SEP]',
      '[CLS] q [SEP] four five six seven eight [SEP]',
      '[CLS] q [SEP] seven eight nine ten [SEP]',
    ]);
    for (const window of windows) {
      const n = window.tokens.length;
      assert.deepEqual(window.sequence_ids, [null, 0, null, ...Array(n - 4).fill(1), null]);
      assert.deepEqual(window.token_type_ids, [0, 0, 0, ...Array(n - 4).fill(1), 1]);
      assert.deepEqual(window.attention_mask, Array(n).fill(1));
      window.offsets.forEach(([start, end], i) => {
        if (window.sequence_ids[i] === 1) assert.equal(context.slice(start, end), window.tokens[i]);
      });
    }
    const dropped = await fromJson.encode('Q', context, { maxLength: 9, truncation: 'only_second', stride: 2 });
    assert.deepEqual(dropped.tokens, windows[0].tokens);
    assert.deepEqual(dropped.overflowing, []);
  });

  it('windows the first text too, and keeps the sequence ids of a truncated first text', async () => {
    const encoding = await fromJson.encode(first, 'x', { maxLength: 8, truncation: 'only_first', stride: 1, returnOverflowing: true });
    assert.deepEqual([encoding, ...encoding.overflowing].map((w) => w.tokens.join(' ')), [
      '[CLS] one two three four [SEP] x [SEP]',
      '[CLS] four five six seven [SEP] x [SEP]',
      '[CLS] seven eight [SEP] x [SEP]',
    ]);
    assert.deepEqual(encoding.sequence_ids, [null, 0, 0, 0, 0, null, 1, null]);
    await assert.rejects(fromJson.encode(first, first, { maxLength: 8, returnOverflowing: true }),
      { message: "overflow windows need one text to be cut: use truncation 'only_first' or 'only_second'" });
  });
});

describe('bad tokenizer files', () => {
  it('fail with TokenizerError naming the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tunelab-badtok-'));
    await writeFile(path.join(dir, 'tokenizer.json'), '{"version": "1.0", "model": {"type": "Nope"}}');
    await assert.rejects(Tokenizer.fromFile(path.join(dir, 'tokenizer.json')),
      (err: unknown) => err instanceof TokenizerError && err.message.startsWith(`${dir}/tokenizer.json: not a tokenizer.json: `));
    await assert.rejects(Tokenizer.fromWordPieceVocab({ file: path.join(dir, 'vocab.txt') }),
      { message: `${dir}/vocab.txt: cannot read the WordPiece vocabulary: No such file or directory (os error 2)` });
    await assert.rejects(Tokenizer.fromWordPieceVocab(['a', 'b']), { message: 'the vocabulary has no CLS token ([CLS] or <s>)' });
    await writeFile(path.join(dir, 'tokenizer_config.json'), '{"do_lower_case": "yes"}');
    await assert.rejects(AutoTokenizer.fromPretrained(dir),
      { message: `${dir}/tokenizer_config.json: do_lower_case must be true, false or null (got "yes")` });
    await writeFile(path.join(dir, 'tokenizer_config.json'), '{}');
    await rm(path.join(dir, 'tokenizer.json'));
    await assert.rejects(AutoTokenizer.fromPretrained(dir), {
      message: `${dir}: no tokenizer.json or vocab.txt (only BERT-style WordPiece vocabularies load without tokenizer.json)`,
    });
  });
});

describe('pre-split words (NER)', () => {
  it('gives each token the index of its input word', async () => {
    const [encoding] = await fromJson.encodeWordsBatch([['Hugging', 'Face', 'is', 'in', 'NYC!']]);
    assert.deepEqual(encoding.tokens, ['[CLS]', 'hugging', 'face', 'is', 'in', 'nyc', '!', '[SEP]']);
    assert.deepEqual(encoding.word_ids, [null, 0, 1, 2, 3, 4, 4, null]);
  });
});

describe('savePretrained', () => {
  it('writes files that load back to the same tokenizer, from tokenizer.json and from vocab.txt', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tunelab-tok-'));
    await fromVocab.savePretrained(dir);
    const vocab = (await readFile(path.join(dir, 'vocab.txt'), 'utf8')).split('\n');
    const original = (await readFile(path.join(BERT_DIR, 'vocab.txt'), 'utf8')).split('\n');
    assert.deepEqual(vocab, original);
    const config = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(config.do_lower_case, true);
    assert.equal(config.cls_token, '[CLS]');
    const special = JSON.parse(await readFile(path.join(dir, 'special_tokens_map.json'), 'utf8'));
    assert.deepEqual(special, { cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', mask_token: '[MASK]', unk_token: '[UNK]' });
    const text = 'Saving, then loading: Ünïcode 中 stays.';
    const expected = await fromVocab.encode(text, 'pair');
    const reloaded = await AutoTokenizer.fromPretrained(dir);
    sameEncoding(await reloaded.encode(text, 'pair'), expected, 'reloaded');
    await rm(path.join(dir, 'tokenizer.json'));
    const fromVocabFile = await AutoTokenizer.fromPretrained(dir);
    sameEncoding(await fromVocabFile.encode(text, 'pair'), expected, 'from vocab.txt');
  });

  it('AutoTokenizer reads the shared bert-base-uncased folder', async () => {
    const tokenizer = await AutoTokenizer.fromPretrained(BERT_DIR);
    assert.equal(tokenizer.vocabSize, 30522);
    assert.equal(tokenizer.modelMaxLength, null);
  });
});
