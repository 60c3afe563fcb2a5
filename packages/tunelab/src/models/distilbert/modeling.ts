// DistilBERT: BERT's embeddings without token types, then blocks with their own names (q_lin…, sa_layer_norm, ffn)
// built from BERT's attention function; no pooler — heads read the first token's hidden state.
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import { BertEmbeddings } from '../bert/modeling.js';
import type { BertConfig } from '../bert/config.js';
import {
  checkEncoderInputs, checkSpanLabels, MASKED_LM_PADDED_OUTPUTS, maskedLMLogitsAndLoss, QUESTION_ANSWERING_PADDED_OUTPUTS,
  questionAnsweringLoss, sequenceClassificationLoss, splitSpanLogits, tokenLoss, type BaseModelOutput, type MaskedLMInputs,
  type MaskedLMOutput, type QuestionAnsweringInputs, type QuestionAnsweringOutput, type SequenceClassificationInputs,
  type SequenceClassifierOutput, type TokenClassificationInputs, type TokenClassifierOutput,
} from '../heads.js';
import {
  ACTIVATIONS, additiveAttentionMask, Dropout, Embedding, LayerNorm, Linear, Module, selfAttention, vocabularyDecoder,
  type ForwardOptions,
} from '../modules.js';
import { PreTrainedModel, type EncoderInputs } from '../pretrained.js';
import { UnpaddedTokens } from '../unpad.js';
import { parseDistilBertConfig, type DistilBertConfig } from './config.js';

/** DistilBERT's LayerNorms use a fixed epsilon. */
const LAYER_NORM_EPS = 1e-12;

/** DistilBERT's fields under BERT's names (transformers' attribute_map), for BERT's embedding block. */
function asBertConfig(config: DistilBertConfig): BertConfig {
  return {
    ...config, hidden_size: config.dim, num_hidden_layers: config.n_layers, num_attention_heads: config.n_heads,
    intermediate_size: config.hidden_dim, hidden_act: config.activation, hidden_dropout_prob: config.dropout,
    attention_probs_dropout_prob: config.attention_dropout, type_vocab_size: 1, layer_norm_eps: LAYER_NORM_EPS,
    position_embedding_type: 'absolute',
  };
}

/** Fixed sin/cos position table (sinusoidal_pos_embds), not trained. */
export class SinusoidalEmbedding extends Embedding {
  constructor(positions: number, dim: number) {
    super(positions, dim);
    this.weight.requiresGrad_(false);
  }

  override resetParameters(): void {
    const [positions, dim] = this.weight.shape as [number, number];
    const table = new Float32Array(positions * dim);
    for (let pos = 0; pos < positions; pos++) {
      for (let j = 0; j < dim; j++) {
        const angle = pos / 10000 ** ((2 * Math.floor(j / 2)) / dim);
        table[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      }
    }
    torch.noGrad(() => torch.scope(() => { this.weight.copy_(torch.fromTypedArray(table, [positions, dim])); }));
  }
}

export class MultiHeadSelfAttention extends Module {
  q_lin: Linear;
  k_lin: Linear;
  v_lin: Linear;
  out_lin: Linear;
  private readonly heads: number;
  private readonly dropoutProb: number;

  constructor(config: DistilBertConfig) {
    super();
    this.q_lin = new Linear(config.dim, config.dim);
    this.k_lin = new Linear(config.dim, config.dim);
    this.v_lin = new Linear(config.dim, config.dim);
    this.out_lin = new Linear(config.dim, config.dim);
    this.heads = config.n_heads;
    this.dropoutProb = config.attention_dropout;
  }

  /** `tokens`: the unpadded path, `hidden` being the real tokens' rows (models/unpad.ts). */
  forward(hidden: Tensor, mask: Tensor | undefined, train: boolean, tokens?: UnpaddedTokens): Tensor {
    // One GEMM for q/k/v, as BERT's self-attention (parameters keep HF's q_lin/k_lin/v_lin names).
    const projections = [this.q_lin, this.k_lin, this.v_lin];
    return this.out_lin.forward(selfAttention(hidden, projections, mask, this.heads, train ? this.dropoutProb : 0, tokens));
  }
}

export class FFN extends Module {
  dropout: Dropout;
  lin1: Linear;
  lin2: Linear;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(config: DistilBertConfig) {
    super();
    this.dropout = new Dropout(config.dropout);
    this.lin1 = new Linear(config.dim, config.hidden_dim);
    this.lin2 = new Linear(config.hidden_dim, config.dim);
    this.activation = ACTIVATIONS[config.activation];
  }

  forward(hidden: Tensor, train: boolean): Tensor {
    return this.dropout.forward(this.lin2.forward(this.activation(this.lin1.forward(hidden))), train);
  }
}

/** attention → sa_layer_norm(· + x) → ffn → output_layer_norm(· + ·). */
export class TransformerBlock extends Module {
  attention: MultiHeadSelfAttention;
  sa_layer_norm: LayerNorm;
  ffn: FFN;
  output_layer_norm: LayerNorm;

  constructor(config: DistilBertConfig) {
    super();
    this.attention = new MultiHeadSelfAttention(config);
    this.sa_layer_norm = new LayerNorm(config.dim, LAYER_NORM_EPS);
    this.ffn = new FFN(config);
    this.output_layer_norm = new LayerNorm(config.dim, LAYER_NORM_EPS);
  }

  forward(hidden: Tensor, mask: Tensor | undefined, train: boolean, tokens?: UnpaddedTokens): Tensor {
    return torch.scope(() => {
      const attended = this.sa_layer_norm.forward(this.attention.forward(hidden, mask, train, tokens).add(hidden));
      return this.output_layer_norm.forward(this.ffn.forward(attended, train).add(attended));
    });
  }
}

export class Transformer extends Module {
  layer: TransformerBlock[];

  constructor(config: DistilBertConfig) {
    super();
    this.layer = Array.from({ length: config.n_layers }, () => new TransformerBlock(config));
  }

  /** `tokens`: the unpadded path, `hidden` being the real tokens' rows [N, dim] (models/unpad.ts). */
  forward(hidden: Tensor, mask: Tensor | undefined, train: boolean, tokens?: UnpaddedTokens): Tensor {
    return this.layer.reduce((state, block) => block.forward(state, mask, train, tokens), hidden);
  }
}

export abstract class DistilBertPreTrainedModel extends PreTrainedModel<DistilBertConfig> {
  static parseConfig = parseDistilBertConfig;

  get baseModelPrefix(): string {
    return 'distilbert';
  }
}

/** token_type_ids are ignored: DistilBERT has no segments. */
export class DistilBertModel extends DistilBertPreTrainedModel {
  embeddings: BertEmbeddings;
  transformer: Transformer;

  constructor(config: DistilBertConfig) {
    super(config);
    this.embeddings = new BertEmbeddings(asBertConfig(config), { tokenTypes: false });
    if (config.sinusoidal_pos_embds) {
      this.embeddings.position_embeddings = new SinusoidalEmbedding(config.max_position_embeddings, config.dim);
    }
    this.transformer = new Transformer(config);
  }

  forward(inputs: EncoderInputs, options: ForwardOptions = {}): BaseModelOutput {
    checkEncoderInputs(inputs, this.embeddings.maxLength);
    const train = options.train ?? false;
    return torch.scope(() => {
      // Unpadded: the real tokens' rows from here on, scattered back to [B, T, dim] (zeros at padding) at the end.
      const tokens = this.unpadFor(options) ? UnpaddedTokens.of(inputs.attention_mask) : undefined;
      const embedded = this.embeddings.forward(inputs.input_ids, undefined, train);
      const mask = additiveAttentionMask(inputs.attention_mask, this.embeddings.word_embeddings.weight.dtype);
      const encoded = this.transformer.forward(tokens ? tokens.unpad(embedded) : embedded, mask, train, tokens);
      return { last_hidden_state: tokens ? tokens.pad(encoded) : encoded };
    });
  }
}

/** pre_classifier → ReLU → dropout → classifier on the first token. */
export class DistilBertForSequenceClassification extends DistilBertPreTrainedModel {
  distilbert: DistilBertModel;
  pre_classifier: Linear;
  classifier: Linear;
  dropout: Dropout;

  constructor(config: DistilBertConfig) {
    super(config);
    this.distilbert = new DistilBertModel(config);
    this.pre_classifier = new Linear(config.dim, config.dim);
    this.classifier = new Linear(config.dim, config.num_labels);
    this.dropout = new Dropout(config.seq_classif_dropout);
  }

  forward(inputs: SequenceClassificationInputs, options: ForwardOptions = {}): SequenceClassifierOutput {
    const train = options.train ?? false;
    return torch.scope(() => {
      const base = this.distilbert.forward(inputs, this.baseOptions(options));
      const pooled = this.pre_classifier.forward(base.last_hidden_state.select(1, 0)).relu();
      const logits = this.classifier.forward(this.dropout.forward(pooled, train));
      return { ...base, logits, loss: sequenceClassificationLoss(this.config, logits, inputs.labels) };
    });
  }
}

/** dropout (qa_dropout) → qa_outputs on every token. */
export class DistilBertForQuestionAnswering extends DistilBertPreTrainedModel {
  distilbert: DistilBertModel;
  qa_outputs: Linear;
  dropout: Dropout;

  constructor(config: DistilBertConfig) {
    super(config);
    checkSpanLabels(config.num_labels, this.constructor.name);
    this.distilbert = new DistilBertModel(config);
    this.qa_outputs = new Linear(config.dim, config.num_labels);
    this.dropout = new Dropout(config.qa_dropout);
  }

  /** Every output: always padded, since the span loss reads padding (heads.ts says why). */
  override get paddedOutputs(): readonly string[] {
    return QUESTION_ANSWERING_PADDED_OUTPUTS;
  }

  forward(inputs: QuestionAnsweringInputs, options: ForwardOptions = {}): QuestionAnsweringOutput {
    const train = options.train ?? false;
    return torch.scope(() => {
      const base = this.distilbert.forward(inputs, this.baseOptions(options));
      const spans = splitSpanLogits(this.qa_outputs.forward(this.dropout.forward(base.last_hidden_state, train)));
      const loss = questionAnsweringLoss(spans.start_logits, spans.end_logits, inputs.start_positions, inputs.end_positions);
      return { ...base, ...spans, loss };
    });
  }
}

export class DistilBertForTokenClassification extends DistilBertPreTrainedModel {
  distilbert: DistilBertModel;
  dropout: Dropout;
  classifier: Linear;

  constructor(config: DistilBertConfig) {
    super(config);
    this.distilbert = new DistilBertModel(config);
    this.dropout = new Dropout(config.dropout);
    this.classifier = new Linear(config.dim, config.num_labels);
  }

  forward(inputs: TokenClassificationInputs, options: ForwardOptions = {}): TokenClassifierOutput {
    const train = options.train ?? false;
    return torch.scope(() => {
      const base = this.distilbert.forward(inputs, this.baseOptions(options));
      const logits = this.classifier.forward(this.dropout.forward(base.last_hidden_state, train));
      return { ...base, logits, loss: tokenLoss(logits, inputs.labels) };
    });
  }
}

/** vocab_transform → activation → vocab_layer_norm → vocab_projector (tied to the word embeddings). */
export class DistilBertForMaskedLM extends DistilBertPreTrainedModel {
  distilbert: DistilBertModel;
  vocab_transform: Linear;
  vocab_layer_norm: LayerNorm;
  vocab_projector: Linear;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(config: DistilBertConfig) {
    super(config);
    this.distilbert = new DistilBertModel(config);
    this.vocab_transform = new Linear(config.dim, config.dim);
    this.vocab_layer_norm = new LayerNorm(config.dim, LAYER_NORM_EPS);
    this.vocab_projector = vocabularyDecoder(config, config.dim, this.distilbert.embeddings.word_embeddings);
    this.activation = ACTIVATIONS[config.activation];
  }

  override get paddedOutputs(): readonly string[] {
    return MASKED_LM_PADDED_OUTPUTS;
  }

  forward(inputs: MaskedLMInputs, options: ForwardOptions = {}): MaskedLMOutput {
    return torch.scope(() => {
      const base = this.distilbert.forward(inputs, this.baseOptions(options));
      // Only the labelled tokens are decoded when the caller does not read the logits (heads.ts says why).
      const { logits, loss } = maskedLMLogitsAndLoss(base.last_hidden_state, inputs.labels, (hidden) => this.predict(hidden), options);
      return { ...base, logits, loss };
    });
  }

  private predict(hidden: Tensor): Tensor {
    const transformed = this.activation(this.vocab_transform.forward(hidden));
    return this.vocab_projector.forward(this.vocab_layer_norm.forward(transformed));
  }
}
