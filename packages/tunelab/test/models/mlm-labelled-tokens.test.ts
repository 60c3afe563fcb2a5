// Masked-LM heads decode only the labelled tokens when the caller reads the loss alone (`outputs: []`, as the trainer
// and a loss-only evaluation ask): the loss and every parameter gradient must equal those of decoding every position
// (float32), for each family with an MLM head; the logits then are the labelled rows of the full [B, T, V] logits.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import { AutoConfig, AutoModelForMaskedLM, AutoModelForPreTraining } from '../../src/models/auto.js';
import type { ForwardOptions } from '../../src/models/modules.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';
import { values } from './helpers.js';

const [B, T, VOCAB] = [3, 12, 40];

/** Seeded ids with padding at the end of rows 1 and 2, and ~15 % of the real tokens labelled (-100 elsewhere). */
function batch(withNextSentence: boolean): Record<string, Tensor> & { input_ids: Tensor } {
  const ids = Array.from({ length: B * T }, (_, i) => 5 + ((i * 7919) % (VOCAB - 5)));
  const lengths = [T, T - 3, T - 6];
  const mask = ids.map((_, i) => (i % T < lengths[Math.floor(i / T)]! ? 1 : 0));
  const labels = ids.map((id, i) => (mask[i] === 1 && (i * 31) % 7 === 0 ? (id * 13) % VOCAB : -100));
  const int64 = (data: number[]) => torch.tensor(data, { dtype: 'int64' }).view(B, T);
  return {
    input_ids: int64(ids), attention_mask: int64(mask), labels: int64(labels),
    ...(withNextSentence ? { next_sentence_label: torch.tensor([0, 1, 0], { dtype: 'int64' }) } : {}),
  };
}

interface Pass { loss: number; logits: Float64Array; logitsShape: number[]; grads: Map<string, Float64Array> }

/** A training forward (dropout on, same seed each pass) and backward; the loss, logits and gradients as float64. */
function pass(model: PreTrainedModel, inputs: Record<string, Tensor>, options: ForwardOptions): Pass {
  for (const parameter of model.parameters()) parameter.grad = null;
  return torch.scope(() => {
    torch.manualSeed(7);
    const out = model.forward(inputs as Parameters<PreTrainedModel['forward']>[0], { ...options, train: true });
    out.loss!.backward();
    const logits = (out.logits ?? out.prediction_logits)!;
    const grads = new Map(model.namedParameters().flatMap(([name, p]) => (p.grad ? [[name, values(p.grad)] as const] : [])));
    return { loss: out.loss!.item(), logits: values(logits), logitsShape: logits.shape, grads };
  });
}

const norm = (a: Float64Array) => Math.sqrt(a.reduce((sum, v) => sum + v * v, 0));
const difference = (a: Float64Array, b: Float64Array) => a.map((v, i) => v - b[i]!);
const relative = (a: Float64Array, b: Float64Array) => norm(difference(a, b)) / norm(b);

const FAMILIES: { name: string; type: string; pretraining?: boolean; fields: Record<string, unknown> }[] = [
  { name: 'BertForMaskedLM', type: 'bert', fields: { hidden_size: 16, num_attention_heads: 2, intermediate_size: 32 } },
  { name: 'BertForPreTraining (MLM + NSP)', type: 'bert', pretraining: true, fields: { hidden_size: 16, num_attention_heads: 2, intermediate_size: 32 } },
  { name: 'RobertaForMaskedLM', type: 'roberta', fields: { hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, pad_token_id: 1 } },
  { name: 'ElectraForMaskedLM', type: 'electra', fields: { hidden_size: 16, embedding_size: 8, num_attention_heads: 2, intermediate_size: 32 } },
  { name: 'DistilBertForMaskedLM', type: 'distilbert', fields: { dim: 16, n_heads: 2, hidden_dim: 32, n_layers: 2 } },
];

describe('masked LM decodes only the labelled tokens when only the loss is read', () => {
  for (const family of FAMILIES) {
    test(`${family.name}: same loss and gradients as decoding every token; logits = the labelled rows`, () => {
      const config = AutoConfig.forModel(family.type, {
        vocab_size: VOCAB, max_position_embeddings: 32, num_hidden_layers: 2, ...family.fields,
      });
      torch.manualSeed(0);
      const model = (family.pretraining ? AutoModelForPreTraining : AutoModelForMaskedLM).fromConfig(config);
      assert.equal(model.architecture, family.name.split(' ')[0]);
      const inputs = batch(family.pretraining === true);
      const dense = pass(model, inputs, {});
      const sparse = pass(model, inputs, { outputs: [] });

      assert.ok(Math.abs(sparse.loss - dense.loss) / dense.loss < 1e-6, `loss ${sparse.loss} vs ${dense.loss}`);
      assert.deepEqual([...dense.grads.keys()].sort(), [...sparse.grads.keys()].sort());
      // Relative to the tensor's norm, or to a thousandth of the global norm for gradients that are zero by symmetry
      // (attention key biases), which hold rounding noise only.
      const globalNorm = Math.sqrt([...dense.grads.values()].reduce((sum, g) => sum + norm(g) ** 2, 0));
      for (const [name, grad] of dense.grads) {
        const error = norm(difference(sparse.grads.get(name)!, grad)) / Math.max(norm(grad), 1e-3 * globalNorm);
        assert.ok(error < 1e-6, `${name}: gradient relative error ${error}`);
      }
      const tied = [...dense.grads.keys()].find((name) => name.endsWith('word_embeddings.weight'))!;
      assert.ok(dense.grads.get(tied)!.some((v) => v !== 0), 'the tied decoder weight has a gradient');

      const labels = values(inputs.labels!);
      const labelled = [...labels.keys()].filter((i) => labels[i] !== -100);
      assert.deepEqual(dense.logitsShape, [B, T, VOCAB]);
      assert.deepEqual(sparse.logitsShape, [labelled.length, VOCAB]);
      const denseRows = Float64Array.from(labelled.flatMap((i) => [...dense.logits.subarray(i * VOCAB, (i + 1) * VOCAB)]));
      assert.ok(relative(sparse.logits, denseRows) < 1e-6);
      model.dispose();
      for (const tensor of Object.values(inputs)) tensor.dispose();
    });
  }

  test('asking for the logits (or giving no labels) keeps them at every position', () => {
    const config = AutoConfig.forModel('bert', { vocab_size: VOCAB, hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, num_hidden_layers: 1 });
    const model = AutoModelForMaskedLM.fromConfig(config);
    const inputs = batch(false);
    torch.noGrad(() => torch.scope(() => {
      assert.deepEqual(model.forward(inputs, { outputs: ['logits'] }).logits.shape, [B, T, VOCAB]);
      assert.deepEqual(model.forward({ input_ids: inputs.input_ids }, { outputs: [] }).logits.shape, [B, T, VOCAB]);
    }));
    model.dispose();
  });
});
