// Parity with the tiny-bert fixtures (an independent PyTorch implementation of transformers' BERT): outputs at real
// tokens and loss ≤ 1e-5 relative, every parameter's gradient ≤ 1e-4, and the 6-step AdamW trajectory ≤ 1e-4, in
// float32 on the CPU. TUNELAB_TEST_DEVICE=cuda and TUNELAB_TEST_AUTOCAST=bf16 rerun them on a GPU / under bf16.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as torch from '@tunelab/torch';
import { nn, optim, type Tensor } from '@tunelab/torch';
import {
  AutoModelForPreTraining, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
  AutoModelForTokenClassification, noDecayParameterNames, type AutoModelClass, type PreTrainedModel,
} from '../../src/models/index.js';
import { DEVICE, loadFixture, modelInputs, relativeError, TOLERANCE, values, withPrecision } from './helpers.js';

const FIXTURES: [string, AutoModelClass<PreTrainedModel>, { trajectory: boolean }][] = [
  ['seqcls', AutoModelForSequenceClassification, { trajectory: true }],
  ['regression', AutoModelForSequenceClassification, { trajectory: true }],
  ['qa', AutoModelForQuestionAnswering, { trajectory: true }],
  ['tokcls', AutoModelForTokenClassification, { trajectory: true }],
  ['pretraining', AutoModelForPreTraining, { trajectory: true }],
  ['roberta-seqcls', AutoModelForSequenceClassification, { trajectory: false }],
  ['distilbert-seqcls', AutoModelForSequenceClassification, { trajectory: false }],
];

/** Largest relative error per fixture and kind, printed at the end (the numbers the report quotes). */
const worst: Record<string, Record<string, number>> = {};
function record(fixture: string, kind: string, error: number): void {
  worst[fixture] ??= {};
  worst[fixture]![kind] = Math.max(worst[fixture]![kind] ?? 0, error);
}
after(() => {
  console.log(`parity (device ${DEVICE}${process.env.TUNELAB_TEST_AUTOCAST ? `, autocast ${process.env.TUNELAB_TEST_AUTOCAST}` : ''}):`);
  for (const [name, kinds] of Object.entries(worst)) {
    console.log(`  ${name}: ${Object.entries(kinds).map(([kind, e]) => `${kind} ${e.toExponential(2)}`).join(', ')}`);
  }
});

/** linear warmup over 2 steps, then linear decay to 0 at step 8 (transformers' get_linear_schedule_with_warmup). */
function learningRate(step: number): number {
  const peak = 1e-3;
  return step < 2 ? (peak * step) / 2 : (peak * (8 - step)) / 6;
}

for (const [name, Auto, { trajectory }] of FIXTURES) {
  describe(`tiny-bert ${name}`, () => {
    test('outputs at real tokens and loss match', async () => {
      const fixture = loadFixture(name);
      const model = await Auto.fromPretrained(fixture.dir, { device: DEVICE });
      const inputs = modelInputs(fixture);
      const mask = fixture.inputs.get('attention_mask')!;
      const outputs = torch.noGrad(() => withPrecision(() => model.forward(inputs)));
      const compared = [...fixture.expected.keys()].filter((key) => key.startsWith('out.'));
      assert.ok(compared.length >= 3, `${name}: expected outputs missing`);
      for (const key of compared) {
        const output = outputs[key.slice(4)];
        assert.ok(output, `${name}: the model returned no ${key.slice(4)}`);
        const expected = fixture.expected.get(key)!;
        const perToken = expected.ndim >= 2 && expected.shape[1] === mask.shape[1];
        assert.deepEqual(output.numel(), expected.numel(), `${key} size`);
        const error = relativeError(output, expected, perToken ? mask : undefined);
        record(name, key === 'out.loss' ? 'loss' : 'outputs', error);
        assert.ok(error <= TOLERANCE.output, `${name} ${key}: relative error ${error}`);
      }
      model.dispose();
    });

    test('every parameter gradient matches', async () => {
      const fixture = loadFixture(name);
      const model = await Auto.fromPretrained(fixture.dir, { device: DEVICE });
      const loss = withPrecision(() => model.forward(modelInputs(fixture)).loss!);
      loss.backward();
      const expectedNames = [...fixture.expected.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice(5));
      assert.deepEqual(model.namedParameters().map(([n]) => n).sort(), expectedNames.sort());
      for (const [param, tensor] of model.namedParameters()) {
        const grad = tensor.grad;
        assert.ok(grad, `${name}: ${param} has no gradient`);
        const error = relativeError(grad, fixture.expected.get(`grad.${param}`)!);
        record(name, 'gradients', error);
        assert.ok(error <= TOLERANCE.grad, `${name} grad ${param}: relative error ${error}`);
        grad.dispose();
      }
      model.dispose();
    });

    if (trajectory) {
      test('6-step AdamW trajectory (warmup, linear decay, clipping) matches', async () => {
        const fixture = loadFixture(name);
        const model = (await Auto.fromPretrained(fixture.dir, { device: DEVICE })).train();
        const noDecay = noDecayParameterNames(model);
        const named = model.namedParameters();
        const optimizer = new optim.AdamW([
          { params: named.filter(([n]) => !noDecay.has(n)).map(([, p]) => p), weightDecay: 0.01 },
          { params: named.filter(([n]) => noDecay.has(n)).map(([, p]) => p), weightDecay: 0 },
        ], { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 });
        const inputs = modelInputs(fixture);
        const losses: number[] = [];
        const norms: number[] = [];
        const rates: number[] = [];
        for (let step = 0; step < 6; step++) {
          for (const group of optimizer.paramGroups) group.lr = learningRate(step);
          optimizer.zeroGrad();
          losses.push(torch.scope(() => {
            const loss = withPrecision(() => model.forward(inputs).loss!);
            loss.backward();
            return loss.item();
          }));
          norms.push(nn.utils.clipGradNorm(model.parameters(), 1.0));
          rates.push(learningRate(step));
          optimizer.step();
        }
        const compare = (actual: number[], key: string) => {
          const expected = values(fixture.expected.get(key)!);
          const diff = Math.hypot(...actual.map((v, i) => v - expected[i]!));
          return diff / Math.hypot(...expected);
        };
        assert.ok(compare(rates, 'train.lr') < 1e-6, `learning rates ${rates} vs fixture`);
        const lossError = compare(losses, 'train.loss');
        const normError = compare(norms, 'train.grad_norm');
        record(name, 'trajectory loss', lossError);
        record(name, 'trajectory grad norm', normError);
        assert.ok(lossError <= TOLERANCE.trajectory, `losses ${losses}: relative error ${lossError}`);
        assert.ok(normError <= TOLERANCE.trajectory, `grad norms ${norms}: relative error ${normError}`);
        for (const [param, tensor] of named) {
          const error = relativeError(tensor, fixture.expected.get(`train.param.${param}`)!);
          record(name, 'trajectory params', error);
          assert.ok(error <= TOLERANCE.trajectory, `${name} ${param} after 6 steps: relative error ${error}`);
        }
        model.dispose();
      });
    }
  });
}

/** Keeps the type import used when a fixture list is edited. */
export type { Tensor };
