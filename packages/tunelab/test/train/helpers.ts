// Small models and data for the trainer tests: a 2-layer BERT classifier with a 64-token vocabulary, and random
// token sequences of varied length collated by the data layer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '@tunelab/torch';
import { trainBatches, type Batch } from '../../src/data/collate.js';
import type { FeatureSet } from '../../src/data/features.js';
import { Rng } from '../../src/data/rng.js';
import { AutoConfig, AutoModelForSequenceClassification } from '../../src/models/auto.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';
import type { TrainerOptions } from '../../src/train/trainer.js';

export function tinyClassifier(seed: number, dropout = 0.1): PreTrainedModel {
  torch.manualSeed(seed);
  const config = AutoConfig.forModel('bert', {
    vocab_size: 64, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32,
    max_position_embeddings: 32, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout,
  });
  return AutoModelForSequenceClassification.fromConfig(config, { numLabels: 2 });
}

/** `count` sequences of 4–20 tokens; the label is whether token 5 occurs (learnable). */
export function randomFeatures(count: number, seed = 1): FeatureSet {
  const rng = new Rng(seed, 99);
  const features = Array.from({ length: count }, () => {
    const length = 4 + rng.below(17);
    const ids = Int32Array.from({ length }, (_, t) => (t === 0 ? 2 : 4 + rng.below(60)));
    return { input_ids: ids, token_type_ids: new Int32Array(length), label: ids.includes(5) ? 1 : 0 };
  });
  return { labelKind: 'class', features };
}

export function epochBatches(set: FeatureSet, batchSize: number, seed = 7): (epoch: number) => Batch[] {
  return (epoch) => trainBatches(set, { batchSize, seed, epoch, groupByLength: true, padId: 0 });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tunelab-trainer-'));
}

export function baseOptions(outputDir: string, overrides: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    outputDir, epochs: 2, lr: 1e-3, weightDecay: 0.01, scheduler: 'linear', warmupSteps: 2, gradAccum: 1,
    maxGradNorm: 1, device: 'cpu', precision: 'fp32', evalEvery: 'epoch', saveEvery: 'epoch', logEvery: 1,
    metricForBest: { name: 'eval_accuracy', greaterIsBetter: true }, resumeKey: { seed: 7 }, ...overrides,
  };
}

/** Every parameter's values, by name, as float32 arrays (bit-exact comparisons). */
export function weights(model: PreTrainedModel): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([name, p]) => [name, p.detach().toTypedArray() as Float32Array]));
}

export function sameBits(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, values] of a) {
    const other = b.get(name);
    if (!other || Buffer.compare(Buffer.from(values.buffer, values.byteOffset, values.byteLength),
      Buffer.from(other.buffer, other.byteOffset, other.byteLength)) !== 0) return false;
  }
  return true;
}

export function maxAbsDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let max = 0;
  for (const [name, values] of a) {
    const other = b.get(name)!;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] - other[i]));
  }
  return max;
}
