// ElectraConfig: BERT's fields plus embedding_size (embeddings narrower than the encoder, projected up).
import { z } from 'zod';
import { parseModelConfig, type ConfigSource } from '../config.js';
import { bertLikeFields, checkBertLike } from '../bert/config.js';

export const electraConfigSchema = z.object({
  ...bertLikeFields({
    vocab_size: 30522, hidden_size: 256, num_hidden_layers: 12, num_attention_heads: 4, intermediate_size: 1024,
    layer_norm_eps: 1e-12, pad_token_id: 0,
  }),
  embedding_size: z.number().int().positive().default(128)
    .describe('Width of the embeddings; a linear layer projects them to hidden_size when they differ.'),
  summary_type: z.string().default('first').describe('Sequence summary of the original code (unused here).'),
  summary_use_proj: z.boolean().default(true),
  summary_activation: z.string().nullish().default('gelu'),
  summary_last_dropout: z.number().min(0).max(1).default(0.1),
});

export type ElectraConfig = ReturnType<typeof parseElectraConfig>;

export function parseElectraConfig(raw: Record<string, unknown>, source: ConfigSource) {
  const config = parseModelConfig(electraConfigSchema, 'electra', raw, source);
  checkBertLike(config, source);
  return config;
}
