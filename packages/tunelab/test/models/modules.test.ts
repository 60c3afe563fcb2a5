// The Module base and the leaf modules: names from fields, tied parameters, train/eval, to(), loadStateDict, the
// decay rule, and Linear / LayerNorm / activations against hand-computed values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@tunelab/torch';
import {
  ACTIVATIONS, AutoConfig, AutoModelForPreTraining, BertForPreTraining, BertForSequenceClassification,
  DistilBertForSequenceClassification, Dropout, Embedding, LayerNorm, Linear, noDecayParameterNames,
  StateDictError, WeightsError, type BertConfig, type DistilBertConfig,
} from '../../src/models/index.js';
import { values } from './helpers.js';

const tinyBert = (fields: Record<string, unknown> = {}) => AutoConfig.forModel('bert', {
  vocab_size: 50, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 16,
  max_position_embeddings: 12, ...fields,
}) as BertConfig;

describe('Module', () => {
  test('parameter names are Hugging Face checkpoint keys, from the field tree', () => {
    const model = new BertForSequenceClassification(tinyBert({ num_labels: 3 }));
    const names = model.namedParameters().map(([name]) => name);
    assert.equal(names[0], 'bert.embeddings.word_embeddings.weight');
    assert.ok(names.includes('bert.encoder.layer.1.attention.self.query.weight'));
    assert.ok(names.includes('bert.encoder.layer.0.attention.output.LayerNorm.bias'));
    assert.ok(names.includes('bert.encoder.layer.0.intermediate.dense.weight'));
    assert.ok(names.includes('bert.pooler.dense.weight'));
    assert.deepEqual(names.slice(-2), ['classifier.weight', 'classifier.bias']);
    // 5 embedding tensors, 16 per layer, 2 pooler, 2 classifier
    assert.equal(names.length, 5 + 16 * 2 + 2 + 2);
    assert.deepEqual(model.parameters().map((p) => p.shape), model.namedParameters().map(([, p]) => p.shape));
    model.dispose();
  });

  test('a tied decoder weight is one parameter, named by the word embeddings; both names load it', () => {
    const model = new BertForPreTraining(tinyBert()).initWeights();
    const embeddings = model.base.embeddings.word_embeddings.weight;
    assert.equal(model.cls.predictions.decoder.weight, embeddings);
    assert.equal(model.cls.predictions.decoder.bias, model.cls.predictions.bias);
    const names = model.namedParameters().map(([name]) => name);
    assert.ok(!names.includes('cls.predictions.decoder.weight') && !names.includes('cls.predictions.decoder.bias'));
    assert.ok(names.includes('cls.predictions.bias'));
    const aliases = model.namedParameterAliases().map(([name]) => name);
    assert.ok(aliases.includes('cls.predictions.decoder.weight'));
    const replacement = torch.full(embeddings.shape, 0.25);
    const { missingKeys, unexpectedKeys } = model.loadStateDict({ 'cls.predictions.decoder.weight': replacement }, { strict: false });
    assert.deepEqual(unexpectedKeys, []);
    assert.ok(!missingKeys.includes('bert.embeddings.word_embeddings.weight'));
    assert.equal(values(model.base.embeddings.word_embeddings.weight)[7], 0.25);
    model.dispose();
  });

  test('to(dtype) casts every parameter and keeps tied tensors tied and trainable', () => {
    const model = new BertForPreTraining(tinyBert()).initWeights();
    const before = values(model.cls.seq_relationship.weight);
    model.to('float64');
    assert.equal(model.cls.predictions.decoder.weight, model.base.embeddings.word_embeddings.weight);
    for (const [name, tensor] of model.namedParameters()) {
      assert.equal(tensor.dtype, 'float64', name);
      assert.ok(tensor.requiresGrad && tensor.isLeaf, name);
    }
    assert.deepEqual(values(model.cls.seq_relationship.weight), before);
    model.dispose();
    assert.ok(model.parameters().every((p) => p.isDisposed));
  });

  test('the train flag is explicit per forward: dropout only in forward(inputs, { train: true })', () => {
    const model = new BertForSequenceClassification(tinyBert({ hidden_dropout_prob: 0.5 })).initWeights();
    const ids = torch.tensor([[1, 5, 7, 9, 2]], { dtype: 'int64' });
    const run = (train?: boolean) => torch.noGrad(() => values(model.forward({ input_ids: ids }, train === undefined ? undefined : { train }).logits));
    assert.deepEqual(run(), run(), 'the default (inference) is deterministic');
    assert.deepEqual(run(false), run(), '{ train: false } is the default');
    assert.notDeepEqual(run(true), run(true), 'dropout 0.5 changes training outputs');
    assert.deepEqual(run(), run(false), 'a training call leaves no mode behind');
    model.dispose();
  });

  test('Dropout zeroes about p of the values and scales the rest by 1/(1-p); identity in eval', () => {
    const dropout = new Dropout(0.5);
    const out = values(dropout.forward(torch.ones([20000]), true));
    const zeros = out.filter((v) => v === 0).length / out.length;
    assert.ok(Math.abs(zeros - 0.5) < 0.02, `dropped fraction ${zeros}`);
    assert.ok(out.every((v) => v === 0 || v === 2));
    assert.ok(values(dropout.forward(torch.ones([100]), false)).every((v) => v === 1));
  });

  test('loadStateDict: strict reports missing and unexpected keys; shape mismatches always throw', () => {
    const linear = new Linear(2, 3);
    const weight = torch.ones([3, 2]);
    assert.throws(() => linear.loadStateDict({ weight, extra: weight }),
      (e: unknown) => e instanceof StateDictError && e.missingKeys.join() === 'bias' && e.unexpectedKeys.join() === 'extra');
    assert.deepEqual(linear.loadStateDict({ weight, extra: weight }, { strict: false }),
      { missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    assert.deepEqual([...values(linear.weight)], [1, 1, 1, 1, 1, 1]);
    assert.throws(() => linear.loadStateDict({ weight: torch.ones([2, 3]), bias: torch.zeros([3]) }),
      (e: unknown) => e instanceof WeightsError && /weight: shape \[2, 3\].*\[3, 2\]/.test(e.message));
  });

  test('the decay rule excludes biases and every LayerNorm parameter, whatever its field name', () => {
    const bert = new BertForSequenceClassification(tinyBert());
    const readmeRule = new Set(bert.namedParameters().map(([n]) => n).filter((n) => n.endsWith('bias') || n.includes('LayerNorm')));
    assert.deepEqual(noDecayParameterNames(bert), readmeRule);
    const distil = new DistilBertForSequenceClassification(AutoConfig.forModel('distilbert', {
      vocab_size: 20, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16,
    }) as DistilBertConfig);
    const noDecay = noDecayParameterNames(distil);
    assert.ok(noDecay.has('distilbert.transformer.layer.0.sa_layer_norm.weight'));
    assert.ok(noDecay.has('distilbert.transformer.layer.0.output_layer_norm.weight'));
    assert.ok(noDecay.has('pre_classifier.bias'));
    assert.ok(!noDecay.has('pre_classifier.weight') && !noDecay.has('distilbert.embeddings.word_embeddings.weight'));
    bert.dispose();
    distil.dispose();
  });

  test('fresh weights follow transformers: normal(0, initializer_range), biases 0, LayerNorm 1/0, padding row 0', () => {
    const model = AutoModelForPreTraining.fromConfig(tinyBert({ vocab_size: 4000, hidden_size: 16, initializer_range: 0.05 })) as BertForPreTraining;
    const embeddings = values(model.base.embeddings.word_embeddings.weight);
    const rest = embeddings.subarray(16);
    const std = Math.sqrt(rest.reduce((s, v) => s + v * v, 0) / rest.length);
    assert.ok(Math.abs(std - 0.05) < 0.0025, `embedding std ${std}`);
    assert.ok(embeddings.subarray(0, 16).every((v) => v === 0), 'pad_token_id 0 row is zero');
    const named = new Map(model.namedParameters());
    assert.ok(values(named.get('bert.embeddings.LayerNorm.weight')!).every((v) => v === 1));
    assert.ok(values(named.get('bert.encoder.layer.0.output.dense.bias')!).every((v) => v === 0));
    assert.ok(values(named.get('cls.predictions.bias')!).every((v) => v === 0));
    model.dispose();
  });
});

describe('leaf modules against hand-computed values', () => {
  test('Linear is x·Wᵀ + b', () => {
    const linear = new Linear(2, 2);
    linear.loadStateDict({ weight: torch.tensor([[1, 2], [3, 4]]), bias: torch.tensor([0.5, -1]) });
    assert.deepEqual([...values(linear.forward(torch.tensor([[1, -1]], { dtype: 'float32' })))], [-0.5, -2]);
  });

  test('LayerNorm normalises the last dimension with eps inside the square root', () => {
    const norm = new LayerNorm(4, 1e-5);
    norm.resetParameters();
    const out = values(norm.forward(torch.tensor([[1, 2, 3, 4]], { dtype: 'float32' })));
    const expected = [1, 2, 3, 4].map((x) => (x - 2.5) / Math.sqrt(1.25 + 1e-5));
    out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${v} vs ${expected[i]}`));
  });

  test('Embedding: the padding row gets no gradient', () => {
    const embedding = new Embedding(4, 3, 0);
    embedding.resetParameters(0.02);
    embedding.forward(torch.tensor([[0, 2, 0]], { dtype: 'int64' })).sum().backward();
    assert.deepEqual([...values(embedding.weight.grad!)], [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
  });

  test('gelu is the exact erf form; gelu_new / gelu_pytorch_tanh the tanh form', () => {
    const x = torch.tensor([1, -0.5, 2], { dtype: 'float64' });
    const exact = [0.8413447460685429, -0.15426876936299344, 1.9544997361036416];
    const tanhForm = [0.8411919906082768, -0.15428599017485606, 1.954597694087775];
    const close = (actual: Float64Array, expected: number[]) =>
      expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < 1e-12, `${actual[i]} vs ${e}`));
    close(values(ACTIVATIONS.gelu(x)), exact);
    close(values(ACTIVATIONS.gelu_new(x)), tanhForm);
    close(values(ACTIVATIONS.gelu_pytorch_tanh(x)), tanhForm);
    close(values(ACTIVATIONS.relu(x)), [1, 0, 2]);
  });
});
