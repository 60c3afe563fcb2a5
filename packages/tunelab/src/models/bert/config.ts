// BertConfig (transformers' configuration_bert.py): each field with its type, default and meaning. The same fields,
// with other defaults, configure RoBERTa/XLM-R and ELECTRA (their config.ts call bertLikeFields).
import { z } from 'zod';
import { commonFields, parseModelConfig, type ConfigSource } from '../config.js';
import { ConfigError } from '../errors.js';
import { ACTIVATION_NAMES } from '../modules.js';

export interface BertLikeDefaults {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
}

const positive = () => z.number().int().positive();
const probability = () => z.number().min(0).max(1);

export function bertLikeFields(defaults: BertLikeDefaults) {
  return {
    ...commonFields,
    vocab_size: positive().default(defaults.vocab_size).describe('Distinct input_ids (rows of the word embeddings).'),
    hidden_size: positive().default(defaults.hidden_size).describe('Width of the encoder layers and the pooler.'),
    num_hidden_layers: positive().default(defaults.num_hidden_layers).describe('Encoder layers.'),
    num_attention_heads: positive().default(defaults.num_attention_heads).describe('Attention heads per layer.'),
    intermediate_size: positive().default(defaults.intermediate_size).describe('Width of the feed-forward layer.'),
    hidden_act: z.enum(ACTIVATION_NAMES).default('gelu')
      .describe('Feed-forward activation: gelu (exact erf), gelu_new / gelu_pytorch_tanh (tanh form), relu, silu.'),
    hidden_dropout_prob: probability().default(0.1).describe('Dropout on embeddings, layer outputs and pooler.'),
    attention_probs_dropout_prob: probability().default(0.1).describe('Dropout on attention probabilities.'),
    max_position_embeddings: positive().default(512).describe('Longest sequence the position embeddings cover.'),
    type_vocab_size: positive().default(2).describe('Distinct token_type_ids (segments).'),
    layer_norm_eps: z.number().positive().default(defaults.layer_norm_eps).describe('LayerNorm epsilon.'),
    pad_token_id: z.number().int().min(0).nullable().default(defaults.pad_token_id)
      .describe('Padding id: its word embedding row gets no gradient (null: no padding row).'),
    position_embedding_type: z.literal('absolute').default('absolute')
      .describe('Only learned absolute positions are implemented (relative_key variants are not).'),
  };
}

/** Bad combinations fail here, naming the values. */
export function checkBertLike(
  config: { hidden_size: number; num_attention_heads: number; pad_token_id: number | null; vocab_size: number },
  source: ConfigSource,
): void {
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new ConfigError(`${source}: hidden_size ${config.hidden_size} is not a multiple of ` +
      `num_attention_heads ${config.num_attention_heads}`);
  }
  if (config.pad_token_id !== null && config.pad_token_id >= config.vocab_size) {
    throw new ConfigError(`${source}: pad_token_id ${config.pad_token_id} is outside vocab_size ${config.vocab_size}`);
  }
}

export const bertConfigSchema = z.object(bertLikeFields({
  vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  layer_norm_eps: 1e-12, pad_token_id: 0,
}));

export type BertConfig = ReturnType<typeof parseBertConfig>;

/** BERT and BERT-shaped models (MiniLM, TinyBERT…): model_type "bert". */
export function parseBertConfig(raw: Record<string, unknown>, source: ConfigSource) {
  const config = parseModelConfig(bertConfigSchema, 'bert', raw, source);
  checkBertLike(config, source);
  return config;
}
