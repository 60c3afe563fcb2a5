// Masked-LM data: masking statistics against run_mlm's contract (rate, 80/10/10, specials and padding never masked,
// whole words together, seeded), block grouping against per-line encodings, and bad corpora.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Batch } from '../../src/data/collate.js';
import { IGNORE_INDEX } from '../../src/data/features.js';
import {
  maskBatch, maskingRng, mlmFeatures, specialTokenIds, streamLines, textFileChunks, type MaskingOptions,
} from '../../src/data/mlm.js';
import { nspFeatures } from '../../src/data/mlm-nsp.js';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';
import { BERT_DIR } from './shared.js';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-mlm-data-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const CLS = 101;
const SEP = 102;
const PAD = 0;
const MASK = 103;
const VOCAB = 30522;
const options = (wholeWordMasking = false): MaskingOptions => ({
  mlmProbability: 0.15, wholeWordMasking, maskTokenId: MASK, vocabSize: VOCAB, specialIds: new Set([CLS, SEP, PAD, MASK]),
});

/** B rows of width T: [CLS] words… [SEP] then padding (row r has T - r % 7 real tokens); words of 1–3 tokens. */
function syntheticBatch(b: number, t: number): { batch: Batch; wordIds: Int32Array[] } {
  const batch: Batch = {
    size: [b, t], input_ids: new Int32Array(b * t).fill(PAD), attention_mask: new Int32Array(b * t),
    token_type_ids: new Int32Array(b * t), feature_index: Int32Array.from({ length: b }, (_, i) => i),
  };
  const wordIds: Int32Array[] = [];
  for (let r = 0; r < b; r++) {
    const length = t - (r % 7);
    const words = new Int32Array(t).fill(-1);
    let word = 0;
    let left = 0;
    for (let p = 0; p < length; p++) {
      const at = r * t + p;
      batch.attention_mask[at] = 1;
      if (p === 0 || p === length - 1) { batch.input_ids[at] = p === 0 ? CLS : SEP; continue; }
      batch.input_ids[at] = 1000 + ((r * 131 + p * 17) % 20000);
      if (left === 0) { word++; left = 1 + (word % 3); }
      words[p] = word;
      left--;
    }
    wordIds.push(words);
  }
  return { batch, wordIds };
}

test('masking: 15 % of the maskable tokens, split 80/10/10, never specials or padding', () => {
  const { batch, wordIds } = syntheticBatch(256, 128);
  const out = maskBatch(batch, wordIds, maskingRng(7, 0, 0), options());
  let maskable = 0;
  let chosen = 0;
  let masked = 0;
  let random = 0;
  let kept = 0;
  for (let i = 0; i < batch.input_ids.length; i++) {
    const original = batch.input_ids[i];
    const special = batch.attention_mask[i] === 0 || [CLS, SEP, PAD].includes(original);
    if (special) {
      assert.equal(out.labels![i], IGNORE_INDEX, `special or padding at ${i} was chosen`);
      assert.equal(out.input_ids[i], original, `special or padding at ${i} was changed`);
      continue;
    }
    maskable++;
    if (out.labels![i] === IGNORE_INDEX) {
      assert.equal(out.input_ids[i], original);
      continue;
    }
    chosen++;
    assert.equal(out.labels![i], original, 'the label is the original token');
    if (out.input_ids[i] === MASK) masked++;
    else if (out.input_ids[i] === original) kept++;
    else random++;
  }
  // 30k maskable tokens: 4 standard deviations of a binomial are well under these margins.
  assert.ok(Math.abs(chosen / maskable - 0.15) < 0.01, `rate ${chosen / maskable}`);
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.03, `[MASK] share ${masked / chosen}`);
  assert.ok(Math.abs(random / chosen - 0.1) < 0.02, `random share ${random / chosen}`);
  assert.ok(Math.abs(kept / chosen - 0.1) < 0.02, `kept share ${kept / chosen}`);
  assert.equal(batch.labels, undefined, 'the input batch is not modified');
});

test('masking is a function of (seed, epoch, batch, rank)', () => {
  const { batch, wordIds } = syntheticBatch(8, 64);
  const a = maskBatch(batch, wordIds, maskingRng(3, 1, 5), options());
  const b = maskBatch(batch, wordIds, maskingRng(3, 1, 5), options());
  assert.deepEqual(a.input_ids, b.input_ids);
  assert.deepEqual(a.labels, b.labels);
  for (const other of [maskingRng(4, 1, 5), maskingRng(3, 2, 5), maskingRng(3, 1, 6), maskingRng(3, 1, 5, 1)]) {
    assert.notDeepEqual(maskBatch(batch, wordIds, other, options()).labels, a.labels);
  }
});

test('whole-word masking chooses every sub-token of a word or none, at the rate', () => {
  const { batch, wordIds } = syntheticBatch(128, 128);
  const out = maskBatch(batch, wordIds, maskingRng(11, 0, 0), options(true));
  let chosen = 0;
  let maskable = 0;
  for (let r = 0; r < 128; r++) {
    const byWord = new Map<number, boolean[]>();
    wordIds[r].forEach((word, p) => {
      if (word < 0 || batch.attention_mask[r * 128 + p] === 0) return;
      maskable++;
      const picked = out.labels![r * 128 + p] !== IGNORE_INDEX;
      if (picked) chosen++;
      byWord.set(word, [...(byWord.get(word) ?? []), picked]);
    });
    for (const [word, picks] of byWord) assert.ok(picks.every((p) => p === picks[0]), `row ${r} word ${word} split: ${picks}`);
    for (let p = 0; p < 128; p++) if (wordIds[r][p] < 0) assert.equal(out.labels![r * 128 + p], IGNORE_INDEX);
  }
  assert.ok(Math.abs(chosen / maskable - 0.15) < 0.02, `rate ${chosen / maskable}`);
});

test('grouping: texts encoded with their special tokens, joined, cut into full blocks (HF group_texts)', async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(BERT_DIR);
  const lines = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} talks about ${'things '.repeat(i % 5)}and more.`);
  const corpus = file('grouped.txt', `${lines.slice(0, 20).join('\n')}\n\n${lines.slice(20).join('\n')}\n`);
  const set = await mlmFeatures(tokenizer, textFileChunks(corpus), corpus, { maxSeqLength: 32, lineByLine: false });
  const expected = (await tokenizer.encodeBatch(lines)).flatMap((e) => e.input_ids); // the blank line is skipped
  const blocks = Math.floor(expected.length / 32);
  assert.equal(set.features.length, blocks);
  assert.ok(set.features.every((f) => f.input_ids.length === 32));
  assert.deepEqual(set.features.flatMap((f) => Array.from(f.input_ids)), expected.slice(0, blocks * 32));
  // word ids: -1 exactly at special tokens, and never shared across two lines
  const specials = specialTokenIds(tokenizer);
  set.features.forEach((f, i) => f.input_ids.forEach((id, t) => assert.equal(set.wordIds[i][t] < 0, specials.has(id))));

  const byLine = await mlmFeatures(tokenizer, textFileChunks(corpus), corpus, { maxSeqLength: 32, lineByLine: true });
  assert.equal(byLine.features.length, 40);
  assert.deepEqual(Array.from(byLine.features[3].input_ids), (await tokenizer.encode(lines[3])).input_ids);
  const limited = await mlmFeatures(tokenizer, textFileChunks(corpus), corpus, { maxSeqLength: 32, lineByLine: false, maxSamples: 2 });
  assert.equal(limited.features.length, 2);
});

test('next sentence prediction pairs: [CLS] A [SEP] B [SEP], token types, both labels, within the length', async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(BERT_DIR);
  const docs = Array.from({ length: 6 }, (_, d) => Array.from({ length: 8 }, (_, s) => `document ${d} sentence ${s} is here.`).join('\n'));
  const corpus = file('docs.txt', `${docs.join('\n\n')}\n`);
  const set = await nspFeatures(tokenizer, corpus, { maxSeqLength: 40, seed: 1 });
  assert.ok(set.features.length >= 6);
  const labels = new Set(set.features.map((f) => f.label));
  assert.deepEqual([...labels].sort(), [0, 1]);
  for (const f of set.features) {
    const ids = Array.from(f.input_ids);
    assert.ok(ids.length <= 40);
    assert.equal(ids[0], CLS);
    assert.equal(ids.at(-1), SEP);
    const firstSep = ids.indexOf(SEP);
    assert.ok(firstSep > 1 && firstSep < ids.length - 2, 'A and B are non-empty');
    assert.deepEqual(Array.from(f.token_type_ids), ids.map((_, t) => (t > firstSep ? 1 : 0)));
  }
  const again = await nspFeatures(tokenizer, corpus, { maxSeqLength: 40, seed: 1 });
  assert.deepEqual(again.features.map((f) => Array.from(f.input_ids)), set.features.map((f) => Array.from(f.input_ids)));
});

test('bad corpora: empty, binary, a line longer than a block (line by line), too few tokens for one block', async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(BERT_DIR);
  const features = (path: string, lineByLine = false) =>
    mlmFeatures(tokenizer, textFileChunks(path), path, { maxSeqLength: 16, lineByLine });
  const empty = file('empty.txt', '');
  await assert.rejects(features(empty), { message: `${empty}: no text (an empty corpus)` });
  const blank = file('blank.txt', '\n  \n\n');
  await assert.rejects(features(blank), { message: `${blank}: no text (an empty corpus)` });
  const binary = file('binary.bin', Buffer.from([0x68, 0x69, 0x0a, 0x00, 0xff, 0x10, 0x0a]));
  await assert.rejects(features(binary), { message: `${binary}:2: has a NUL byte: a binary file, not text` });
  const latin1 = file('latin1.txt', Buffer.from('ok\ncaf\xe9\n', 'latin1'));
  await assert.rejects(features(latin1), { message: `${latin1}:2: is not UTF-8 text (a binary file?)` });
  const long = file('long.txt', `short line\n${'word '.repeat(40)}\n`);
  await assert.rejects(features(long, true), (err: Error) =>
    err.message.startsWith(`${long}:2: 42 tokens, longer than a block of --max-seq-length 16`) && !err.message.includes('\n'));
  const tiny = file('tiny.txt', 'two words\n');
  await assert.rejects(features(tiny), /tiny\.txt: fewer tokens \(4\) than one block of --max-seq-length 16/);
});

test('streaming reads lines across read boundaries, CRLF and a last line without newline', async () => {
  const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
  const path = file('many.txt', `${lines.join('\r\n')}`);
  const seen: string[] = [];
  let expectedFirst = 1;
  for await (const chunk of streamLines(path, 4096)) {
    assert.equal(chunk.firstLine, expectedFirst);
    expectedFirst += chunk.lines.length;
    seen.push(...chunk.lines);
  }
  assert.deepEqual(seen, lines);
});
