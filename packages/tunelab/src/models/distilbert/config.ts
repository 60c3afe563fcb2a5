// DistilBertConfig: its own field names (dim, n_layers, n_heads, hidden_dim, activation, dropout…).
import { z } from 'zod';
import { commonFields, parseModelConfig, type ConfigSource } from '../config.js';
import { ConfigError } from '../errors.js';
import { ACTIVATION_NAMES } from '../modules.js';

const probability = () => z.number().min(0).max(1);

export const distilBertConfigSchema = z.object({
  ...commonFields,
  vocab_size: z.number().int().positive().default(30522).describe('Distinct input_ids.'),
  max_position_embeddings: z.number().int().positive().default(512).describe('Longest sequence.'),
  sinusoidal_pos_embds: z.boolean().default(false).describe('Fixed sin/cos position embeddings instead of learned.'),
  n_layers: z.number().int().positive().default(6).describe('Transformer blocks.'),
  n_heads: z.number().int().positive().default(12).describe('Attention heads per block.'),
  dim: z.number().int().positive().default(768).describe('Hidden width.'),
  hidden_dim: z.number().int().positive().default(3072).describe('Width of the feed-forward layer.'),
  dropout: probability().default(0.1).describe('Dropout on embeddings and block outputs (and token classifier).'),
  attention_dropout: probability().default(0.1).describe('Dropout on attention probabilities.'),
  activation: z.enum(ACTIVATION_NAMES).default('gelu').describe('Feed-forward activation.'),
  qa_dropout: probability().default(0.1).describe('Dropout before the question answering head.'),
  seq_classif_dropout: probability().default(0.2).describe('Dropout before the sequence classifier.'),
  pad_token_id: z.number().int().min(0).nullable().default(0)
    .describe('Padding id: its embedding row gets no gradient (null: no padding row).'),
  tie_weights_: z.boolean().optional().describe('Legacy flag of old configs (tying follows tie_word_embeddings).'),
});

export type DistilBertConfig = ReturnType<typeof parseDistilBertConfig>;

export function parseDistilBertConfig(raw: Record<string, unknown>, source: ConfigSource) {
  const config = parseModelConfig(distilBertConfigSchema, 'distilbert', raw, source);
  if (config.dim % config.n_heads !== 0) {
    throw new ConfigError(`${source}: dim ${config.dim} is not a multiple of n_heads ${config.n_heads}`);
  }
  return config;
}
