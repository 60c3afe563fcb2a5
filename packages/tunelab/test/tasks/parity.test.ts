// The mlm and pretraining tasks against the `pretraining` fixture of ../shared/fixtures/tiny-bert (an independent
// PyTorch BERT): the task's model (loadModelForTask) fed through the trainer's batch path (Batch → toModelInputs,
// next_sentence_label included) gives the fixture's logits and loss; the masked-LM head's loss equals a float64 cross
// entropy of the fixture's logits over the labelled tokens, and the NSP head's logits match.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import type { Batch } from '../../src/data/collate.js';
import { loadModelForTask } from '../../src/tasks/index.js';
import { toModelInputs } from '../../src/train/inference.js';
import { SHARED, relativeError, values } from '../models/helpers.js';

const DIR = join(SHARED, 'fixtures/tiny-bert/pretraining');
const inputs = torch.loadSafetensors(join(DIR, 'inputs.safetensors')).tensors;
const expected = torch.loadSafetensors(join(DIR, 'expected.safetensors')).tensors;
const int32 = (name: string) => Int32Array.from(values(inputs.get(name)!));

/** The fixture's inputs as a collated batch (what the trainer and evaluation hand to the model). */
function fixtureBatch(): Batch {
  const [b, t] = inputs.get('input_ids')!.shape as [number, number];
  return {
    size: [b, t], input_ids: int32('input_ids'), attention_mask: int32('attention_mask'),
    token_type_ids: int32('token_type_ids'), labels: int32('label.labels'),
    next_sentence_label: int32('label.next_sentence_label'), feature_index: Int32Array.from({ length: b }, (_, i) => i),
  };
}

/** Mean cross entropy (float64) of logits [N, V] at the rows whose label is not -100. */
function crossEntropy(logits: Float64Array, labels: Int32Array, classes: number): number {
  let sum = 0;
  let count = 0;
  labels.forEach((label, row) => {
    if (label === -100) return;
    const slice = logits.subarray(row * classes, (row + 1) * classes);
    const max = Math.max(...slice);
    const logSum = max + Math.log(slice.reduce((acc, v) => acc + Math.exp(v - max), 0));
    sum += logSum - slice[label];
    count++;
  });
  return sum / count;
}

const mask = inputs.get('attention_mask')!;
const options = { labels: null, fromScratch: false, device: 'cpu' as const };

test('--task pretraining: BertForPreTraining logits and MLM + NSP loss through the batch path', async () => {
  const model = await loadModelForTask('pretraining', DIR, options);
  assert.equal(model.architecture, 'BertForPreTraining');
  torch.noGrad(() => torch.scope(() => {
    const out = model.forward(toModelInputs(fixtureBatch(), 'cpu', true)) as Record<string, Tensor>;
    assert.ok(relativeError(out.prediction_logits, expected.get('out.prediction_logits')!, mask) < 1e-5);
    assert.ok(relativeError(out.seq_relationship_logits, expected.get('out.seq_relationship_logits')!) < 1e-5);
    assert.ok(relativeError(out.loss, expected.get('out.loss')!) < 1e-5);
  }));
  model.dispose();
});

test('--task mlm: BertForMaskedLM from the pre-training checkpoint, loss = CE of the fixture logits at labelled tokens', async () => {
  const model = await loadModelForTask('mlm', DIR, options);
  assert.equal(model.architecture, 'BertForMaskedLM');
  assert.deepEqual(model.loadingInfo?.missingKeys, []);
  assert.deepEqual(model.loadingInfo?.unexpectedKeys, ['bert.pooler.dense.bias', 'bert.pooler.dense.weight',
    'cls.seq_relationship.bias', 'cls.seq_relationship.weight']);
  const reference = expected.get('out.prediction_logits')!;
  const mlmLoss = crossEntropy(values(reference), int32('label.labels'), reference.shape[2]!);
  const batch = fixtureBatch();
  delete batch.next_sentence_label;
  torch.noGrad(() => torch.scope(() => {
    const out = model.forward(toModelInputs(batch, 'cpu', true)) as Record<string, Tensor>;
    assert.ok(relativeError(out.logits, reference, mask) < 1e-5);
    assert.ok(Math.abs(out.loss.item() - mlmLoss) / mlmLoss < 1e-5, `${out.loss.item()} vs ${mlmLoss}`);
  }));
  model.dispose();
});
