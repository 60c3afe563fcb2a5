// RoBERTa and XLM-RoBERTa: BERT's network with positions counted from padding_idx + 1 (padding keeps padding_idx),
// no pooler in the heads, and its own classification and LM heads. Question answering and token classification are
// BERT's classes with the `roberta` base (withVariant).
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import {
  BertEmbeddings, BertForQuestionAnswering, BertForTokenClassification, BertModel, BertPreTrainedModel,
} from '../bert/modeling.js';
import { withVariant, type BertVariant } from '../bert/variant.js';
import type { BertConfig } from '../bert/config.js';
import {
  MASKED_LM_PADDED_OUTPUTS, maskedLMLogitsAndLoss, sequenceClassificationLoss, type MaskedLMInputs, type MaskedLMOutput,
  type SequenceClassificationInputs, type SequenceClassifierOutput,
} from '../heads.js';
import {
  ACTIVATIONS, Dropout, Embedding, LayerNorm, Linear, Module, parameter, vocabularyDecoder, type ActivationName,
  type ForwardOptions,
} from '../modules.js';
import { parseRobertaConfig } from './config.js';

export const ROBERTA: BertVariant = {
  prefix: 'roberta',
  parseConfig: parseRobertaConfig,
  createBase: (config, options) => new RobertaModel(config, options),
  architecture: (config, className) =>
    config.model_type === 'xlm-roberta' ? className.replace(/^Roberta/, 'XLMRoberta') : className,
};

export class RobertaEmbeddings extends BertEmbeddings {
  constructor(config: BertConfig) {
    super(config, { positionPaddingIdx: config.pad_token_id ?? undefined });
  }

  /** transformers' create_position_ids_from_input_ids: padding_idx + 1, + 2, … at tokens, padding_idx at padding. */
  override positionIds(inputIds: Tensor): Tensor {
    const padding = this.word_embeddings.paddingIdx!;
    const isToken = inputIds.ne(padding).long();
    return isToken.cumsum(1).mul(isToken).add(padding);
  }

  /** Positions padding_idx + 1 … must stay inside the table. */
  override get maxLength(): number {
    return super.maxLength - this.word_embeddings.paddingIdx! - 1;
  }
}

export class RobertaModel extends withVariant(BertModel, ROBERTA) {
  constructor(config: BertConfig, { pooler = true }: { pooler?: boolean } = {}) {
    super(config, { pooler, embeddings: new RobertaEmbeddings(config) });
  }
}

/** dropout → dense → activation → dropout → out_proj on the first token (<s>). ELECTRA's head is this with gelu. */
export class RobertaClassificationHead extends Module {
  dense: Linear;
  dropout: Dropout;
  out_proj: Linear;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(config: BertConfig, activation: ActivationName = 'tanh') {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size);
    this.dropout = new Dropout(config.classifier_dropout ?? config.hidden_dropout_prob);
    this.out_proj = new Linear(config.hidden_size, config.num_labels);
    this.activation = ACTIVATIONS[activation];
  }

  forward(hidden: Tensor, train: boolean): Tensor {
    const first = this.dropout.forward(hidden.select(1, 0), train);
    return this.out_proj.forward(this.dropout.forward(this.activation(this.dense.forward(first)), train));
  }
}

export class RobertaForSequenceClassification extends withVariant(BertPreTrainedModel, ROBERTA) {
  declare classifier: RobertaClassificationHead;

  constructor(config: BertConfig) {
    super(config);
    this.attachBase({ pooler: false });
    this.classifier = new RobertaClassificationHead(config);
  }

  forward(inputs: SequenceClassificationInputs, options: ForwardOptions = {}): SequenceClassifierOutput {
    const train = options.train ?? false;
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      const logits = this.classifier.forward(base.last_hidden_state, train);
      return { ...base, logits, loss: sequenceClassificationLoss(this.config, logits, inputs.labels) };
    });
  }
}

export class RobertaForQuestionAnswering extends withVariant(BertForQuestionAnswering, ROBERTA) {}

export class RobertaForTokenClassification extends withVariant(BertForTokenClassification, ROBERTA) {}

/** dense → gelu → layer_norm → decoder (tied to the word embeddings, bias `lm_head.bias`). */
export class RobertaLMHead extends Module {
  dense: Linear;
  layer_norm: LayerNorm;
  decoder: Linear;
  bias: Tensor;

  constructor(config: BertConfig, wordEmbeddings: Embedding) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size);
    this.layer_norm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.bias = parameter([config.vocab_size]);
    this.decoder = vocabularyDecoder(config, config.hidden_size, wordEmbeddings, this.bias);
  }

  forward(hidden: Tensor): Tensor {
    return this.decoder.forward(this.layer_norm.forward(this.dense.forward(hidden).gelu()));
  }
}

export class RobertaForMaskedLM extends withVariant(BertPreTrainedModel, ROBERTA) {
  declare lm_head: RobertaLMHead;

  constructor(config: BertConfig) {
    super(config);
    const base = this.attachBase({ pooler: false });
    this.lm_head = new RobertaLMHead(config, base.embeddings.word_embeddings);
  }

  override get paddedOutputs(): readonly string[] {
    return MASKED_LM_PADDED_OUTPUTS;
  }

  forward(inputs: MaskedLMInputs, options: ForwardOptions = {}): MaskedLMOutput {
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      // Only the labelled tokens are decoded when the caller does not read the logits (heads.ts says why).
      const { logits, loss } = maskedLMLogitsAndLoss(base.last_hidden_state, inputs.labels,
        (hidden) => this.lm_head.forward(hidden), options);
      return { ...base, logits, loss };
    });
  }
}
