// POST /v1/predict for every head against `tunelab predict`'s records for the same input (one input runs alone, as
// predict runs it, so the numbers are equal, not close); lists and Inference API bodies; NER grouping and fill-mask
// against references computed here from predict's tags and from the model's own forward pass.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as torch from '@tunelab/torch';
import { AutoModelForMaskedLM } from '../../src/models/auto.js';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';
import { NER_LABELS, predictRecord, predictRecords, testServing, tinyHeadModel, type TestServing } from './helpers.js';

torch.setNumThreads(1);

async function json(response: Response, status = 200): Promise<unknown> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text);
}

describe('sequence classification', () => {
  let dir: string;
  let serving: TestServing;
  before(async () => { dir = await tinyHeadModel('classification'); serving = await testServing(dir); });
  after(() => serving.close());

  test('a text, a pair, a list and an Inference API body answer predict\'s records', async () => {
    const single = await predictRecord(dir, { text: 'the cat sat on the mat' });
    const pair = await predictRecord(dir, { text: 'the cat sat', textPair: 'a cat was sitting' });
    assert.deepEqual(await json(await serving.post({ text: 'the cat sat on the mat' })), single);
    assert.deepEqual(await json(await serving.post('the cat sat on the mat')), single);
    assert.deepEqual(await json(await serving.post({ text: 'the cat sat', text_pair: 'a cat was sitting' })), pair);
    assert.deepEqual(await json(await serving.post({ inputs: { text: 'the cat sat', text_pair: 'a cat was sitting' } })), pair);
    assert.deepEqual(await json(await serving.post({ inputs: 'the cat sat on the mat', parameters: {}, options: { wait_for_model: true } })), single);
    // A list answers a list, in order; its rows may share a batch, so numbers are compared closely, labels exactly.
    const list = await json(await serving.post([{ text: 'the cat sat', text_pair: 'a cat was sitting' }, 'the cat sat on the mat'])) as Record<string, unknown>[];
    assert.equal(list.length, 2);
    for (const [answer, expected] of [[list[0], pair], [list[1], single]] as const) {
      assert.equal(answer.label, expected.label);
      assert.ok(Math.abs((answer.score as number) - (expected.score as number)) < 1e-5);
    }
    assert.equal(single.label, ['negative', 'neutral', 'positive'][single.label_id as number]);
  });

  test('a text beyond max_seq_length is truncated as predict truncates it', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i % 17}`).join(' ');
    assert.deepEqual(await json(await serving.post({ text: long })), await predictRecord(dir, { text: long }));
  });
});

test('regression: the score and logits of predict', async () => {
  const dir = await tinyHeadModel('regression');
  const serving = await testServing(dir);
  try {
    const answer = await json(await serving.post({ inputs: { text: 'a man is playing a guitar', text_pair: 'a man plays guitar' } }));
    assert.deepEqual(answer, await predictRecord(dir, { text: 'a man is playing a guitar', textPair: 'a man plays guitar' }));
    assert.deepEqual(Object.keys(answer as object).sort(), ['logits', 'score']);
  } finally {
    serving.close();
  }
});

test('question answering: answer, start, end and score are predict\'s, also over a context of several windows', async () => {
  const dir = await tinyHeadModel('qa');
  const question = 'where did the cat sit?';
  const context = Array.from({ length: 12 }, (_, i) => `sentence ${i} says the cat sat on mat number ${i}.`).join(' ');
  for (const [limits, flags] of [[{}, {}], [{ maxSeqLength: 48, docStride: 16 }, { maxSeqLength: 48, docStride: 16 }]] as const) {
    const serving = await testServing(dir, limits);
    try {
      const expected = await predictRecord(dir, { question, context, ...flags });
      const answer = await json(await serving.post({ inputs: { question, context } })) as Record<string, unknown>;
      assert.deepEqual(answer, { answer: expected.prediction_text, start: expected.answer_start, end: expected.answer_end, score: expected.score });
      if (answer.start !== null) assert.equal(context.slice(answer.start as number, answer.end as number), answer.answer);
      // windowed: 48-token windows over a ~200-token context
      if ('maxSeqLength' in limits) {
        const windows = serving.metrics.text().match(/^tunelab_serve_batch_size_sum (\d+)/m)![1];
        assert.ok(Number(windows) > 3, `only ${windows} windows`);
      }
    } finally {
      serving.close();
    }
  }
});

describe('token classification', () => {
  // Every word of these is one token of bert-base-uncased's vocabulary: the tag of a word is its token's tag.
  const words = ['alice', 'visited', 'paris', 'and', 'bob', 'met', 'carol', 'in', 'rome', 'today'];
  const text = words.join(' ');
  let dir: string;
  let serving: TestServing;
  let tags: string[];
  before(async () => {
    dir = await tinyHeadModel('ner', 11);
    serving = await testServing(dir);
    tags = (await predictRecord(dir, { text })).predicted_tags as string[];
  });
  after(() => serving.close());

  test('aggregation "none": each token\'s tag is predict\'s tag of the word, with offsets into the text', async () => {
    const tokens = await json(await serving.post({ inputs: text, parameters: { aggregation_strategy: 'none' } })) as Record<string, unknown>[];
    const expected = words.map((word, i) => ({ word, entity: tags[i], index: i + 1 })).filter((token) => token.entity !== 'O');
    assert.deepEqual(tokens.map(({ word, entity, index }) => ({ word, entity, index })), expected);
    for (const token of tokens) assert.equal(text.slice(token.start as number, token.end as number), token.word);
    assert.ok(tokens.length > 0, 'the seeded model tags some words');
  });

  test('aggregation "simple" (default): B-/I- runs of one type grouped, O dropped, score the mean', async () => {
    const tokens = await json(await serving.post({ inputs: text, parameters: { aggregation_strategy: 'none' } })) as { entity: string; score: number; index: number }[];
    const scoreOf = new Map(tokens.map((token) => [token.index - 1, token.score]));
    // Hand-run HF's rule over predict's tags: a word joins the previous group when it is I-<same type>.
    const groups: { type: string; words: number[] }[] = [];
    tags.forEach((tag, i) => {
      const type = tag === 'O' ? 'O' : tag.slice(2);
      const last = groups[groups.length - 1];
      if (last && last.type === type && !tag.startsWith('B-')) last.words.push(i);
      else groups.push({ type, words: [i] });
    });
    const expected = groups.filter((group) => group.type !== 'O').map((group) => ({
      entity_group: group.type, word: group.words.map((i) => words[i]).join(' '),
      score: group.words.reduce((sum, i) => sum + scoreOf.get(i)!, 0) / group.words.length,
    }));
    const entities = await json(await serving.post({ text })) as Record<string, unknown>[];
    assert.deepEqual(entities.map(({ entity_group, word, score }) => ({ entity_group, word, score })), expected);
    for (const entity of entities) assert.equal(text.slice(entity.start as number, entity.end as number), entity.word);
    assert.ok(NER_LABELS.includes(`B-${expected[0]?.entity_group}`) || expected.length === 0);
  });
});

test('fill-mask: the top_k tokens of the model\'s softmax at the mask, with the filled-in text', async () => {
  const dir = await tinyHeadModel('mlm');
  const serving = await testServing(dir);
  const tokenizer = await AutoTokenizer.fromPretrained(dir);
  const model = await AutoModelForMaskedLM.fromPretrained(dir);
  try {
    const text = 'the cat [MASK] on the mat.';
    const encoding = await tokenizer.encode(text);
    const position = encoding.input_ids.indexOf(tokenizer.maskTokenId);
    const probabilities = torch.noGrad(() => torch.scope(() => {
      const ids = torch.fromTypedArray(Int32Array.from(encoding.input_ids), [1, encoding.input_ids.length], { dtype: 'int64' });
      return model.forward({ input_ids: ids }).logits.select(1, position).softmax(-1).double().toTypedArray() as Float64Array;
    }));
    const top = Array.from(probabilities, (p, id) => [p, id] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
    const answer = await json(await serving.post({ inputs: text, parameters: { top_k: 3 } })) as Record<string, unknown>[];
    assert.deepEqual(answer.map((candidate) => candidate.token), top.map(([, id]) => id));
    answer.forEach((candidate, i) => assert.ok(Math.abs((candidate.score as number) - top[i][0]) < 1e-6));
    assert.equal(answer[0].sequence, text.replace('[MASK]', answer[0].token_str as string));
    // = tunelab predict --task fill-mask --text … --top-k 3
    assert.deepEqual(answer, await predictRecords(dir, { task: 'fill-mask', text, topK: 3 }));
    // two masks: a list of candidates per mask; default top_k 5
    const twice = await json(await serving.post('the [MASK] sat on the [MASK].')) as unknown[][];
    assert.deepEqual(twice.map((candidates) => candidates.length), [5, 5]);
  } finally {
    serving.close();
    model.dispose();
  }
});
