// Configs: transformers' defaults, label normalisation, bad values and combinations rejected with the file and
// field named, typos caught, unknown keys kept for the round trip, and the registry's "Unsupported model type".
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  AutoConfig, AutoModelForQuestionAnswering, AutoModelForSequenceClassification, ConfigError, UnsupportedModelError,
  type BertConfig, type DistilBertConfig,
} from '../../src/models/index.js';
import { configToJson } from '../../src/models/config.js';
import { SHARED } from './helpers.js';


function configFolder(json: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-config-'));
  writeFileSync(join(dir, 'config.json'), json);
  return dir;
}

const rejects = (fields: Record<string, unknown>, pattern: RegExp, modelType = 'bert') =>
  assert.throws(() => AutoConfig.forModel(modelType, fields), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));

describe('model configs', () => {
  test("bert-base-uncased's config.json: typed fields, default labels, unknown keys kept", async () => {
    const config = await AutoConfig.fromPretrained(join(SHARED, 'data/models/bert-base-uncased')) as BertConfig;
    assert.equal(config.model_type, 'bert');
    assert.equal(config.hidden_size, 768);
    assert.equal(config.num_hidden_layers, 12);
    assert.equal(config.layer_norm_eps, 1e-12);
    assert.equal(config.num_labels, 2);
    assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1' });
    assert.deepEqual(config.label2id, { LABEL_0: 0, LABEL_1: 1 });
    assert.deepEqual(config.extra, { gradient_checkpointing: false, transformers_version: '4.6.0.dev0', use_cache: true });
    const json = configToJson(config);
    assert.equal(json.gradient_checkpointing, false);
    assert.ok(!('num_labels' in json) && !('extra' in json));
    assert.deepEqual(Object.keys(json), Object.keys(json).sort());
  });

  test("transformers' defaults fill what a config leaves out", () => {
    const bert = AutoConfig.forModel('bert') as BertConfig;
    assert.deepEqual([bert.vocab_size, bert.hidden_size, bert.intermediate_size, bert.hidden_act, bert.pad_token_id],
      [30522, 768, 3072, 'gelu', 0]);
    assert.equal(bert.hidden_dropout_prob, 0.1);
    const roberta = AutoConfig.forModel('roberta') as BertConfig;
    assert.deepEqual([roberta.vocab_size, roberta.pad_token_id], [50265, 1]);
    assert.equal((AutoConfig.forModel('xlm-roberta') as BertConfig).vocab_size, 30522);
    const distil = AutoConfig.forModel('distilbert') as DistilBertConfig;
    assert.deepEqual([distil.dim, distil.n_layers, distil.seq_classif_dropout], [768, 6, 0.2]);
    const electra = AutoConfig.forModel('electra') as BertConfig & { embedding_size: number };
    assert.deepEqual([electra.embedding_size, electra.hidden_size, electra.num_attention_heads], [128, 256, 4]);
  });

  test('labels: num_labels alone names LABEL_i; id2label sets num_labels; label2id is its inverse', () => {
    const five = AutoConfig.forModel('bert', { num_labels: 5 });
    assert.equal(five.num_labels, 5);
    assert.equal(five.id2label[4], 'LABEL_4');
    const named = AutoConfig.forModel('bert', { id2label: { 0: 'neg', 1: 'pos', 2: 'neutral' } });
    assert.equal(named.num_labels, 3);
    assert.deepEqual(named.label2id, { neg: 0, pos: 1, neutral: 2 });
    rejects({ id2label: { 0: 'a', 1: 'b' }, num_labels: 3 }, /num_labels 3 but id2label has 2 labels/);
    rejects({ id2label: { 0: 'a', 2: 'b' } }, /id2label keys must be 0..n-1, got \[0, 2\]/);
    rejects({ id2label: { 0: 'a', 1: 'b' }, label2id: { a: 0, b: 7 } }, /label2id 'b' → 7 is not a class id/);
    rejects({ problem_type: 'ranking' }, /problem_type/);
  });

  test('a numLabels override renames labels only when the count changes (transformers\' num_labels setter)', async () => {
    const named = configFolder(JSON.stringify({
      model_type: 'bert', vocab_size: 10, hidden_size: 4, num_attention_heads: 1, num_hidden_layers: 1,
      intermediate_size: 4, id2label: { 0: 'neg', 1: 'pos' },
    }));
    const load = (numLabels: number) =>
      AutoModelForSequenceClassification.fromPretrained(named, { numLabels, fromScratch: true }).then((m) => m.config);
    assert.deepEqual((await load(2)).id2label, { 0: 'neg', 1: 'pos' });
    assert.deepEqual((await load(4)).label2id, { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2, LABEL_3: 3 });
  });

  test('wrong types and bad combinations fail, naming the field and the values', () => {
    rejects({ hidden_size: '64' }, /forModel\('bert'\): hidden_size: .*number/);
    rejects({ hidden_size: 100, num_attention_heads: 12 }, /hidden_size 100 is not a multiple of num_attention_heads 12/);
    rejects({ hidden_act: 'mish' }, /hidden_act/);
    rejects({ position_embedding_type: 'relative_key' }, /position_embedding_type/);
    rejects({ hidden_dropout_prob: 1.5 }, /hidden_dropout_prob/);
    rejects({ pad_token_id: 40, vocab_size: 30 }, /pad_token_id 40 is outside vocab_size 30/);
    rejects({ max_position_embeddings: 2 }, /leaves no positions after pad_token_id 1/, 'roberta');
    rejects({ dim: 10, n_heads: 3 }, /dim 10 is not a multiple of n_heads 3/, 'distilbert');
  });

  test('a key one edit away from a known one is a typo, not an extra', () => {
    rejects({ hiden_size: 64 }, /unknown key 'hiden_size' \(did you mean 'hidden_size'\?\)/);
    rejects({ num_attention_head: 4 }, /did you mean 'num_attention_heads'/);
    const config = AutoConfig.forModel('bert', { summary_type: 'first', output_past: true });
    assert.deepEqual(config.extra, { summary_type: 'first', output_past: true });
  });

  test('config.json: invalid JSON names file and line; a model_type with no class is "Unsupported model type"', async () => {
    const broken = configFolder('{\n  "model_type": "bert",\n  "hidden_size": 64,,\n}');
    await assert.rejects(AutoConfig.fromPretrained(broken),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${join(broken, 'config.json')}:3: invalid JSON`));
    const gpt2 = configFolder(JSON.stringify({ model_type: 'gpt2' }));
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained(gpt2),
      (e: unknown) => e instanceof UnsupportedModelError && /Unsupported model type 'gpt2' for sequence classification/.test(e.message));
    const untyped = configFolder(JSON.stringify({ hidden_size: 64 }));
    await assert.rejects(AutoConfig.fromPretrained(untyped), (e: unknown) => e instanceof ConfigError && /no model_type/.test(e.message));
    assert.throws(() => AutoConfig.forModel('t5'), (e: unknown) => e instanceof UnsupportedModelError);
  });

  test('question answering heads need exactly two labels (start, end)', () => {
    const config = AutoConfig.forModel('bert', { num_labels: 3, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1 });
    assert.throws(() => AutoModelForQuestionAnswering.fromConfig(config),
      (e: unknown) => e instanceof ConfigError && /num_labels 2 \(start, end\), got 3/.test(e.message));
  });
});
