// Heads and relatives against float64 references computed here from the model's own (fixture-checked) hidden
// states and head weights: losses by problem type, QA clamping, ignore index -100, RoBERTa positions, ELECTRA and
// DistilBERT heads, and input validation.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import {
  AutoConfig, AutoModel, AutoModelForMaskedLM, AutoModelForPreTraining, AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification, AutoModelForTokenClassification, DistilBertModel, ModelInputError,
  RobertaEmbeddings, type BertConfig, type DistilBertConfig, type ElectraForPreTraining, type PreTrainedModel,
} from '../../src/models/index.js';
import {
  captureWarnings, crossEntropy, FIXTURES, gelu, layerNorm, loadFixture, matVec, modelInputs,
  relativeError, rows, values,
} from './helpers.js';

const fixtureDir = (name: string) => join(FIXTURES, name);
const quietly = async <T>(fn: () => Promise<T> | T) => (await captureWarnings(fn)).result;
const close = (actual: number, expected: number, tolerance = 1e-5) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);

/** Parameter values by name (float64). */
const weights = (model: PreTrainedModel) => new Map(model.namedParameters().map(([n, t]) => [n, values(t)]));

/** The hidden vector of token t of row b from a [B, T, H] output. */
function token(hidden: Float64Array, shape: number[], b: number, t: number): Float64Array {
  const [, length, width] = shape as [number, number, number];
  return hidden.subarray((b * length + t) * width, (b * length + t + 1) * width);
}

function assertClose(actual: Tensor, expected: number[], tolerance = 1e-5): void {
  const got = values(actual);
  assert.equal(got.length, expected.length);
  const diff = Math.hypot(...expected.map((e, i) => got[i]! - e));
  assert.ok(diff <= tolerance * Math.hypot(...expected), `relative error ${diff / Math.hypot(...expected)}`);
}

/** A copy of a fixture folder with config.json edited and weights renamed or dropped. */
function variantFolder(name: string, edit: (config: Record<string, unknown>) => void, rename = (key: string): string | null => key): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-heads-'));
  const config = JSON.parse(readFileSync(join(fixtureDir(name), 'config.json'), 'utf8'));
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const renamed = new Map<string, Tensor>();
  for (const [key, tensor] of torch.loadSafetensors(join(fixtureDir(name), 'model.safetensors')).tensors) {
    const next = rename(key);
    if (next) renamed.set(next, tensor);
  }
  torch.saveSafetensors(join(dir, 'model.safetensors'), renamed, { format: 'pt' });
  return dir;
}

describe('sequence classification losses', () => {
  test('num_labels 1 without problem_type is regression: MSE of logits[:, 0] against the labels', async () => {
    const dir = variantFolder('regression', (c) => { delete c.problem_type; });
    const model = await AutoModelForSequenceClassification.fromPretrained(dir);
    const fixture = loadFixture('regression');
    const out = torch.noGrad(() => model.forward(modelInputs(fixture, { device: 'cpu' })));
    const logits = values(out.logits);
    const labels = values(fixture.inputs.get('label.labels')!);
    close(out.loss!.item(), labels.reduce((s, y, i) => s + (logits[i]! - y) ** 2, 0) / labels.length);
    assert.equal(model.config.problem_type, 'regression');
  });

  test('float multi-hot labels are multi-label: mean BCE with logits', async () => {
    const model = await AutoModelForSequenceClassification.fromPretrained(fixtureDir('seqcls'));
    const fixture = loadFixture('seqcls');
    const multiHot = [[1, 0, 1], [0, 0, 0], [1, 1, 1]];
    const out = torch.noGrad(() => model.forward({
      ...modelInputs(fixture, { labels: false, device: 'cpu' }), labels: torch.tensor(multiHot, { dtype: 'float32' }),
    }));
    const logits = values(out.logits);
    const bce = multiHot.flat().map((y, i) => {
      const x = logits[i]!;
      return Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
    });
    close(out.loss!.item(), bce.reduce((s, v) => s + v, 0) / bce.length);
    assert.equal(model.config.problem_type, 'multi_label_classification');
  });
});

test('question answering: positions clamped to [0, T]; T (cut-off answers) is ignored', async () => {
  const model = await AutoModelForQuestionAnswering.fromPretrained(fixtureDir('qa'));
  const fixture = loadFixture('qa');
  const inputs = modelInputs(fixture, { labels: false, device: 'cpu' });
  const start = [100, 2, -3];
  const end = [100, 4, 1];
  const out = torch.noGrad(() => model.forward({
    ...inputs, start_positions: torch.tensor(start), end_positions: torch.tensor(end),
  }));
  const length = 16;
  const clampTo = (p: number) => Math.min(Math.max(p, 0), length);
  const startLoss = crossEntropy(rows(values(out.start_logits), length), start.map(clampTo), length);
  const endLoss = crossEntropy(rows(values(out.end_logits), length), end.map(clampTo), length);
  close(out.loss!.item(), (startLoss + endLoss) / 2);
});

test('token classification: cross entropy over tokens, skipping labels -100', async () => {
  const model = await AutoModelForTokenClassification.fromPretrained(fixtureDir('tokcls'));
  const fixture = loadFixture('tokcls');
  const labels = Array.from({ length: 48 }, (_, i) => (i % 3 === 0 ? -100 : i % 5));
  const out = torch.noGrad(() => model.forward({
    ...modelInputs(fixture, { labels: false, device: 'cpu' }), labels: torch.tensor(labels).view(3, 16),
  }));
  close(out.loss!.item(), crossEntropy(rows(values(out.logits), 5), labels));
});

describe('RoBERTa', () => {
  test('positions count from padding_idx + 1 over tokens; padding keeps padding_idx', () => {
    const config = AutoConfig.forModel('roberta', { vocab_size: 20, hidden_size: 8, num_attention_heads: 2 }) as BertConfig;
    const embeddings = new RobertaEmbeddings(config);
    const ids = torch.tensor([[0, 5, 6, 2, 1, 1], [0, 7, 1, 8, 2, 1]]);
    assert.deepEqual(embeddings.positionIds(ids).tolist(), [[2, 3, 4, 5, 1, 1], [2, 3, 1, 4, 5, 1]]);
    assert.equal(embeddings.maxLength, 512 - 2);
  });

  test('token classification and QA are BERT heads under `roberta.` (no pooler)', async () => {
    const fixture = loadFixture('roberta-seqcls');
    const inputs = modelInputs(fixture, { labels: false, device: 'cpu' });
    const tagger = await quietly(() => AutoModelForTokenClassification.fromPretrained(fixtureDir('roberta-seqcls')));
    const qa = await quietly(() => AutoModelForQuestionAnswering.fromPretrained(fixtureDir('roberta-seqcls'), { numLabels: 2 }));
    for (const model of [tagger, qa]) {
      assert.ok(model.namedParameters().every(([n]) => /^(roberta|classifier|qa_outputs)\./.test(n)));
      assert.ok(!model.namedParameters().some(([n]) => n.includes('pooler')));
    }
    const tagOut = torch.noGrad(() => tagger.forward(inputs));
    const qaOut = torch.noGrad(() => qa.forward(inputs));
    assert.ok(relativeError(tagOut.last_hidden_state, fixture.expected.get('out.last_hidden_state')!, fixture.inputs.get('attention_mask')) < 1e-5);
    const hidden = token(values(tagOut.last_hidden_state), tagOut.last_hidden_state.shape, 1, 3);
    const tagWeights = weights(tagger);
    assertClose(tagOut.logits.select(0, 1).select(0, 3), matVec(tagWeights.get('classifier.weight')!, tagWeights.get('classifier.bias')!, hidden));
    const qaWeights = weights(qa);
    const [start, end] = matVec(qaWeights.get('qa_outputs.weight')!, qaWeights.get('qa_outputs.bias')!, hidden);
    close(values(qaOut.start_logits)[16 + 3]!, start!);
    close(values(qaOut.end_logits)[16 + 3]!, end!);
  });

  test('masked LM: dense → gelu → layer_norm → decoder tied to the word embeddings', async () => {
    const model = await quietly(() => AutoModelForMaskedLM.fromPretrained(fixtureDir('roberta-seqcls')));
    assert.deepEqual(model.loadingInfo?.missingKeys,
      ['lm_head.bias', 'lm_head.dense.weight', 'lm_head.dense.bias', 'lm_head.layer_norm.weight', 'lm_head.layer_norm.bias']);
    const fixture = loadFixture('roberta-seqcls');
    const out = torch.noGrad(() => model.forward(modelInputs(fixture, { labels: false, device: 'cpu' })));
    const w = weights(model);
    const x = token(values(out.last_hidden_state), out.last_hidden_state.shape, 0, 5);
    const transformed = layerNorm(matVec(w.get('lm_head.dense.weight')!, w.get('lm_head.dense.bias')!, x).map(gelu),
      w.get('lm_head.layer_norm.weight')!, w.get('lm_head.layer_norm.bias')!, 1e-5);
    const expected = matVec(w.get('roberta.embeddings.word_embeddings.weight')!, w.get('lm_head.bias')!, transformed);
    assertClose(out.logits.select(0, 0).select(0, 5), expected);
  });
});

describe('ELECTRA', () => {
  /** The seqcls BERT weights as an ELECTRA checkpoint (embedding_size = hidden_size: no projection). */
  const electraFolder = () => variantFolder('seqcls', (c) => { c.model_type = 'electra'; c.embedding_size = 64; },
    (key) => (key.startsWith('bert.pooler') || key.startsWith('classifier') ? null : key.replace(/^bert\./, 'electra.')));

  test("its encoder is BERT's: the BERT fixture's hidden states come out", async () => {
    const model = await AutoModel.fromPretrained(electraFolder());
    assert.equal(model.architecture, 'ElectraModel');
    assert.deepEqual(model.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
    const fixture = loadFixture('seqcls');
    const out = torch.noGrad(() => model.forward(modelInputs(fixture, { labels: false, device: 'cpu' })));
    assert.equal(out.pooler_output, undefined);
    assert.ok(relativeError(out.last_hidden_state, fixture.expected.get('out.last_hidden_state')!, fixture.inputs.get('attention_mask')) < 1e-5);
  });

  test('classification head: dropout → dense → gelu → dropout → out_proj on the first token', async () => {
    const model = await quietly(() => AutoModelForSequenceClassification.fromPretrained(electraFolder()));
    const out = torch.noGrad(() => model.forward(modelInputs(loadFixture('seqcls'), { device: 'cpu' })));
    const w = weights(model);
    const hidden = values(out.last_hidden_state);
    const expected = [0, 1, 2].flatMap((b) => {
      const inner = matVec(w.get('classifier.dense.weight')!, w.get('classifier.dense.bias')!, token(hidden, out.last_hidden_state.shape, b, 0));
      return matVec(w.get('classifier.out_proj.weight')!, w.get('classifier.out_proj.bias')!, inner.map(gelu));
    });
    assertClose(out.logits, expected);
  });

  test('discriminator (pre-training): a logit per token, BCE over tokens with attention_mask 1', async () => {
    const model = await quietly(async () => await AutoModelForPreTraining.fromPretrained(electraFolder()) as ElectraForPreTraining);
    assert.equal(model.architecture, 'ElectraForPreTraining');
    const fixture = loadFixture('seqcls');
    const replaced = Array.from({ length: 48 }, (_, i) => (i % 4 === 1 ? 1 : 0));
    const out = torch.noGrad(() => model.forward({
      ...modelInputs(fixture, { labels: false, device: 'cpu' }), labels: torch.tensor(replaced).view(3, 16),
    }));
    assert.deepEqual(out.logits!.shape, [3, 16]);
    const w = weights(model);
    const hidden = values(out.last_hidden_state);
    const mask = values(fixture.inputs.get('attention_mask')!);
    let total = 0;
    let count = 0;
    for (let i = 0; i < 48; i++) {
      const inner = matVec(w.get('discriminator_predictions.dense.weight')!, w.get('discriminator_predictions.dense.bias')!,
        token(hidden, out.last_hidden_state.shape, Math.floor(i / 16), i % 16)).map(gelu);
      const logit = matVec(w.get('discriminator_predictions.dense_prediction.weight')!, w.get('discriminator_predictions.dense_prediction.bias')!, inner)[0]!;
      close(values(out.logits!)[i]!, logit);
      if (mask[i] === 0) continue;
      total += Math.max(logit, 0) - logit * replaced[i]! + Math.log1p(Math.exp(-Math.abs(logit)));
      count++;
    }
    close(out.loss!.item(), total / count);
  });

  test('embedding_size < hidden_size: narrower embeddings, projected by embeddings_project; generator LM tied', () => {
    const config = AutoConfig.forModel('electra', {
      vocab_size: 30, embedding_size: 4, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16,
    });
    const model = AutoModelForMaskedLM.fromConfig(config);
    const shapes = new Map(model.namedParameters().map(([n, t]) => [n, t.shape]));
    assert.deepEqual(shapes.get('electra.embeddings.word_embeddings.weight'), [30, 4]);
    assert.deepEqual(shapes.get('electra.embeddings_project.weight'), [8, 4]);
    assert.deepEqual(shapes.get('generator_predictions.dense.weight'), [4, 8]);
    assert.deepEqual(shapes.get('generator_lm_head.bias'), [30]);
    assert.ok(!shapes.has('generator_lm_head.weight'), 'tied to the word embeddings, saved once');
    const out = torch.noGrad(() => model.forward({ input_ids: torch.tensor([[1, 2, 3]]) }));
    assert.deepEqual(out.logits.shape, [1, 3, 30]);
  });
});

describe('DistilBERT', () => {
  test('QA (dropout → qa_outputs), token classification and masked LM heads over its hidden states', async () => {
    const fixture = loadFixture('distilbert-seqcls');
    const inputs = modelInputs(fixture, { labels: false, device: 'cpu' });
    const qa = await quietly(() => AutoModelForQuestionAnswering.fromPretrained(fixtureDir('distilbert-seqcls')));
    const qaOut = torch.noGrad(() => qa.forward(inputs));
    const qaWeights = weights(qa);
    const hidden = values(qaOut.last_hidden_state);
    const spans = matVec(qaWeights.get('qa_outputs.weight')!, qaWeights.get('qa_outputs.bias')!, token(hidden, qaOut.last_hidden_state.shape, 2, 4));
    close(values(qaOut.start_logits)[2 * 16 + 4]!, spans[0]!);
    close(values(qaOut.end_logits)[2 * 16 + 4]!, spans[1]!);

    const tagger = await quietly(() => AutoModelForTokenClassification.fromPretrained(fixtureDir('distilbert-seqcls')));
    const tagOut = torch.noGrad(() => tagger.forward(inputs));
    const tagWeights = weights(tagger);
    assertClose(tagOut.logits.select(0, 1).select(0, 7),
      matVec(tagWeights.get('classifier.weight')!, tagWeights.get('classifier.bias')!, token(hidden, tagOut.last_hidden_state.shape, 1, 7)));

    const mlm = await quietly(() => AutoModelForMaskedLM.fromPretrained(fixtureDir('distilbert-seqcls')));
    const mlmOut = torch.noGrad(() => mlm.forward(inputs));
    const w = weights(mlm);
    const transformed = layerNorm(matVec(w.get('vocab_transform.weight')!, w.get('vocab_transform.bias')!, token(hidden, mlmOut.last_hidden_state.shape, 0, 2)).map(gelu),
      w.get('vocab_layer_norm.weight')!, w.get('vocab_layer_norm.bias')!, 1e-12);
    assertClose(mlmOut.logits.select(0, 0).select(0, 2),
      matVec(w.get('distilbert.embeddings.word_embeddings.weight')!, w.get('vocab_projector.bias')!, transformed));
  });

  test('sinusoidal_pos_embds: a fixed sin/cos table that is not trained', () => {
    const config = AutoConfig.forModel('distilbert', {
      vocab_size: 20, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, max_position_embeddings: 10, sinusoidal_pos_embds: true,
    }) as DistilBertConfig;
    const model = AutoModel.fromConfig(config) as DistilBertModel;
    const table = model.embeddings.position_embeddings.weight;
    assert.equal(table.requiresGrad, false);
    const row = (pos: number) => Array.from(values(table)).slice(pos * 8, pos * 8 + 8);
    const expected = Array.from({ length: 8 }, (_, j) => {
      const angle = 3 / 10000 ** ((2 * Math.floor(j / 2)) / 8);
      return j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    });
    row(3).forEach((v, j) => close(v, expected[j]!, 1e-6));
  });
});

describe('input validation', () => {
  test('wrong dtype, mismatched masks and over-long sequences are ModelInputErrors', async () => {
    const bert = await AutoModelForSequenceClassification.fromPretrained(fixtureDir('seqcls'));
    const isInputError = (pattern: RegExp) => (e: unknown) => e instanceof ModelInputError && pattern.test(e.message);
    assert.throws(() => bert.forward({ input_ids: torch.ones([2, 4]) }), isInputError(/input_ids must be an int64 \[batch, length\] tensor, got float32/));
    assert.throws(() => bert.forward({ input_ids: torch.ones([2, 4], { dtype: 'int64' }), attention_mask: torch.ones([2, 5], { dtype: 'int64' }) }),
      isInputError(/attention_mask has shape \[2, 5\], input_ids \[2, 4\]/));
    assert.throws(() => bert.forward({ input_ids: torch.ones([1, 65], { dtype: 'int64' }) }),
      isInputError(/sequence length 65 exceeds the 64 tokens/));
    const roberta = await AutoModelForSequenceClassification.fromPretrained(fixtureDir('roberta-seqcls'));
    assert.throws(() => roberta.forward({ input_ids: torch.ones([1, 17], { dtype: 'int64' }) }),
      isInputError(/sequence length 17 exceeds the 16 tokens the position embeddings cover/));
  });
});
