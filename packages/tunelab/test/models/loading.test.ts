// Loading and saving: save → load round trips, the files transformers expects, bf16/fp16 and sharded and legacy
// pytorch_model.bin checkpoints, base ↔ head prefix handling with transformers' warning, an offline Hub cache, and
// clear errors for malformed folders.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as torch from '@tunelab/torch';
import type { DType, Tensor } from '@tunelab/torch';
import {
  AutoModel, AutoModelForMaskedLM, AutoModelForPreTraining, AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification, AutoModelForTokenClassification, ConfigError, logging, ModelFileNotFoundError,
  WeightsError, type AutoModelClass, type BertForPreTraining, type BertForQuestionAnswering,
  type BertForSequenceClassification, type PreTrainedModel,
} from '../../src/models/index.js';
import {
  captureWarnings, FIXTURES, LEGACY_BIN, loadFixture, modelInputs, relativeError, values,
} from './helpers.js';

const temporary = () => mkdtempSync(join(tmpdir(), 'tunelab-models-'));
const fixtureDir = (name: string) => join(FIXTURES, name);

/** A folder with the fixture's config.json (edited by `edit`) and the given weight tensors. */
function folderWith(name: string, tensors: Map<string, Tensor>, edit: (config: Record<string, unknown>) => void = () => {}): string {
  const dir = temporary();
  const config = JSON.parse(readFileSync(join(fixtureDir(name), 'config.json'), 'utf8'));
  edit(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (tensors.size > 0) torch.saveSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  return dir;
}

const fixtureWeights = (name: string) => torch.loadSafetensors(join(fixtureDir(name), 'model.safetensors'));

function forwardValues(model: PreTrainedModel, name: string): Record<string, Float64Array> {
  const outputs = torch.noGrad(() => model.forward(modelInputs(loadFixture(name), { device: 'cpu' })));
  return Object.fromEntries(Object.entries(outputs).filter(([, t]) => t).map(([k, t]) => [k, values(t!)]));
}

const quietly = async <T>(fn: () => Promise<T>) => (await captureWarnings(fn)).result;

describe('savePretrained → fromPretrained', () => {
  const cases: [string, AutoModelClass<PreTrainedModel>, string][] = [
    ['seqcls', AutoModelForSequenceClassification, 'BertForSequenceClassification'],
    ['regression', AutoModelForSequenceClassification, 'BertForSequenceClassification'],
    ['pretraining', AutoModelForPreTraining, 'BertForPreTraining'],
    ['roberta-seqcls', AutoModelForSequenceClassification, 'RobertaForSequenceClassification'],
    ['distilbert-seqcls', AutoModelForSequenceClassification, 'DistilBertForSequenceClassification'],
  ];
  for (const [name, Auto, architecture] of cases) {
    test(`${name}: identical outputs, and the files transformers writes`, async () => {
      const model = await Auto.fromPretrained(fixtureDir(name));
      const dir = join(temporary(), 'saved');
      model.savePretrained(dir);
      assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors'], 'no temporary files left');
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      const original = JSON.parse(readFileSync(join(fixtureDir(name), 'config.json'), 'utf8'));
      assert.deepEqual(config.architectures, [architecture]);
      assert.deepEqual(config.id2label, original.id2label ?? { 0: 'LABEL_0', 1: 'LABEL_1' });
      assert.equal(config.problem_type, original.problem_type);
      assert.equal(config.torch_dtype, 'float32');
      assert.ok(!('num_labels' in config) && !('extra' in config));
      const saved = torch.loadSafetensors(join(dir, 'model.safetensors'));
      assert.deepEqual(saved.metadata, { format: 'pt' });
      // transformers' own file for the same model: the same keys (tied decoder weight omitted), the same values
      const reference = fixtureWeights(name).tensors;
      assert.deepEqual([...saved.tensors.keys()].sort(), [...reference.keys()].sort());
      for (const [key, tensor] of reference) assert.deepEqual(values(saved.tensors.get(key)!), values(tensor), key);

      const reloaded = await Auto.fromPretrained(dir);
      assert.deepEqual(reloaded.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
      assert.deepEqual(forwardValues(reloaded, name), forwardValues(model, name));
      model.dispose();
      reloaded.dispose();
    });
  }

  test('an inferred problem_type is recorded; XLM-R saves its own class names; bf16 models save bf16', async () => {
    const model = await AutoModelForSequenceClassification.fromPretrained(fixtureDir('seqcls'));
    assert.equal(model.config.problem_type, undefined);
    torch.noGrad(() => model.forward(modelInputs(loadFixture('seqcls'), { device: 'cpu' })));
    assert.equal(model.config.problem_type, 'single_label_classification');
    model.to('bfloat16');
    const dir = temporary();
    model.savePretrained(dir);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(config.problem_type, 'single_label_classification');
    assert.equal(config.torch_dtype, 'bfloat16');
    assert.ok([...torch.loadSafetensors(join(dir, 'model.safetensors')).tensors.values()].every((t) => t.dtype === 'bfloat16'));

    const xlmr = folderWith('roberta-seqcls', fixtureWeights('roberta-seqcls').tensors, (c) => { c.model_type = 'xlm-roberta'; });
    const roberta = await AutoModelForSequenceClassification.fromPretrained(xlmr);
    roberta.savePretrained(xlmr);
    assert.deepEqual(JSON.parse(readFileSync(join(xlmr, 'config.json'), 'utf8')).architectures, ['XLMRobertaForSequenceClassification']);
  });
});

describe('checkpoint formats', () => {
  for (const dtype of ['bfloat16', 'float16'] as DType[]) {
    test(`a ${dtype} checkpoint loads, cast to the requested dtype`, async () => {
      const half = new Map([...fixtureWeights('seqcls').tensors].map(([k, t]) => [k, t.to(dtype)]));
      const dir = folderWith('seqcls', half);
      const model = await AutoModelForSequenceClassification.fromPretrained(dir);
      for (const [name, param] of model.namedParameters()) {
        assert.equal(param.dtype, 'float32', name);
        assert.deepEqual(values(param), values(half.get(name)!), `${name} holds the ${dtype} values exactly`);
      }
      const fixture = loadFixture('seqcls');
      const logits = torch.noGrad(() => model.forward(modelInputs(fixture, { device: 'cpu' })).logits);
      assert.ok(relativeError(logits, fixture.expected.get('out.logits')!) < 2e-2);

      const native = await AutoModelForSequenceClassification.fromPretrained(dir, { dtype });
      assert.ok(native.parameters().every((p) => p.dtype === dtype));
      model.dispose();
      native.dispose();
    });
  }

  test('sharded safetensors (model.safetensors.index.json) load like the single file', async () => {
    const { tensors } = fixtureWeights('tokcls');
    const dir = folderWith('tokcls', new Map());
    const keys = [...tensors.keys()];
    const shards = [keys.slice(0, 20), keys.slice(20)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shardKeys, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      torch.saveSafetensors(join(dir, file), new Map(shardKeys.map((k) => [k, tensors.get(k)!])), { format: 'pt' });
      for (const key of shardKeys) weightMap[key] = file;
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const sharded = await AutoModelForTokenClassification.fromPretrained(dir);
    const single = await AutoModelForTokenClassification.fromPretrained(fixtureDir('tokcls'));
    assert.deepEqual(sharded.loadingInfo?.missingKeys, []);
    assert.deepEqual(forwardValues(sharded, 'tokcls'), forwardValues(single, 'tokcls'));
  });

  test("an old pytorch_model.bin (LayerNorm gamma/beta, position_ids buffer, tied decoder saved) loads cleanly", async () => {
    const { result: model, lines } = await captureWarnings(async () => await AutoModelForPreTraining.fromPretrained(LEGACY_BIN) as BertForPreTraining);
    assert.deepEqual(model.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
    assert.deepEqual(lines, []);
    const fixture = loadFixture('pretraining');
    const outputs = torch.noGrad(() => model.forward(modelInputs(fixture, { device: 'cpu' })));
    assert.ok(relativeError(outputs.prediction_logits, fixture.expected.get('out.prediction_logits')!, fixture.inputs.get('attention_mask')) < 1e-5);
    assert.ok(relativeError(outputs.loss!, fixture.expected.get('out.loss')!) < 1e-5);
  });
});

describe('base and head checkpoints (transformers prefix rules)', () => {
  test('a head checkpoint into AutoModel: the `bert.` prefix is stripped, the head is reported unused', async () => {
    const { result: model, lines } = await captureWarnings(() => AutoModel.fromPretrained(fixtureDir('seqcls')));
    assert.deepEqual(model.loadingInfo?.unexpectedKeys, ['classifier.bias', 'classifier.weight']);
    assert.deepEqual(model.loadingInfo?.missingKeys, []);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /were not used when initializing BertModel: \[classifier.bias, classifier.weight\]/);
    const fixture = loadFixture('seqcls');
    const out = torch.noGrad(() => model.forward(modelInputs(fixture, { labels: false, device: 'cpu' })));
    assert.ok(relativeError(out.pooler_output!, fixture.expected.get('out.pooler_output')!) < 1e-5);
    assert.ok(relativeError(out.last_hidden_state, fixture.expected.get('out.last_hidden_state')!, fixture.inputs.get('attention_mask')) < 1e-5);
  });

  test('a base checkpoint into a head model: the prefix is added, the new head initialised and listed once', async () => {
    const base = await quietly(() => AutoModel.fromPretrained(fixtureDir('seqcls')));
    const dir = temporary();
    base.savePretrained(dir);
    assert.ok(torch.loadSafetensors(join(dir, 'model.safetensors')).tensors.has('embeddings.word_embeddings.weight'));
    // the saved base keeps the classifier's 3 labels; a QA head needs 2 (start, end)
    const { result: model, lines } = await captureWarnings(async () =>
      await AutoModelForQuestionAnswering.fromPretrained(dir, { numLabels: 2 }) as BertForQuestionAnswering);
    assert.deepEqual(model.loadingInfo?.missingKeys, ['qa_outputs.weight', 'qa_outputs.bias']);
    assert.deepEqual(model.loadingInfo?.unexpectedKeys, ['bert.pooler.dense.bias', 'bert.pooler.dense.weight']);
    assert.equal(lines.length, 1, 'one warning');
    assert.match(lines[0]!, /not initialized from the model checkpoint at .* and are newly initialized: \[qa_outputs.weight, qa_outputs.bias\]/);
    assert.match(lines[0]!, /were not used when initializing BertForQuestionAnswering: \[bert.pooler.dense.bias, bert.pooler.dense.weight\]/);
    assert.match(lines[0]!, /You should probably TRAIN this model/);
    const bias = values(model.qa_outputs.bias!);
    const weight = values(model.qa_outputs.weight);
    assert.ok(bias.every((v) => v === 0), 'new biases start at 0');
    const std = Math.sqrt(weight.reduce((s, v) => s + v * v, 0) / weight.length);
    assert.ok(std > 0.01 && std < 0.03, `new weights ~ N(0, 0.02): std ${std}`);
    const fixture = loadFixture('seqcls');
    const out = torch.noGrad(() => model.forward(modelInputs(fixture, { labels: false, device: 'cpu' })));
    assert.ok(relativeError(out.last_hidden_state, fixture.expected.get('out.last_hidden_state')!, fixture.inputs.get('attention_mask')) < 1e-5);

    logging.setVerbosity('error');
    try {
      const silenced = await captureWarnings(() => AutoModelForQuestionAnswering.fromPretrained(dir, { numLabels: 2 }));
      assert.deepEqual(silenced.lines, []);
    } finally {
      logging.setVerbosity('warning');
    }
  });

  test('a pre-training checkpoint into a masked LM keeps the tied MLM head', async () => {
    const { result: model } = await captureWarnings(() => AutoModelForMaskedLM.fromPretrained(fixtureDir('pretraining')));
    assert.deepEqual(model.loadingInfo?.missingKeys, []);
    assert.deepEqual(model.loadingInfo?.unexpectedKeys,
      ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight']);
    const fixture = loadFixture('pretraining');
    const out = torch.noGrad(() => model.forward(modelInputs(fixture, { labels: false, device: 'cpu' })));
    assert.ok(relativeError(out.logits, fixture.expected.get('out.prediction_logits')!, fixture.inputs.get('attention_mask')) < 1e-5);
  });

  test('a classifier of another size: an error naming the tensor, or re-initialised with ignoreMismatchedSizes', async () => {
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained(fixtureDir('seqcls'), { numLabels: 5 }),
      (e: unknown) => e instanceof WeightsError &&
        /model.safetensors: classifier.bias has shape \[3\] in the checkpoint, \[5\] in BertForSequenceClassification; classifier.weight has shape \[3, 64\] in the checkpoint, \[5, 64\]/.test(e.message));
    const { result: model, lines } = await captureWarnings(async () => await AutoModelForSequenceClassification.fromPretrained(
      fixtureDir('seqcls'), { numLabels: 5, ignoreMismatchedSizes: true }) as BertForSequenceClassification);
    assert.equal(model.config.num_labels, 5);
    assert.equal(model.config.id2label[4], 'LABEL_4');
    assert.deepEqual(model.loadingInfo?.mismatchedKeys.map((m) => m.key), ['classifier.bias', 'classifier.weight']);
    assert.match(lines[0]!, /shapes did not match: classifier.bias: checkpoint \[3\], model \[5\]/);
    assert.ok(values(model.classifier.bias!).every((v) => v === 0));
  });
});

describe('the Hub cache, offline', () => {
  test('a Python-layout cache folder (refs/main → snapshots/<sha>) loads without network', async () => {
    const cacheDir = temporary();
    const repo = join(cacheDir, 'models--tunelab-test--tiny-bert');
    const sha = 'a'.repeat(40);
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), sha);
    mkdirSync(join(repo, 'snapshots', sha), { recursive: true });
    for (const file of ['config.json', 'model.safetensors']) copyFileSync(join(fixtureDir('qa'), file), join(repo, 'snapshots', sha, file));
    const model = await AutoModelForQuestionAnswering.fromPretrained('tunelab-test/tiny-bert', { cacheDir, offline: true });
    const fixture = loadFixture('qa');
    const out = torch.noGrad(() => model.forward(modelInputs(fixture, { device: 'cpu' })));
    assert.ok(relativeError(out.start_logits, fixture.expected.get('out.start_logits')!, fixture.inputs.get('attention_mask')) < 1e-5);
    const pinned = await AutoModelForQuestionAnswering.fromPretrained('tunelab-test/tiny-bert', { cacheDir, offline: true, revision: sha });
    assert.deepEqual(forwardValues(pinned, 'qa'), forwardValues(model, 'qa'));
  });
});

describe('malformed folders fail with the file named', () => {
  test('no config.json, no weights, fromScratch', async () => {
    const empty = temporary();
    await assert.rejects(AutoModel.fromPretrained(empty),
      (e: unknown) => e instanceof ModelFileNotFoundError && e.message === `${empty}: no config.json`);
    const configOnly = folderWith('seqcls', new Map());
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained(configOnly),
      (e: unknown) => e instanceof ModelFileNotFoundError && /no weights \(looked for model.safetensors.*pass fromScratch/.test(e.message));
    const fresh = await AutoModelForSequenceClassification.fromPretrained(configOnly, { fromScratch: true });
    assert.equal(fresh.loadingInfo, null);
    assert.ok(values(fresh.namedParameters().find(([n]) => n === 'bert.embeddings.LayerNorm.weight')![1]).every((v) => v === 1));
  });

  test('a wrongly typed config field names config.json and the field', async () => {
    const dir = folderWith('seqcls', new Map(), (c) => { c.num_hidden_layers = 'two'; });
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained(dir, { fromScratch: true }),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${join(dir, 'config.json')}: num_hidden_layers:`));
  });

  test('truncated or garbage weights are a WeightsError naming the file', async () => {
    const dir = folderWith('seqcls', new Map());
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, readFileSync(join(fixtureDir('seqcls'), 'model.safetensors')).subarray(0, 4000));
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained(dir),
      (e: unknown) => e instanceof WeightsError && e.message.startsWith(`${file}: cannot read weights`));
    writeFileSync(file, 'not a safetensors file at all');
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained(dir),
      (e: unknown) => e instanceof WeightsError && e.message.startsWith(`${file}: cannot read weights`));
    const sharded = folderWith('seqcls', new Map());
    writeFileSync(join(sharded, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../escape.safetensors' } }));
    await assert.rejects(AutoModelForSequenceClassification.fromPretrained(sharded),
      (e: unknown) => e instanceof WeightsError && /model.safetensors.index.json: weight_map must map/.test(e.message));
  });
});
