// Shared by the export tests: tiny model folders (seeded random weights, optionally bert-base-uncased's tokenizer),
// onnxruntime-node sessions fed from tunelab tensors, and the largest difference between two outputs.
import { after } from 'node:test';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import { AutoConfig, type AutoModelClass } from '../../src/models/auto.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';
import { SHARED } from '../models/helpers.js';

export const TINY_BERT = join(SHARED, 'fixtures/tiny-bert');
const BERT_BASE = join(SHARED, 'data/models/bert-base-uncased');

const created: string[] = [];
after(() => { for (const dir of created) rmSync(dir, { recursive: true, force: true }); });

/** A fresh folder under the OS temp dir, removed when the test file is done. */
export function tempDir(prefix = 'tunelab-export-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * Small configs of every architecture (XLM-R is RoBERTa's network under its own class names; ELECTRA with embeddings
 * narrower than its hidden size, so projected).
 */
export const TINY_CONFIGS: Record<string, Record<string, unknown>> = {
  bert: { vocab_size: 120, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48, max_position_embeddings: 40 },
  roberta: {
    vocab_size: 120, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48,
    max_position_embeddings: 42, type_vocab_size: 1, pad_token_id: 1, layer_norm_eps: 1e-5,
  },
  'xlm-roberta': {
    vocab_size: 120, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 48,
    max_position_embeddings: 42, type_vocab_size: 1, pad_token_id: 1, layer_norm_eps: 1e-5,
  },
  distilbert: { vocab_size: 120, dim: 32, n_layers: 2, n_heads: 4, hidden_dim: 48, max_position_embeddings: 40 },
  electra: {
    vocab_size: 120, embedding_size: 16, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4,
    intermediate_size: 48, max_position_embeddings: 40,
  },
};

/**
 * A model folder (config.json + model.safetensors) of `auto`'s class for `modelType`, with seeded random weights.
 * `initializer_range` 0.2 (not 0.02) gives logits far enough apart that labels are not ties.
 */
export function tinyModelFolder(
  auto: AutoModelClass<PreTrainedModel>, modelType: string, fields: Record<string, unknown> = {}, seed = 0,
): string {
  torch.manualSeed(seed);
  const config = AutoConfig.forModel(modelType, { ...TINY_CONFIGS[modelType], initializer_range: 0.2, ...fields });
  const model = auto.fromConfig(config);
  const dir = tempDir('tunelab-export-model-');
  try {
    model.savePretrained(dir);
  } finally {
    model.dispose();
  }
  return dir;
}

/** tinyModelFolder plus bert-base-uncased's tokenizer files (so the vocabulary is bert-base's 30522 tokens). */
export function tinyModelWithTokenizer(
  auto: AutoModelClass<PreTrainedModel>, fields: Record<string, unknown> = {}, modelType = 'bert',
): string {
  const positions = modelType === 'roberta' ? 130 : 128; // RoBERTa's positions start after its padding id
  const dir = tinyModelFolder(auto, modelType, { vocab_size: 30522, max_position_embeddings: positions, ...fields });
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) copyFileSync(join(BERT_BASE, file), join(dir, file));
  return dir;
}

/** Runs an ONNX file on int64 tunelab tensors, feeding only the inputs the graph declares. */
export async function runOnnx(file: string, inputs: Record<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(file);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const tensor = inputs[name];
      if (!tensor) throw new Error(`the graph wants ${name}`);
      feeds[name] = new ort.Tensor('int64', tensor.toTypedArray() as BigInt64Array, tensor.shape);
    }
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * Largest |a − b| between an ONNX output and tunelab's, over real tokens only when `tokenMask` ([B, T]) is given and
 * the outputs are per token (their leading dims are [B, T]).
 */
export function maxDifference(actual: ort.Tensor, expected: Tensor, tokenMask?: Tensor): number {
  assertSameShape(actual.dims, expected.shape);
  const a = actual.data as Float32Array;
  const b = torch.scope(() => expected.detach().to({ dtype: 'float32' }).contiguous().toTypedArray() as Float32Array);
  const mask = tokenMask && expected.ndim >= 2 && expected.shape[1] === tokenMask.shape[1]
    ? tokenMask.toTypedArray() as BigInt64Array : null;
  const perToken = mask ? a.length / mask.length : 1;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && mask[Math.floor(i / perToken)] === 0n) continue;
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
  }
  return max;
}

function assertSameShape(actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((size, i) => size !== expected[i])) {
    throw new Error(`shape [${actual.join(', ')}] vs tunelab's [${expected.join(', ')}]`);
  }
}

/** [B, T] int64 inputs: random token ids (never the pad id) at real tokens, `padId` and mask 0 after `lengths`. */
export function randomInputs(lengths: number[], vocab: number, padId: number, segments: boolean): Record<string, Tensor> {
  const length = Math.max(...lengths);
  const ids: number[] = [];
  const mask: number[] = [];
  const types: number[] = [];
  for (const real of lengths) {
    for (let t = 0; t < length; t++) {
      const token = t < real;
      let id = 2 + ((real * 31 + t * 17) % (vocab - 2));
      if (id === padId) id += 1;
      ids.push(token ? id : padId);
      mask.push(token ? 1 : 0);
      types.push(segments && token && t >= real / 2 ? 1 : 0);
    }
  }
  const shape = [lengths.length, length];
  const tensor = (values: number[]) => torch.fromTypedArray(BigInt64Array.from(values, BigInt), shape, { dtype: 'int64' });
  return { input_ids: tensor(ids), attention_mask: tensor(mask), token_type_ids: tensor(types) };
}
