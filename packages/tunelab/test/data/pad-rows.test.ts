// padRows: a short batch grown to the batch size with rows every loss ignores (CUDA graphs replay an epoch's last
// batch in the full batch's graph). The loss and the gradients must be those of the short batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import { collate, padRows, type Batch } from '../../src/data/collate.js';
import type { FeatureSet } from '../../src/data/features.js';
import { Rng } from '../../src/data/rng.js';
import {
  AutoConfig, AutoModelForMaskedLM, AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForTokenClassification,
} from '../../src/models/auto.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';
import { toModelInputs } from '../../src/train/inference.js';

const CONFIG = {
  vocab_size: 64, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32,
};

function features(kind: FeatureSet['labelKind'], count: number): FeatureSet {
  const rng = new Rng(3, 7);
  return {
    labelKind: kind,
    features: Array.from({ length: count }, () => {
      const length = 5 + rng.below(10);
      const input_ids = Int32Array.from({ length }, (_, t) => (t === 0 ? 2 : 4 + rng.below(60)));
      return {
        input_ids, token_type_ids: new Int32Array(length), label: rng.below(3),
        token_labels: Int32Array.from({ length }, (_, t) => (t === 0 ? -100 : rng.below(3))),
        start_position: 1 + rng.below(3), end_position: 4 + rng.below(2),
      };
    }),
  };
}

/** The loss and every parameter's gradient of one fp32 forward/backward of `batch`. */
function lossAndGrads(model: PreTrainedModel, batch: Batch): { loss: number; grads: Float32Array[] } {
  return torch.scope(() => {
    const out = model.forward(toModelInputs(batch, 'cpu', true), { train: false });
    out.loss!.backward();
    const params = model.parameters() as Tensor[];
    const grads = params.map((p) => p.grad!.toTypedArray() as Float32Array);
    for (const p of params) p.grad = null;
    return { loss: out.loss!.item(), grads };
  });
}

function assertSameTraining(model: PreTrainedModel, batch: Batch, what: string): void {
  const padded = padRows(batch, batch.size[0] + 3);
  assert.ok(padded, `${what}: padded`);
  assert.deepEqual(padded.size, [batch.size[0] + 3, batch.size[1]]);
  const short = lossAndGrads(model, batch);
  const long = lossAndGrads(model, padded);
  assert.ok(Math.abs(short.loss - long.loss) < 1e-6, `${what}: loss ${short.loss} vs ${long.loss}`);
  short.grads.forEach((grad, i) => {
    for (let j = 0; j < grad.length; j++) {
      assert.ok(Math.abs(grad[j] - long.grads[i][j]) < 1e-6, `${what}: parameter ${i} gradient ${j}: ${grad[j]} vs ${long.grads[i][j]}`);
    }
  });
  model.dispose();
}

const tiny = () => { torch.manualSeed(5); return AutoConfig.forModel('bert', CONFIG); };

test('padRows: class labels: the same loss and gradients, the extra rows ignored', () => {
  const batch = collate(features('class', 5), [0, 1, 2, 3, 4], { padId: 0 });
  assertSameTraining(AutoModelForSequenceClassification.fromConfig(tiny(), { numLabels: 3 }), batch, 'class');
});

test('padRows: token labels: the same loss and gradients', () => {
  const batch = collate(features('tokens', 4), [0, 1, 2, 3], { padId: 0 });
  assertSameTraining(AutoModelForTokenClassification.fromConfig(tiny(), { numLabels: 3 }), batch, 'tokens');
});

test('padRows: answer spans: the same loss and gradients (the extra rows point at T, which the loss ignores)', () => {
  const batch = collate(features('span', 4), [0, 1, 2, 3], { padId: 0 });
  const padded = padRows(batch, 6)!;
  assert.deepEqual([...padded.start_positions!.slice(4)], [batch.size[1], batch.size[1]]);
  assertSameTraining(AutoModelForQuestionAnswering.fromConfig(tiny()), batch, 'span');
});

test('padRows: masked-LM labels: the same loss and gradients', () => {
  const batch = collate(features('tokens', 4), [0, 1, 2, 3], { padId: 0 }); // token labels serve as MLM labels
  assertSameTraining(AutoModelForMaskedLM.fromConfig(tiny()), batch, 'mlm');
});

test('padRows: regression scores cannot be ignored (null); a full batch needs nothing (null); dummy rows attend to one token', () => {
  assert.equal(padRows(collate(features('score', 3), [0, 1, 2], { padId: 0 }), 5), null);
  const batch = collate(features('class', 3), [0, 1, 2], { padId: 0 });
  assert.equal(padRows(batch, 3), null);
  const padded = padRows(batch, 5)!;
  const t = batch.size[1];
  for (const r of [3, 4]) {
    assert.deepEqual([...padded.attention_mask.slice(r * t, (r + 1) * t)], [1, ...new Array(t - 1).fill(0)]);
    assert.equal(padded.labels![r], -100);
    assert.equal(padded.feature_index[r], -1);
  }
  assert.deepEqual([...padded.input_ids.slice(0, 3 * t)], [...batch.input_ids]);
});
