import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, test } from 'node:test';
import { readGlueTsv } from '../../src/data/glue.js';
import { generateParaphrasePairs, writeSyntheticParaphraseCorpus } from '../../src/data/synthetic.js';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';

describe('synthetic paraphrase corpus', () => {
  it('is a function of the seed: same seed, same bytes; another seed, other pairs', async () => {
    const [a, b] = await Promise.all([1, 2].map(async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'tunelab-synth-'));
      const files = await writeSyntheticParaphraseCorpus(dir, { seed: 5, trainSize: 300, devSize: 50 });
      return Promise.all([files.train, files.dev, path.join(files.tokenizer, 'vocab.txt'), path.join(files.tokenizer, 'tokenizer.json')]
        .map((file) => readFile(file, 'utf8')));
    }));
    assert.deepEqual(a, b);
    assert.notDeepEqual(generateParaphrasePairs(6, 50), generateParaphrasePairs(5, 50));
    assert.deepEqual(generateParaphrasePairs(5, 50), generateParaphrasePairs(5, 50));
  });

  it('is balanced, distinct, and reads back as MRPC with a tokenizer that knows every character', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tunelab-synth-'));
    const files = await writeSyntheticParaphraseCorpus(dir, { seed: 42 });
    const train = readGlueTsv('mrpc', files.train);
    const dev = readGlueTsv('mrpc', files.dev);
    assert.deepEqual([train.examples.length, dev.examples.length], [3000, 400]);
    const positives = train.examples.filter((e) => e.label === 1).length / train.examples.length;
    assert.ok(positives > 0.45 && positives < 0.55, `positive share ${positives}`);
    const keys = new Set([...train.examples, ...dev.examples].map((e) => `${e.text}\t${e.textPair}`));
    assert.equal(keys.size, 3400);
    const tokenizer = await AutoTokenizer.fromPretrained(files.tokenizer);
    assert.equal(tokenizer.vocabSize, 200);
    assert.equal(tokenizer.modelMaxLength, 64);
    const encodings = await tokenizer.encodeBatch(dev.examples.map((e) => [e.text, e.textPair!] as const));
    assert.ok(encodings.every((e) => !e.input_ids.includes(tokenizer.unkTokenId) && e.input_ids.length <= 64));
    // paraphrases and non-paraphrases share most words: the label is not given away by overlap alone
    const overlap = (label: number) => {
      const pairs = train.examples.filter((e) => e.label === label);
      return pairs.reduce((sum, e) => {
        const a = new Set(e.text.split(' '));
        const b = e.textPair!.split(' ');
        return sum + b.filter((w) => a.has(w)).length / b.length;
      }, 0) / pairs.length;
    };
    assert.ok(Math.abs(overlap(1) - overlap(0)) < 0.15, `overlap ${overlap(1)} vs ${overlap(0)}`);
  });
});

test('rewordRate 0 keeps paraphrases worded like their source; 1 rewords them', () => {
  const differingWords = (pairs: { label: number; sentence1: string; sentence2: string }[]) => {
    const positives = pairs.filter((pair) => pair.label === 1);
    const changed = positives.filter((pair) => pair.sentence1 !== pair.sentence2).length;
    return { positives: positives.length, changed };
  };
  // With nothing reworded a paraphrase would equal its source, and identical pairs are skipped: none are left.
  assert.equal(differingWords(generateParaphrasePairs(3, 200, 0)).positives, 0);
  const free = differingWords(generateParaphrasePairs(3, 200, 1));
  assert.ok(free.positives > 60 && free.changed === free.positives);
  // Non-paraphrases with rewordRate 0 differ from their source in the changed slot only (a swap of roles moves two
  // words each way), or by the negation "never".
  for (const pair of generateParaphrasePairs(3, 100, 0)) {
    const a = pair.sentence1.split(' ').filter((word) => word !== 'never');
    const b = pair.sentence2.split(' ').filter((word) => word !== 'never');
    assert.equal(a.length, b.length);
    assert.ok(a.filter((word, i) => word !== b[i]).length <= 4, `${pair.sentence1} | ${pair.sentence2}`);
  }
});
