// The unpadded-token path (ForwardOptions.unpad, models/unpad.ts): for every architecture, the outputs that never
// read padding — sequence-classification logits, token-classification logits at real tokens, the masked-LM loss —
// and every parameter gradient equal the padded path's (fp32, 1e-5); outputs that read padding (question answering,
// hidden states or fill-mask logits at every position) keep the padded path, bit for bit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import {
  AutoConfig, AutoModelForMaskedLM, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
  AutoModelForTokenClassification, type AutoModelClass,
} from '../../src/models/auto.js';
import { fusedProjections } from '../../src/models/modules.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';
import { UnpaddedTokens } from '../../src/models/unpad.js';
import { values } from './helpers.js';

/** Tiny configs (attention.test.ts's), dropout 0 so training passes of both paths compute the same function. */
const BERT_LIKE = { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 };
const NO_DROPOUT = { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
const ARCHITECTURES: [string, Record<string, unknown>][] = [
  ['bert', { ...BERT_LIKE, ...NO_DROPOUT }],
  ['roberta', { ...BERT_LIKE, ...NO_DROPOUT, pad_token_id: 1 }],
  ['distilbert', { dim: 32, n_layers: 2, n_heads: 4, hidden_dim: 64, dropout: 0, attention_dropout: 0, seq_classif_dropout: 0, qa_dropout: 0 }],
  ['electra', { ...BERT_LIKE, ...NO_DROPOUT, embedding_size: 16 }],
];
const LABELS = 3;

type Inputs = Record<string, Tensor> & { input_ids: Tensor; attention_mask: Tensor };

function tinyModel(auto: AutoModelClass<PreTrainedModel>, type: string, fields: Record<string, unknown>): PreTrainedModel {
  torch.manualSeed(11);
  const config = AutoConfig.forModel(type, { vocab_size: 50, max_position_embeddings: 40, ...fields });
  return auto.fromConfig(config, auto === AutoModelForQuestionAnswering ? {} : { numLabels: LABELS });
}

/** Rows of these many tokens (ids ≥ 3: no pad id inside), right-padded with the model's pad id to `width`. */
function batch(model: PreTrainedModel, lengths: number[], width = Math.max(...lengths)): Inputs {
  const pad = (model.config as { pad_token_id?: number | null }).pad_token_id ?? 0;
  const cells = lengths.flatMap((length, r) => Array.from({ length: width }, (_, t) => ({ r, t, real: t < length })));
  const int64 = (data: number[]) => torch.tensor(data, { dtype: 'int64' }).view(lengths.length, width);
  return {
    input_ids: int64(cells.map(({ r, t, real }) => (real ? 3 + ((r * 7 + t * 5) % 45) : pad))),
    attention_mask: int64(cells.map(({ real }) => (real ? 1 : 0))),
  };
}

/** Rows of 3, 9 (no padding), 6 and 1 tokens. */
const LENGTHS = [3, 9, 6, 1];
const realTokens = (lengths: number[], width = Math.max(...lengths)) =>
  lengths.flatMap((length) => Array.from({ length: width }, (_, t) => t < length));

/** max |a − b| over the entries whose token `keep` marks (per-token outputs), or over all entries. */
function maxDifference(a: Tensor, b: Tensor, keep?: boolean[]): number {
  const [x, y] = [values(a), values(b)];
  assert.equal(x.length, y.length);
  const perToken = keep ? x.length / keep.length : 1;
  return x.reduce((max, v, i) => (keep && !keep[Math.floor(i / perToken)] ? max : Math.max(max, Math.abs(v - y[i]!))), 0);
}

type Outputs = Record<string, Tensor | undefined>;

/** Whether the unpadded path ran: then (and only then) every hidden state at padding is exactly zero. */
function unpadded(out: Outputs, lengths: number[], width?: number): boolean {
  const hidden = values(out.last_hidden_state!);
  const keep = realTokens(lengths, width);
  const perToken = hidden.length / keep.length;
  return hidden.every((v, i) => keep[Math.floor(i / perToken)] || v === 0);
}

describe('unpadded attention equals padded (1e-5, fp32)', () => {
  for (const [type, fields] of ARCHITECTURES) {
    test(`${type}: sequence classification logits, eval`, () => {
      const model = tinyModel(AutoModelForSequenceClassification, type, fields);
      torch.noGrad(() => torch.scope(() => {
        const inputs = batch(model, LENGTHS);
        const padded = model.forward(inputs, { outputs: ['logits'] });
        const unpad = model.forward(inputs, { outputs: ['logits'], unpad: true });
        assert.ok(!unpadded(padded, LENGTHS) && unpadded(unpad, LENGTHS), 'the unpadded path ran (zeros at padding)');
        const error = maxDifference(unpad.logits!, padded.logits!);
        assert.ok(error <= 1e-5, `${type}: logits differ by ${error}`);
      }));
      model.dispose();
    });

    test(`${type}: token classification logits at real tokens, eval`, () => {
      const model = tinyModel(AutoModelForTokenClassification, type, fields);
      torch.noGrad(() => torch.scope(() => {
        const inputs = batch(model, LENGTHS);
        const padded = model.forward(inputs, { outputs: ['logits'] });
        const unpad = model.forward(inputs, { outputs: ['logits'], unpad: true });
        assert.ok(unpadded(unpad, LENGTHS), 'the unpadded path ran');
        const error = maxDifference(unpad.logits!, padded.logits!, realTokens(LENGTHS));
        assert.ok(error <= 1e-5, `${type}: logits at real tokens differ by ${error}`);
      }));
      model.dispose();
    });

    test(`${type}: masked-LM loss with labels, eval`, () => {
      const model = tinyModel(AutoModelForMaskedLM, type, fields);
      torch.noGrad(() => torch.scope(() => {
        const inputs = batch(model, LENGTHS);
        // Every third real token labelled (another id), -100 elsewhere and at padding.
        const real = realTokens(LENGTHS);
        const labels = [...values(inputs.input_ids)].map((id, i) => (real[i] && i % 3 === 1 ? (id * 13) % 50 : -100));
        inputs.labels = torch.tensor(labels, { dtype: 'int64' }).view(inputs.input_ids.shape);
        const padded = model.forward(inputs, { outputs: [] });
        const unpad = model.forward(inputs, { outputs: [], unpad: true });
        assert.ok(unpadded(unpad, LENGTHS), 'the unpadded path ran');
        const [a, b] = [unpad.loss!.item(), padded.loss!.item()];
        assert.ok(Number.isFinite(b) && Math.abs(a - b) <= 1e-5, `${type}: MLM loss ${a} unpadded vs ${b} padded`);
      }));
      model.dispose();
    });

    test(`${type}: parameter gradients in training mode (dropout 0; relative 1e-5)`, () => {
      const heads = [['sequence', AutoModelForSequenceClassification], ['token', AutoModelForTokenClassification]] as const;
    for (const [head, auto] of heads) {
        const model = tinyModel(auto, type, fields);
        const inputs = batch(model, LENGTHS);
        const real = realTokens(LENGTHS);
        inputs.labels = auto === AutoModelForSequenceClassification
          ? torch.tensor(LENGTHS.map((_, r) => r % LABELS), { dtype: 'int64' })
          : torch.tensor(real.map((isReal, i) => (isReal ? i % LABELS : -100)), { dtype: 'int64' }).view(inputs.input_ids.shape);
        const grads = (unpad: boolean) => {
          for (const parameter of model.parameters()) parameter.grad = null;
          return torch.scope(() => {
            const out = model.forward(inputs, { train: true, outputs: [], unpad });
            assert.equal(unpadded(out, LENGTHS), unpad);
            out.loss!.backward();
            return new Map(model.namedParameters().flatMap(([name, p]) => (p.grad ? [[name, values(p.grad)] as const] : [])));
          });
        };
        const [padded, unpad] = [grads(false), grads(true)];
        assert.deepEqual([...unpad.keys()], [...padded.keys()]);
        const norm = (g: Float64Array) => Math.sqrt(g.reduce((sum, v) => sum + v * v, 0));
        const globalNorm = Math.sqrt([...padded.values()].reduce((sum, g) => sum + norm(g) ** 2, 0));
        assert.ok(globalNorm > 0, 'the loss has gradients');
        // ‖Δ‖ / ‖g‖ per tensor, with ‖g‖ floored at a thousandth of the global norm: gradients that are zero by
        // symmetry (attention key biases) hold rounding noise only.
        for (const [name, grad] of padded) {
          const other = unpad.get(name)!;
          const error = norm(grad.map((v, i) => v - other[i]!)) / Math.max(norm(grad), 1e-3 * globalNorm);
          assert.ok(error <= 1e-5, `${type} ${head} classification ${name}: gradient relative error ${error}`);
        }
        model.dispose();
        for (const tensor of Object.values(inputs)) tensor.dispose();
      }
    });

    test(`${type}: question answering asked to unpad gives exactly the padded outputs`, () => {
      const model = tinyModel(AutoModelForQuestionAnswering, type, fields);
      torch.noGrad(() => torch.scope(() => {
        const inputs = batch(model, LENGTHS);
        inputs.start_positions = torch.tensor([1, 4, 2, 0], { dtype: 'int64' });
        inputs.end_positions = torch.tensor([2, 7, 5, 0], { dtype: 'int64' });
        const padded = model.forward(inputs, { outputs: [] });
        const unpad = model.forward(inputs, { outputs: [], unpad: true });
        for (const name of ['start_logits', 'end_logits', 'loss', 'last_hidden_state']) {
          assert.deepEqual(values(unpad[name]!), values(padded[name]!), `${type} QA ${name}`);
        }
        assert.ok(!unpadded(unpad, LENGTHS), 'padding hidden states are computed (padded path)');
      }));
      model.dispose();
    });
  }
});

describe('outputs read at every position keep the padded path', () => {
  test('every output read (the default), or fill-mask logits read: bit-identical to padded', () => {
    const [type, fields] = ARCHITECTURES[0];
    for (const [head, auto, outputs] of [
      ['sequence classification', AutoModelForSequenceClassification, undefined], ['masked LM', AutoModelForMaskedLM, ['logits']],
    ] as const) {
      const model = tinyModel(auto, type, fields);
      torch.noGrad(() => torch.scope(() => {
        const inputs = batch(model, LENGTHS);
        const padded = model.forward(inputs, { outputs });
        const unpad = model.forward(inputs, { outputs, unpad: true });
        assert.ok(!unpadded(unpad, LENGTHS), `${head}: padding hidden states are computed`);
        assert.deepEqual(values(unpad.logits!), values(padded.logits!));
        assert.deepEqual(values(unpad.last_hidden_state!), values(padded.last_hidden_state!));
      }));
      model.dispose();
    }
  });
});

describe('edge cases', () => {
  const [type, fields] = ARCHITECTURES[0];

  test('UnpaddedTokens: gather and scatter back, zeros at padding, an empty row; none without padding', () => {
    torch.scope(() => {
      const mask = torch.tensor([[1, 1, 0], [0, 0, 0], [1, 0, 0]], { dtype: 'int64' });
      const tokens = UnpaddedTokens.of(mask)!;
      assert.equal(tokens.count, 3);
      const x = torch.arange(18, { dtype: 'float32' }).view(3, 3, 2);
      const rows = tokens.unpad(x);
      assert.deepEqual(rows.toArray(), [0, 1, 2, 3, 12, 13]);
      assert.deepEqual(tokens.pad(rows).toArray(), [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13, 0, 0, 0, 0]);
      assert.equal(UnpaddedTokens.of(torch.ones([2, 4], { dtype: 'int64' })), undefined, 'no padding: no gather');
      assert.equal(UnpaddedTokens.of(undefined), undefined);
      const empty = UnpaddedTokens.of(torch.zeros([2, 3], { dtype: 'int64' }))!;
      assert.deepEqual(empty.pad(empty.unpad(x.narrow(0, 0, 2))).toArray(), Array<number>(12).fill(0));
    });
  });

  test('gradients flow through the gather and the scatter', () => {
    torch.scope(() => {
      const tokens = UnpaddedTokens.of(torch.tensor([[1, 0], [1, 1]], { dtype: 'int64' }))!;
      const x = torch.arange(8, { dtype: 'float32' }).view(2, 2, 2).requiresGrad_(true);
      const weights = torch.arange(8, { dtype: 'float32' }).add(1).view(2, 2, 2);
      tokens.pad(tokens.unpad(x).mul(2)).mul(weights).sum().backward();
      assert.deepEqual(x.grad!.toArray(), [2, 4, 0, 0, 10, 12, 14, 16]);
    });
  });

  test('a batch of one, a batch without padding, a row without tokens', () => {
    const model = tinyModel(AutoModelForSequenceClassification, type, fields);
    torch.noGrad(() => torch.scope(() => {
      const one = batch(model, [5], 8);
      const single = model.forward(one, { outputs: ['logits'], unpad: true });
      assert.ok(unpadded(single, [5], 8), 'batch of one: the unpadded path ran');
      assert.ok(maxDifference(single.logits!, model.forward(one, { outputs: ['logits'] }).logits!) <= 1e-5, 'batch of one');

      const full = batch(model, [4, 4, 4]);
      assert.deepEqual(values(model.forward(full, { outputs: ['logits'], unpad: true }).logits!),
        values(model.forward(full, { outputs: ['logits'] }).logits!), 'no padding: the padded path itself');

      const withEmpty = batch(model, [3, 0, 6]);
      const [x, y] = [false, true].map((unpad) => values(model.forward(withEmpty, { outputs: ['logits'], unpad }).logits!));
      assert.ok(y!.every(Number.isFinite), 'finite logits, the empty row too');
      for (const r of [0, 2]) {
        for (let c = 0; c < LABELS; c++) {
          const i = r * LABELS + c;
          assert.ok(Math.abs(x![i]! - y![i]!) <= 1e-5, `row ${r} logit ${c}: ${y![i]} unpadded vs ${x![i]} padded`);
        }
      }
    }));
    model.dispose();
  });

  test('with three separate q/k/v projections (fusedProjections off) too', () => {
    const model = tinyModel(AutoModelForSequenceClassification, type, fields);
    torch.noGrad(() => torch.scope(() => {
      const inputs = batch(model, LENGTHS);
      const padded = model.forward(inputs, { outputs: ['logits'] });
      fusedProjections.enabled = false;
      try {
        const unpad = model.forward(inputs, { outputs: ['logits'], unpad: true });
        assert.ok(unpadded(unpad, LENGTHS), 'the unpadded path ran');
        assert.ok(maxDifference(unpad.logits!, padded.logits!) <= 1e-5);
      } finally {
        fusedProjections.enabled = true;
      }
    }));
    model.dispose();
  });

  test('bf16 autocast: the unpadded path runs and is close to the padded one', () => {
    const model = tinyModel(AutoModelForSequenceClassification, type, fields);
    torch.noGrad(() => torch.scope(() => {
      const inputs = batch(model, LENGTHS);
      const run = (unpad: boolean) => torch.autocast({ device: 'cpu', dtype: 'bfloat16' },
        () => model.forward(inputs, { outputs: ['logits'], unpad }));
      const [padded, unpad] = [run(false), run(true)];
      assert.ok(unpadded(unpad, LENGTHS), 'the unpadded path ran');
      const error = maxDifference(unpad.logits!, padded.logits!);
      assert.ok(error <= 5e-2, `bf16 logits differ by ${error}`);
    }));
    model.dispose();
  });
});
