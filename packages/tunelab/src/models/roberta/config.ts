// RobertaConfig / XLMRobertaConfig: BERT's fields with RoBERTa's defaults (padding id 1; positions start after it).
import { z } from 'zod';
import type { ConfigSource } from '../config.js';
import { parseModelConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { bertLikeFields, checkBertLike } from '../bert/config.js';

const robertaDefaults = {
  vocab_size: 50265, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  layer_norm_eps: 1e-12, pad_token_id: 1,
};
export const robertaConfigSchema = z.object({
  ...bertLikeFields(robertaDefaults),
  bos_token_id: z.number().int().nullish().default(0),
  eos_token_id: z.number().int().nullish().default(2),
});
export const xlmRobertaConfigSchema = z.object({
  ...robertaConfigSchema.shape,
  vocab_size: z.number().int().positive().default(30522).describe('Distinct input_ids (rows of the word embeddings).'),
});

export type RobertaConfig = ReturnType<typeof parseRobertaConfig>;

/** model_type "roberta" or "xlm-roberta" (the same network; XLM-R has a larger vocabulary). */
export function parseRobertaConfig(raw: Record<string, unknown>, source: ConfigSource) {
  const config = raw.model_type === 'xlm-roberta'
    ? parseModelConfig(xlmRobertaConfigSchema, 'xlm-roberta', raw, source)
    : parseModelConfig(robertaConfigSchema, 'roberta', raw, source);
  checkBertLike(config, source);
  if (config.pad_token_id === null) {
    throw new ConfigError(`${source}: pad_token_id is required (RoBERTa counts positions from it)`);
  }
  if (config.max_position_embeddings <= config.pad_token_id + 1) {
    throw new ConfigError(`${source}: max_position_embeddings ${config.max_position_embeddings} leaves no positions ` +
      `after pad_token_id ${config.pad_token_id} (RoBERTa positions start at pad_token_id + 1)`);
  }
  return config;
}
