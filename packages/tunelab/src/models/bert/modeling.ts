// BERT, in transformers' blocks (modeling_bert.py) with the same names: fields are checkpoint keys, so
// `bert.encoder.layer.0.attention.self.query.weight` falls out of the tree. RoBERTa, ELECTRA and DistilBERT import
// these blocks. Dropout is active only in a training forward (`forward(inputs, { train: true })`). The masked-LM and next-sentence heads
// (BertForPreTraining, BertForMaskedLM) are in pretraining.ts.
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import {
  checkEncoderInputs, checkSpanLabels, QUESTION_ANSWERING_PADDED_OUTPUTS, questionAnsweringLoss,
  sequenceClassificationLoss, splitSpanLogits, tokenLoss, type BaseModelOutput, type QuestionAnsweringInputs,
  type QuestionAnsweringOutput, type SequenceClassificationInputs, type SequenceClassifierOutput,
  type TokenClassificationInputs, type TokenClassifierOutput,
} from '../heads.js';
import {
  ACTIVATIONS, additiveAttentionMask, Dropout, Embedding, LayerNorm, Linear, Module, selfAttention, type ForwardOptions,
} from '../modules.js';
import { PreTrainedModel, type EncoderInputs } from '../pretrained.js';
import { UnpaddedTokens } from '../unpad.js';
import { parseBertConfig, type BertConfig } from './config.js';

/** Word + position + token type embeddings, summed, then LayerNorm and dropout. */
export class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  /** Absent in DistilBERT (no segments). */
  token_type_embeddings?: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  /**
   * `dim`: embedding width (ELECTRA's embedding_size); `positionPaddingIdx`: RoBERTa's padded position row;
   * `tokenTypes: false`: no token type embeddings (DistilBERT).
   */
  constructor(config: BertConfig, options: { dim?: number; positionPaddingIdx?: number; tokenTypes?: boolean } = {}) {
    super();
    const dim = options.dim ?? config.hidden_size;
    this.word_embeddings = new Embedding(config.vocab_size, dim, config.pad_token_id ?? undefined);
    this.position_embeddings = new Embedding(config.max_position_embeddings, dim, options.positionPaddingIdx);
    if (options.tokenTypes ?? true) this.token_type_embeddings = new Embedding(config.type_vocab_size, dim);
    this.LayerNorm = new LayerNorm(dim, config.layer_norm_eps);
    this.dropout = new Dropout(config.hidden_dropout_prob);
  }

  forward(inputIds: Tensor, tokenTypeIds: Tensor | undefined, train: boolean): Tensor {
    let embeddings = this.word_embeddings.forward(inputIds);
    if (this.token_type_embeddings) {
      embeddings = embeddings.add(this.token_type_embeddings.forward(tokenTypeIds ?? torch.zerosLike(inputIds)));
    }
    embeddings = embeddings.add(this.position_embeddings.forward(this.positionIds(inputIds)));
    return this.dropout.forward(this.LayerNorm.forward(embeddings), train);
  }

  /** 0, 1, …, T-1 for every row ([1, T], broadcast). */
  positionIds(inputIds: Tensor): Tensor {
    return torch.arange(inputIds.shape[1]!, { dtype: 'int64', device: inputIds.device }).unsqueeze(0);
  }

  /** The longest input the position embeddings cover (checked by checkEncoderInputs). */
  get maxLength(): number {
    return this.position_embeddings.weight.shape[0]!;
  }
}

export class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  private readonly heads: number;
  private readonly dropoutProb: number;

  constructor(config: BertConfig) {
    super();
    this.query = new Linear(config.hidden_size, config.hidden_size);
    this.key = new Linear(config.hidden_size, config.hidden_size);
    this.value = new Linear(config.hidden_size, config.hidden_size);
    this.heads = config.num_attention_heads;
    this.dropoutProb = config.attention_probs_dropout_prob;
  }

  /** `tokens`: the unpadded path, `hidden` being the real tokens' rows (models/unpad.ts). */
  forward(hidden: Tensor, mask: Tensor | undefined, train: boolean, tokens?: UnpaddedTokens): Tensor {
    // One GEMM over the concatenated weights; the parameters stay query/key/value (HF's names on load and save).
    return selfAttention(hidden, [this.query, this.key, this.value], mask, this.heads, train ? this.dropoutProb : 0, tokens);
  }
}

/** dense → dropout → LayerNorm(· + residual). BertSelfOutput and BertOutput differ only in the input width. */
class DenseResidualNorm extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig, inFeatures: number) {
    super();
    this.dense = new Linear(inFeatures, config.hidden_size);
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.dropout = new Dropout(config.hidden_dropout_prob);
  }

  forward(hidden: Tensor, residual: Tensor, train: boolean): Tensor {
    return this.LayerNorm.forward(this.dropout.forward(this.dense.forward(hidden), train).add(residual));
  }
}

export class BertSelfOutput extends DenseResidualNorm {
  constructor(config: BertConfig) { super(config, config.hidden_size); }
}

export class BertOutput extends DenseResidualNorm {
  constructor(config: BertConfig) { super(config, config.intermediate_size); }
}

export class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertSelfOutput;

  constructor(config: BertConfig) {
    super();
    this.self = new BertSelfAttention(config);
    this.output = new BertSelfOutput(config);
  }

  forward(hidden: Tensor, mask: Tensor | undefined, train: boolean, tokens?: UnpaddedTokens): Tensor {
    return this.output.forward(this.self.forward(hidden, mask, train, tokens), hidden, train);
  }
}

export class BertIntermediate extends Module {
  dense: Linear;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.intermediate_size);
    this.activation = ACTIVATIONS[config.hidden_act];
  }

  forward(hidden: Tensor): Tensor {
    return this.activation(this.dense.forward(hidden));
  }
}

export class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertOutput;

  constructor(config: BertConfig) {
    super();
    this.attention = new BertAttention(config);
    this.intermediate = new BertIntermediate(config);
    this.output = new BertOutput(config);
  }

  /** In its own scope, so a layer's intermediates are freed as soon as the next layer runs (no-grad inference). */
  forward(hidden: Tensor, mask: Tensor | undefined, train: boolean, tokens?: UnpaddedTokens): Tensor {
    return torch.scope(() => {
      const attended = this.attention.forward(hidden, mask, train, tokens);
      return this.output.forward(this.intermediate.forward(attended), attended, train);
    });
  }
}

export class BertEncoder extends Module {
  layer: BertLayer[];

  constructor(config: BertConfig) {
    super();
    this.layer = Array.from({ length: config.num_hidden_layers }, () => new BertLayer(config));
  }

  /** `tokens`: the unpadded path, `hidden` being the real tokens' rows [N, H] (models/unpad.ts). */
  forward(hidden: Tensor, mask: Tensor | undefined, train: boolean, tokens?: UnpaddedTokens): Tensor {
    return this.layer.reduce((state, layer) => layer.forward(state, mask, train, tokens), hidden);
  }
}

/** dense + tanh on the first ([CLS]) token. */
export class BertPooler extends Module {
  dense: Linear;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size);
  }

  forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

/**
 * Base of the BERT classes and of the relatives that reuse them (RoBERTa, ELECTRA): a head model keeps its base
 * model in the field named baseModelPrefix (`bert`, `roberta`, `electra`), the prefix of its checkpoint keys. A
 * relative overrides the prefix, the base it builds, and its config parser — no head logic twice.
 */
export abstract class BertPreTrainedModel extends PreTrainedModel<BertConfig> {
  static parseConfig = parseBertConfig;

  get baseModelPrefix(): string {
    return 'bert';
  }

  /** The base model: the field named baseModelPrefix of a head model, or the model itself. */
  get base(): BertModel {
    return this instanceof BertModel ? this : (this as unknown as Record<string, BertModel>)[this.baseModelPrefix]!;
  }

  /** The base model a head builds (withVariant replaces it). Public: TypeScript mixins cannot export protected. */
  createBase(config: BertConfig, options: { pooler: boolean }): BertModel {
    return new BertModel(config, options);
  }

  /** Head constructors call this first, so the base's parameters come first, as in PyTorch. */
  attachBase(options: { pooler: boolean }): BertModel {
    const base = this.createBase(this.config, options);
    (this as unknown as Record<string, BertModel>)[this.baseModelPrefix] = base;
    return base;
  }
}

export class BertModel extends BertPreTrainedModel {
  embeddings: BertEmbeddings;
  /** ELECTRA only: projects embedding_size up to hidden_size. */
  embeddings_project?: Linear;
  encoder: BertEncoder;
  pooler?: BertPooler;

  constructor(config: BertConfig, options: { pooler?: boolean; embeddings?: BertEmbeddings; embeddingsProject?: Linear } = {}) {
    super(config);
    this.embeddings = options.embeddings ?? new BertEmbeddings(config);
    this.embeddings_project = options.embeddingsProject;
    this.encoder = new BertEncoder(config);
    if (options.pooler ?? true) this.pooler = new BertPooler(config);
  }

  forward(inputs: EncoderInputs, options: ForwardOptions = {}): BaseModelOutput {
    checkEncoderInputs(inputs, this.embeddings.maxLength);
    const train = options.train ?? false;
    return torch.scope(() => {
      // Unpadded: the real tokens' rows from here on, scattered back to [B, T, H] (zeros at padding) at the end.
      const tokens = this.unpadFor(options) ? UnpaddedTokens.of(inputs.attention_mask) : undefined;
      const embedded = this.embeddings.forward(inputs.input_ids, inputs.token_type_ids, train);
      let hidden = tokens ? tokens.unpad(embedded) : embedded;
      if (this.embeddings_project) hidden = this.embeddings_project.forward(hidden);
      const mask = additiveAttentionMask(inputs.attention_mask, this.embeddings.word_embeddings.weight.dtype);
      const encoded = this.encoder.forward(hidden, mask, train, tokens);
      const last = tokens ? tokens.pad(encoded) : encoded;
      return this.pooler ? { last_hidden_state: last, pooler_output: this.pooler.forward(last) } : { last_hidden_state: last };
    });
  }
}

export class BertForSequenceClassification extends BertPreTrainedModel {
  declare dropout: Dropout;
  declare classifier: Linear;

  constructor(config: BertConfig) {
    super(config);
    this.attachBase({ pooler: true });
    this.dropout = new Dropout(config.classifier_dropout ?? config.hidden_dropout_prob);
    this.classifier = new Linear(config.hidden_size, config.num_labels);
  }

  forward(inputs: SequenceClassificationInputs, options: ForwardOptions = {}): SequenceClassifierOutput {
    const train = options.train ?? false;
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      const logits = this.classifier.forward(this.dropout.forward(base.pooler_output!, train));
      return { ...base, logits, loss: sequenceClassificationLoss(this.config, logits, inputs.labels) };
    });
  }
}

/** Start/end logits from each token (no pooler); RoBERTa and ELECTRA use this class with their base. */
export class BertForQuestionAnswering extends BertPreTrainedModel {
  declare qa_outputs: Linear;

  constructor(config: BertConfig) {
    super(config);
    checkSpanLabels(config.num_labels, this.constructor.name);
    this.attachBase({ pooler: false });
    this.qa_outputs = new Linear(config.hidden_size, config.num_labels);
  }

  /** Every output: always padded, since the span loss reads padding (heads.ts says why). */
  override get paddedOutputs(): readonly string[] {
    return QUESTION_ANSWERING_PADDED_OUTPUTS;
  }

  forward(inputs: QuestionAnsweringInputs, options: ForwardOptions = {}): QuestionAnsweringOutput {
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      const spans = splitSpanLogits(this.qa_outputs.forward(base.last_hidden_state));
      const loss = questionAnsweringLoss(spans.start_logits, spans.end_logits, inputs.start_positions, inputs.end_positions);
      return { ...base, ...spans, loss };
    });
  }
}

/** Per-token classes (no pooler); RoBERTa and ELECTRA use this class with their base. */
export class BertForTokenClassification extends BertPreTrainedModel {
  declare dropout: Dropout;
  declare classifier: Linear;

  constructor(config: BertConfig) {
    super(config);
    this.attachBase({ pooler: false });
    this.dropout = new Dropout(config.classifier_dropout ?? config.hidden_dropout_prob);
    this.classifier = new Linear(config.hidden_size, config.num_labels);
  }

  forward(inputs: TokenClassificationInputs, options: ForwardOptions = {}): TokenClassifierOutput {
    const train = options.train ?? false;
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      const logits = this.classifier.forward(this.dropout.forward(base.last_hidden_state, train));
      return { ...base, logits, loss: tokenLoss(logits, inputs.labels) };
    });
  }
}
