// The model the CPU benchmarks share: BERT-mini (4 layers, hidden 256, 4 heads, intermediate 1024) with
// bert-base-uncased's vocabulary and tokenizer, read from ../shared (never copied into the repository).
import { join, resolve } from 'node:path';

export const SHARED = resolve(import.meta.dirname, '../../shared');
export const BERT_BASE_UNCASED = join(SHARED, 'data/models/bert-base-uncased');
export const BERT_MINI_CONFIG = {
  vocab_size: 30522, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024,
  max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12, initializer_range: 0.02, pad_token_id: 0,
};
