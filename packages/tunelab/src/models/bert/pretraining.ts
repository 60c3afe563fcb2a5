// BERT's pre-training heads (modeling_bert.py): masked LM with the decoder tied to the word embeddings (bias
// `cls.predictions.bias`), and next sentence prediction on the pooled [CLS]. BertForMaskedLM is the MLM head alone.
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import {
  MASKED_LM_PADDED_OUTPUTS, maskedLMLogitsAndLoss, tokenLoss, type MaskedLMInputs, type MaskedLMOutput,
  type PreTrainingInputs, type PreTrainingOutput,
} from '../heads.js';
import { ACTIVATIONS, Embedding, LayerNorm, Linear, Module, parameter, vocabularyDecoder, type ForwardOptions } from '../modules.js';
import type { BertConfig } from './config.js';
import { BertPreTrainedModel } from './modeling.js';

/** dense → hidden_act → LayerNorm, before the vocabulary projection. */
export class BertPredictionHeadTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  private readonly activation: (x: Tensor) => Tensor;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size);
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.activation = ACTIVATIONS[config.hidden_act];
  }

  forward(hidden: Tensor): Tensor {
    return this.LayerNorm.forward(this.activation(this.dense.forward(hidden)));
  }
}

/** Vocabulary logits; the decoder weight is the word embedding matrix (tied) and its bias is `bias`. */
export class BertLMPredictionHead extends Module {
  transform: BertPredictionHeadTransform;
  decoder: Linear;
  bias: Tensor;

  constructor(config: BertConfig, wordEmbeddings: Embedding) {
    super();
    this.transform = new BertPredictionHeadTransform(config);
    this.bias = parameter([config.vocab_size]);
    this.decoder = vocabularyDecoder(config, config.hidden_size, wordEmbeddings, this.bias);
  }

  forward(hidden: Tensor): Tensor {
    return this.decoder.forward(this.transform.forward(hidden));
  }
}

export class BertOnlyMLMHead extends Module {
  predictions: BertLMPredictionHead;

  constructor(config: BertConfig, wordEmbeddings: Embedding) {
    super();
    this.predictions = new BertLMPredictionHead(config, wordEmbeddings);
  }
}

export class BertPreTrainingHeads extends BertOnlyMLMHead {
  seq_relationship: Linear;

  constructor(config: BertConfig, wordEmbeddings: Embedding) {
    super(config, wordEmbeddings);
    this.seq_relationship = new Linear(config.hidden_size, 2);
  }
}

/** Masked LM (decoder tied to the word embeddings) + next sentence prediction on the pooled [CLS]. */
export class BertForPreTraining extends BertPreTrainedModel {
  declare cls: BertPreTrainingHeads;

  constructor(config: BertConfig) {
    super(config);
    const base = this.attachBase({ pooler: true });
    this.cls = new BertPreTrainingHeads(config, base.embeddings.word_embeddings);
  }

  /** The vocabulary logits at every position, when read (fill-mask), stay padded. */
  override get paddedOutputs(): readonly string[] {
    return [...super.paddedOutputs, 'prediction_logits'];
  }

  forward(inputs: PreTrainingInputs, options: ForwardOptions = {}): PreTrainingOutput {
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      // Only the labelled tokens are decoded when the caller does not read prediction_logits (heads.ts says why).
      const { logits: prediction_logits, loss: mlm } = maskedLMLogitsAndLoss(base.last_hidden_state, inputs.labels,
        (hidden) => this.cls.predictions.forward(hidden), options, 'prediction_logits');
      const seq_relationship_logits = this.cls.seq_relationship.forward(base.pooler_output!);
      const nsp = tokenLoss(seq_relationship_logits, inputs.next_sentence_label);
      return { ...base, prediction_logits, seq_relationship_logits, loss: mlm && nsp ? mlm.add(nsp) : undefined };
    });
  }
}

export class BertForMaskedLM extends BertPreTrainedModel {
  declare cls: BertOnlyMLMHead;

  constructor(config: BertConfig) {
    super(config);
    const base = this.attachBase({ pooler: false });
    this.cls = new BertOnlyMLMHead(config, base.embeddings.word_embeddings);
  }

  override get paddedOutputs(): readonly string[] {
    return MASKED_LM_PADDED_OUTPUTS;
  }

  forward(inputs: MaskedLMInputs, options: ForwardOptions = {}): MaskedLMOutput {
    return torch.scope(() => {
      const base = this.base.forward(inputs, this.baseOptions(options));
      // Only the labelled tokens are decoded when the caller does not read the logits (heads.ts says why).
      const { logits, loss } = maskedLMLogitsAndLoss(base.last_hidden_state, inputs.labels,
        (hidden) => this.cls.predictions.forward(hidden), options);
      return { ...base, logits, loss };
    });
  }
}
