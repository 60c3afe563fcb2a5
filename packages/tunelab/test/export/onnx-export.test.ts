// ONNX export: every tiny-bert fixture and every architecture × head gives, under onnxruntime-node, the outputs
// tunelab's own forward computes (1e-4), at two batch/sequence shapes through one file (dynamic axes); int8
// quantization turns the weight MatMuls into MatMulInteger; the output folder is written whole or not at all.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import {
  AutoModel, AutoModelForMaskedLM, AutoModelForPreTraining, AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification, AutoModelForTokenClassification, type AutoModelClass,
} from '../../src/models/auto.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';
import { ExportError } from '../../src/export/errors.js';
import { exportModel } from '../../src/export/onnx-export.js';
import {
  maxDifference, randomInputs, runOnnx, tempDir, TINY_BERT, TINY_CONFIGS, tinyModelFolder, tinyModelWithTokenizer,
} from './helpers.js';

const { onnx } = onnxProto;
const TOLERANCE = 1e-4;

/** The Auto class that loads each fixture's head. */
const FIXTURES: Record<string, AutoModelClass<PreTrainedModel>> = {
  'seqcls': AutoModelForSequenceClassification,
  'regression': AutoModelForSequenceClassification,
  'qa': AutoModelForQuestionAnswering,
  'tokcls': AutoModelForTokenClassification,
  'roberta-seqcls': AutoModelForSequenceClassification,
  'distilbert-seqcls': AutoModelForSequenceClassification,
  'pretraining': AutoModelForPreTraining,
};

const HEADS: Record<string, AutoModelClass<PreTrainedModel>> = {
  'base model': AutoModel,
  'sequence classification': AutoModelForSequenceClassification,
  'token classification': AutoModelForTokenClassification,
  'question answering': AutoModelForQuestionAnswering,
  'masked LM': AutoModelForMaskedLM,
  'pre-training': AutoModelForPreTraining,
};

/** Exports `modelDir`, runs the ONNX file and tunelab on `inputs`, and checks every ONNX output against tunelab's. */
async function checkExport(modelDir: string, auto: AutoModelClass<PreTrainedModel>, inputSets: Record<string, Tensor>[]): Promise<string[]> {
  const out = join(tempDir(), 'exported');
  await exportModel({ model: modelDir, output: out });
  const model = await auto.fromPretrained(modelDir);
  try {
    let names: string[] = [];
    for (const inputs of inputSets) {
      const onnxOutputs = await runOnnx(join(out, 'onnx/model.onnx'), inputs);
      names = Object.keys(onnxOutputs);
      const expected = torch.noGrad(() => model.forward(inputs as never) as Record<string, Tensor | undefined>);
      assert.ok(names.length > 0);
      for (const name of names) {
        assert.ok(expected[name], `tunelab's ${model.architecture} has no output ${name}`);
        const difference = maxDifference(onnxOutputs[name]!, expected[name]!, inputs.attention_mask);
        assert.ok(difference <= TOLERANCE, `${model.architecture} ${name}: max |onnx − tunelab| = ${difference}`);
      }
    }
    return names;
  } finally {
    model.dispose();
  }
}

describe('the tiny-bert fixtures under onnxruntime-node', () => {
  for (const [name, auto] of Object.entries(FIXTURES)) {
    test(name, async () => {
      const tensors = torch.loadSafetensors(join(TINY_BERT, name, 'inputs.safetensors')).tensors;
      const inputs = Object.fromEntries([...tensors].filter(([key]) => !key.startsWith('label.')));
      await checkExport(join(TINY_BERT, name), auto, [inputs]);
    });
  }
});

describe('every architecture and head', () => {
  for (const modelType of Object.keys(TINY_CONFIGS)) {
    for (const [head, auto] of Object.entries(HEADS)) {
      test(`${modelType} ${head}, two batch/sequence shapes through one file`, async () => {
        const dir = tinyModelFolder(auto, modelType, head === 'sequence classification' ? { num_labels: 3 } : {});
        const padId = modelType.endsWith('roberta') ? 1 : 0;
        const segments = modelType === 'bert' || modelType === 'electra';
        const shapes = [randomInputs([9, 4, 6], 120, padId, segments), randomInputs([3], 120, padId, segments)];
        if (!segments) for (const inputs of shapes) delete inputs.token_type_ids; // the graph must not ask for them
        const names = await checkExport(dir, auto, shapes);
        assert.ok(names.length > 0);
      });
    }
  }
});

function decode(file: string) {
  return onnx.ModelProto.decode(readFileSync(file));
}

test('the graph: opset 17, dynamic batch_size and sequence_length axes, transformers\' input and output names', async () => {
  const out = join(tempDir(), 'exported');
  await exportModel({ model: join(TINY_BERT, 'seqcls'), output: out });
  const model = decode(join(out, 'onnx/model.onnx'));
  assert.ok(model.opsetImport.length > 0);
  assert.ok(model.opsetImport.every((opset) => opset.domain !== '' || Number(opset.version) >= 14));
  const input = model.graph!.input ?? [];
  const output = model.graph!.output ?? [];
  assert.deepEqual(input.map((value) => value.name), ['input_ids', 'attention_mask', 'token_type_ids']);
  for (const value of input) {
    assert.deepEqual(value.type!.tensorType!.shape!.dim!.map((dim) => dim.dimParam), ['batch_size', 'sequence_length']);
  }
  assert.deepEqual(output.map((value) => value.name), ['logits']);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')),
    JSON.parse(readFileSync(join(TINY_BERT, 'seqcls/config.json'), 'utf8')), 'config.json is the model\'s');
});

test('a config.json without architectures exports the base model, as transformers falls back to it', async () => {
  const model = tinyModelFolder(AutoModelForSequenceClassification, 'bert');
  const configPath = join(model, 'config.json');
  const { architectures: _architectures, ...config } = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(configPath, JSON.stringify(config));
  const out = join(tempDir(), 'exported');
  const result = await exportModel({ model, output: out });
  assert.equal(result.architecture, 'BertModel');
  assert.deepEqual(decode(join(out, 'onnx/model.onnx')).graph!.output!.map((value) => value.name), ['last_hidden_state', 'pooler_output']);
});

test('--quantize int8: weight MatMuls become uint8 MatMulInteger, the outputs stay close and pick the same classes', async () => {
  const out = join(tempDir(), 'exported');
  const result = await exportModel({ model: join(TINY_BERT, 'seqcls'), output: out, quantize: 'int8' });
  assert.deepEqual(result.files.map((file) => file.path), ['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx']);
  const count = (file: string, op: string) => decode(join(out, 'onnx', file)).graph!.node!.filter((node) => node.opType === op).length;
  // 2 layers × (Q, K, V, attention output, intermediate, output) + pooler + classifier = 14 weight MatMuls; the
  // 2 × 2 attention MatMuls (scores, context) multiply activations and stay float.
  assert.equal(count('model.onnx', 'MatMul'), 14 + 4);
  assert.equal(count('model_quantized.onnx', 'MatMulInteger'), 14);
  assert.equal(count('model_quantized.onnx', 'MatMul'), 4);
  const size = (file: string) => statSync(join(out, 'onnx', file)).size;
  assert.ok(size('model_quantized.onnx') < size('model.onnx'));

  const tensors = torch.loadSafetensors(join(TINY_BERT, 'seqcls/inputs.safetensors')).tensors;
  const inputs = Object.fromEntries([...tensors].filter(([key]) => !key.startsWith('label.')));
  const full = (await runOnnx(join(out, 'onnx/model.onnx'), inputs)).logits!.data as Float32Array;
  const quantized = (await runOnnx(join(out, 'onnx/model_quantized.onnx'), inputs)).logits!.data as Float32Array;
  let difference = 0;
  let norm = 0;
  full.forEach((value, i) => { difference += (value - quantized[i]!) ** 2; norm += value ** 2; });
  assert.ok(Math.sqrt(difference / norm) < 5e-2, `relative error ${Math.sqrt(difference / norm)}`);
  const argmax = (row: Float32Array) => row.indexOf(Math.max(...row));
  for (let row = 0; row < 3; row++) {
    assert.equal(argmax(quantized.subarray(row * 3, row * 3 + 3)), argmax(full.subarray(row * 3, row * 3 + 3)));
  }
});

test('the tokenizer goes along: tokenizer.json, tokenizer_config.json (BertTokenizer), special_tokens_map.json, vocab.txt', async () => {
  const out = join(tempDir(), 'exported');
  const result = await exportModel({ model: tinyModelWithTokenizer(AutoModelForSequenceClassification), output: out });
  assert.equal(result.tokenizer, true);
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
    assert.ok(existsSync(join(out, file)), file);
  }
  assert.equal(JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')).tokenizer_class, 'BertTokenizer');
});

describe('the output folder is written whole or not at all', () => {
  test('an occupied --output is refused and left as it was', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await assert.rejects(exportModel({ model: join(TINY_BERT, 'seqcls'), output: out }),
      (error: Error) => error instanceof ExportError && /--output .*: already exists and is not an empty folder/.test(error.message));
    assert.deepEqual(readdirSync(out), ['keep.txt']);
  });

  test('an empty --output folder is filled', async () => {
    const out = tempDir();
    await exportModel({ model: join(TINY_BERT, 'seqcls'), output: out });
    assert.ok(existsSync(join(out, 'onnx/model.onnx')));
  });

  test('a broken tokenizer.json is refused before anything is written, not even OUT\'s missing parent folders', async () => {
    const model = tinyModelFolder(AutoModelForSequenceClassification, 'bert');
    writeFileSync(join(model, 'tokenizer.json'), '{ not json');
    const parent = tempDir();
    await assert.rejects(exportModel({ model, output: join(parent, 'missing', 'exported') }), /tokenizer\.json/);
    assert.deepEqual(readdirSync(parent), []);
  });

  test('missing parent folders of OUT are created', async () => {
    const out = join(tempDir(), 'a', 'b', 'exported');
    await exportModel({ model: join(TINY_BERT, 'seqcls'), output: out });
    assert.deepEqual(readdirSync(out), ['config.json', 'onnx']);
    assert.deepEqual(readdirSync(dirname(out)), ['exported'], 'no temporary folder is left beside OUT');
  });
});
