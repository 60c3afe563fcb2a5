// ELECTRA: BERT's encoder under embeddings of width embedding_size (projected up to hidden_size when narrower), no
// pooler. The discriminator head (ElectraForPreTraining) scores each token as replaced or original; the classifier
// is RoBERTa's head with gelu. Question answering and token classification are BERT's classes with the `electra` base.
import * as torch from '@tunelab/torch';
import { F, type Tensor } from '@tunelab/torch';
import type { BertConfig } from '../bert/config.js';
import {
  BertEmbeddings, BertForQuestionAnswering, BertForTokenClassification, BertModel, BertPreTrainedModel,
} from '../bert/modeling.js';
import { withVariant, type BertVariant } from '../bert/variant.js';
import {
  MASKED_LM_PADDED_OUTPUTS, maskedLMLogitsAndLoss, sequenceClassificationLoss, type MaskedLMInputs, type MaskedLMOutput,
  type ReplacedTokenDetectionOutput, type SequenceClassificationInputs, type SequenceClassifierOutput,
  type TokenClassificationInputs,
} from '../heads.js';
import { ACTIVATIONS, LayerNorm, Linear, Module, vocabularyDecoder, type ForwardOptions } from '../modules.js';
import { RobertaClassificationHead } from '../roberta/modeling.js';
import { parseElectraConfig } from './config.js';

/** BertConfig plus ELECTRA's embedding width (the variant hands BERT's classes a parsed ElectraConfig). */
type WithEmbeddingSize = BertConfig & { embedding_size?: number };

const embeddingSize = (config: WithEmbeddingSize) => config.embedding_size ?? config.hidden_size;

export const ELECTRA: BertVariant = {
  prefix: 'electra',
  parseConfig: parseElectraConfig,
  createBase: (config) => new ElectraModel(config),
  architecture: (_config, className) => className,
};

export class ElectraModel extends withVariant(BertModel, ELECTRA) {
  constructor(config: WithEmbeddingSize) {
    const width = embeddingSize(config);
    super(config, {
      pooler: false,
      embeddings: new BertEmbeddings(config, { dim: width }),
      embeddingsProject: width !== config.hidden_size ? new Linear(width, config.hidden_size) : undefined,
    });
  }
}

export class ElectraForSequenceClassification extends withVariant(BertPreTrainedModel, ELECTRA) {
  declare classifier: RobertaClassificationHead;

  constructor(config: BertConfig) {
    super(config);
    this.attachBase({ pooler: false });
    this.classifier = new RobertaClassificationHead(config, 'gelu');
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

export class ElectraDiscriminatorPredictions extends Module {
  dense: Linear;
  dense_prediction: Linear;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size);
    this.dense_prediction = new Linear(config.hidden_size, 1);
    this.activation = ACTIVATIONS[config.hidden_act];
  }

  forward(hidden: Tensor): Tensor {
    return this.dense_prediction.forward(this.activation(this.dense.forward(hidden))).squeeze(-1);
  }
}

/** The discriminator: a logit per token, 1 = replaced; loss = BCE over tokens with attention_mask 1. */
export class ElectraForPreTraining extends withVariant(BertPreTrainedModel, ELECTRA) {
  declare discriminator_predictions: ElectraDiscriminatorPredictions;

  constructor(config: BertConfig) {
    super(config);
    this.attachBase({ pooler: false });
    this.discriminator_predictions = new ElectraDiscriminatorPredictions(config);
  }

  forward(inputs: TokenClassificationInputs, options: ForwardOptions = {}): ReplacedTokenDetectionOutput {
    const train = options.train ?? false;
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      const logits = this.discriminator_predictions.forward(base.last_hidden_state);
      return { ...base, logits, loss: replacedTokenLoss(logits, inputs.labels, inputs.attention_mask) };
    });
  }
}

/** Mean BCE over real tokens, like transformers' selection of logits where attention_mask == 1. */
function replacedTokenLoss(logits: Tensor, labels?: Tensor, attentionMask?: Tensor): Tensor | undefined {
  if (!labels) return undefined;
  const perToken = F.binaryCrossEntropyWithLogits(logits, labels.to(logits.dtype), { reduction: 'none' });
  if (!attentionMask) return perToken.mean();
  const active = attentionMask.eq(1).to(logits.dtype);
  return perToken.mul(active).sum().div(active.sum());
}

/** The generator's MLM head: dense (to embedding_size) → gelu → LayerNorm. */
export class ElectraGeneratorPredictions extends Module {
  LayerNorm: LayerNorm;
  dense: Linear;

  constructor(config: WithEmbeddingSize) {
    super();
    this.LayerNorm = new LayerNorm(embeddingSize(config), config.layer_norm_eps);
    this.dense = new Linear(config.hidden_size, embeddingSize(config));
  }

  forward(hidden: Tensor): Tensor {
    return this.LayerNorm.forward(this.dense.forward(hidden).gelu());
  }
}

/** The generator: masked LM with generator_lm_head tied to the word embeddings (own bias). */
export class ElectraForMaskedLM extends withVariant(BertPreTrainedModel, ELECTRA) {
  declare generator_predictions: ElectraGeneratorPredictions;
  declare generator_lm_head: Linear;

  constructor(config: BertConfig) {
    super(config);
    const base = this.attachBase({ pooler: false });
    this.generator_predictions = new ElectraGeneratorPredictions(config);
    this.generator_lm_head = vocabularyDecoder(config, embeddingSize(config), base.embeddings.word_embeddings);
  }

  override get paddedOutputs(): readonly string[] {
    return MASKED_LM_PADDED_OUTPUTS;
  }

  forward(inputs: MaskedLMInputs, options: ForwardOptions = {}): MaskedLMOutput {
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      // Only the labelled tokens are decoded when the caller does not read the logits (heads.ts says why).
      const { logits, loss } = maskedLMLogitsAndLoss(base.last_hidden_state, inputs.labels,
        (hidden) => this.generator_lm_head.forward(this.generator_predictions.forward(hidden)), options);
      return { ...base, logits, loss };
    });
  }
}

export class ElectraForQuestionAnswering extends withVariant(BertForQuestionAnswering, ELECTRA) {}

export class ElectraForTokenClassification extends withVariant(BertForTokenClassification, ELECTRA) {}
