import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { IGNORE_INDEX, sequenceClassificationFeatures, tokenClassificationFeatures } from '../../src/data/features.js';
import { readGlueTsv } from '../../src/data/glue.js';
import { qaEvalFeatures, qaTrainFeatures } from '../../src/data/qa-features.js';
import { readSquadJson } from '../../src/data/squad.js';
import type { QaDataset } from '../../src/data/types.js';
import { codePointLength, sliceCodePoints } from '../../src/tokenizers/offsets.js';
import { Tokenizer, type Offset } from '../../src/tokenizers/tokenizer.js';
import { BERT_DIR, GLUE_DIR, SQUAD_DIR } from './shared.js';

let tokenizer: Tokenizer;
before(async () => {
  tokenizer = await Tokenizer.fromFile(path.join(BERT_DIR, 'tokenizer.json'));
});

describe('sentence-pair classification features', () => {
  it('encodes MRPC dev pairs within maxLength, keeping labels and [CLS] A [SEP] B [SEP]', async () => {
    const dataset = readGlueTsv('mrpc', path.join(GLUE_DIR, 'MRPC/dev.tsv'));
    const set = await sequenceClassificationFeatures(tokenizer, dataset, { maxLength: 32 });
    assert.equal(set.labelKind, 'class');
    assert.equal(set.features.length, 408);
    set.features.forEach((feature, i) => {
      assert.ok(feature.input_ids.length <= 32);
      assert.equal(feature.label, dataset.examples[i].label);
      assert.equal(feature.input_ids[0], 101);
      assert.equal(feature.input_ids[feature.input_ids.length - 1], 102);
      assert.equal(feature.input_ids.filter((id) => id === 102).length, 2);
      const second = feature.token_type_ids.indexOf(1);
      assert.equal(feature.input_ids[second - 1], 102); // segment B starts right after the first [SEP]
    });
    // MRPC sentences are longer than 32 tokens as pairs: truncation happened
    assert.ok(set.features.filter((f) => f.input_ids.length === 32).length > 300);
  });

  it('gives regression features float scores', async () => {
    const dataset = readGlueTsv('stsb', path.join(GLUE_DIR, 'STS-B/dev.tsv'));
    const set = await sequenceClassificationFeatures(tokenizer, { ...dataset, examples: dataset.examples.slice(0, 5) });
    assert.equal(set.labelKind, 'score');
    assert.deepEqual(set.features.map((f) => f.label), dataset.examples.slice(0, 5).map((e) => e.label));
  });
});

describe('token classification features (first sub-token labelled)', () => {
  it('aligns word tags to first sub-tokens and ignores the rest', async () => {
    const set = await tokenClassificationFeatures(tokenizer, {
      labels: ['B-ORG', 'I-ORG', 'O'], source: 'test',
      examples: [{ id: 'e1', tokens: ['Huggingface', 'Inc', 'rocks'], tags: ['B-ORG', 'I-ORG', 'O'] }],
    });
    // [CLS] hugging ##face inc rocks [SEP]
    assert.deepEqual([...set.features[0].token_labels!], [IGNORE_INDEX, 0, IGNORE_INDEX, 1, 2, IGNORE_INDEX]);
  });
});

/** Checks every training window of `dataset` and returns (answerable windows, CLS windows). */
async function checkTrainWindows(dataset: QaDataset, maxLength: number, docStride: number): Promise<[number, number]> {
  const train = await qaTrainFeatures(tokenizer, dataset, { maxLength, docStride });
  const evaluation = await qaEvalFeatures(tokenizer, dataset, { maxLength, docStride });
  assert.equal(train.features.length, evaluation.info.length);
  const byId = new Map(dataset.examples.map((example) => [example.id, example]));
  let answered = 0;
  let cls = 0;
  train.features.forEach((feature, f) => {
    const { exampleId, offsets } = evaluation.info[f];
    const example = byId.get(exampleId)!;
    assert.ok(feature.input_ids.length <= maxLength);
    const start = feature.start_position!;
    const end = feature.end_position!;
    const contextOffsets = offsets.filter((o): o is Offset => o !== null);
    if (example.answers.length === 0) {
      assert.deepEqual([start, end], [0, 0]);
      cls++;
      return;
    }
    const { text, answerStart } = example.answers[0];
    const answerEnd = answerStart + codePointLength(text);
    const windowHasAnswer = contextOffsets[0][0] <= answerStart && contextOffsets[contextOffsets.length - 1][1] >= answerEnd;
    if (!windowHasAnswer) {
      assert.deepEqual([start, end], [0, 0], `${exampleId}: window without the answer points at CLS`);
      cls++;
      return;
    }
    answered++;
    // the span is inside the context, starts in the answer's first token and ends in its last
    assert.ok(offsets[start] && offsets[end] && start <= end, `${exampleId}: span in context`);
    assert.ok(offsets[start]![0] <= answerStart && answerStart < offsets[start]![1], `${exampleId}: start token holds the answer start`);
    assert.ok(offsets[end]![0] < answerEnd && answerEnd <= offsets[end]![1], `${exampleId}: end token holds the answer end`);
    const span = sliceCodePoints(example.context, offsets[start]![0], offsets[end]![1]);
    assert.ok(span.includes(text), `${exampleId}: "${span}" decodes to the answer "${text}"`);
    assert.equal(span.trim().length - text.length < 20, true);
  });
  return [answered, cls];
}

describe('QA training features (run_qa prepare_train_features)', () => {
  it('maps every answerable window of SQuAD v1.1 to tokens holding exactly the answer', async () => {
    const dataset = readSquadJson(path.join(SQUAD_DIR, 'sample-v1.1.json'));
    const [answered, cls] = await checkTrainWindows(dataset, 384, 128);
    assert.ok(answered >= dataset.examples.length, `${answered} answerable windows`);
    // short windows: contexts split into several, many without the answer
    const [shortAnswered, shortCls] = await checkTrainWindows(dataset, 64, 16);
    assert.ok(shortAnswered >= dataset.examples.length && shortCls > cls);
  });

  it('points unanswerable SQuAD v2.0 questions at CLS', async () => {
    const dataset = readSquadJson(path.join(SQUAD_DIR, 'sample-v2.0.json'));
    const [, cls] = await checkTrainWindows(dataset, 128, 32);
    assert.ok(cls >= 333);
  });

  it('maps an answer at the last context token of a window to that token, not to [SEP]', async () => {
    const context = 'one two three four five six seven eight nine ten';
    const dataset: QaDataset = { version: '1.1', source: 't', examples: [
      { id: 'edge', title: '', context, question: 'which', answers: [{ text: 'five', answerStart: context.indexOf('five') }] },
    ] };
    const set = await qaTrainFeatures(tokenizer, dataset, { maxLength: 9, docStride: 2 });
    // windows: [CLS] which [SEP] one two three four five [SEP] | four five six seven eight | seven eight nine ten
    assert.deepEqual(set.features.map((f) => [f.start_position, f.end_position]), [[7, 7], [4, 4], [0, 0]]);
  });

  it('names the question whose text leaves no room for its context', async () => {
    const dataset: QaDataset = { version: '1.1', source: 't', examples: [
      { id: 'ok', title: '', context: 'short context', question: 'q', answers: [] },
      { id: 'long-q', title: '', context: 'short context', question: 'why '.repeat(20), answers: [] },
    ] };
    await assert.rejects(qaTrainFeatures(tokenizer, dataset, { maxLength: 16, docStride: 4 }), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.equal(err.message, "long-q: truncation 'only_second' cannot fit maxLength 16: the second text has 2 tokens but 9 must go (the other text has 20, special tokens 3)");
      return true;
    });
  });
});

describe('QA evaluation features (run_qa prepare_validation_features)', () => {
  it('keeps context offsets only, the example id, and windows overlapping by doc stride', async () => {
    const dataset = readSquadJson(path.join(SQUAD_DIR, 'sample-v1.1.json'));
    const { set, info } = await qaEvalFeatures(tokenizer, dataset, { maxLength: 96, docStride: 24 });
    assert.equal(set.labelKind, 'none');
    assert.deepEqual([...new Set(info.map((i) => i.exampleId))], dataset.examples.map((e) => e.id));
    info.forEach(({ offsets }, f) => {
      const ids = set.features[f].input_ids;
      assert.equal(offsets.length, ids.length);
      const firstContext = offsets.findIndex((o) => o !== null);
      assert.equal(ids[firstContext - 1], 102); // question and [SEP] before the context carry no offsets
      assert.equal(offsets[ids.length - 1], null);
      if (f > 0 && info[f - 1].exampleId === info[f].exampleId) {
        const previous = info[f - 1].offsets.filter((o) => o !== null);
        const current = offsets.filter((o) => o !== null);
        assert.deepEqual(current.slice(0, 24), previous.slice(-24), 'consecutive windows share doc_stride tokens');
      }
    });
    assert.ok(info.length > dataset.examples.length);
  });
});
