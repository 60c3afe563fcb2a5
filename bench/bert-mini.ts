// The model the CPU benchmarks share: BERT-mini (4 layers, hidden 256, 4 heads, intermediate 1024) with
// bert-base-uncased's vocabulary and tokenizer, read from ../shared (never copied into the repository).
import { join, resolve } from 'node:path';
import type { Batch } from '../packages/tunelab/src/data/collate.js';
import type { TrainerOptions } from '../packages/tunelab/src/train/trainer.js';

export const SHARED = resolve(import.meta.dirname, '../../shared');
export const BERT_BASE_UNCASED = join(SHARED, 'data/models/bert-base-uncased');
export const BERT_MINI_CONFIG = {
  vocab_size: 30522, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024,
  max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12, initializer_range: 0.02, pad_token_id: 0,
};

/** Warm-up batches first, then `steps` batches spread evenly over the epoch (the timed ones). */
export function spreadOverEpoch(epoch: Batch[], steps: number, warmup: number): Batch[] {
  const n = Math.min(steps, epoch.length);
  return [...epoch.slice(0, warmup), ...Array.from({ length: n }, (_, i) => epoch[Math.floor((i * epoch.length) / n)]!)];
}

/**
 * The trainer options of a timed CPU benchmark run: one epoch of the given batches, no evaluation, checkpoints or
 * log lines inside it; `overrides` set what a benchmark varies (lr, warmup, precision, …).
 */
export function benchTrainerOptions(outputDir: string, overrides: Partial<TrainerOptions> & Pick<TrainerOptions, 'lr' | 'precision'>): TrainerOptions {
  return {
    outputDir, epochs: 1, weightDecay: 0.01, scheduler: 'linear', gradAccum: 1, maxGradNorm: 1, device: 'cpu',
    evalEvery: 'epoch', saveEvery: 1e9, logEvery: 1e9, metricForBest: { name: 'eval_loss', greaterIsBetter: false }, resumeKey: {},
    ...overrides,
  };
}
