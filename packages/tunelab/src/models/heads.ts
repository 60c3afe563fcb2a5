// What the heads of every architecture share: their inputs and outputs (snake_case, as transformers names them),
// input checks, and the losses — by problem type for sequence classification, clamped positions for question
// answering, ignore index -100 for token classification and masked LM.
import { F, type Tensor } from '@tunelab/torch';
import { ConfigError, ModelInputError } from './errors.js';
import type { ForwardOptions } from './modules.js';
import type { EncoderInputs, ModelConfig, PreTrainedModel } from './pretrained.js';

export type BaseModelOutput = { last_hidden_state: Tensor; pooler_output?: Tensor };

export type SequenceClassificationInputs = EncoderInputs & { labels?: Tensor };
export type SequenceClassifierOutput = BaseModelOutput & { loss?: Tensor; logits: Tensor };

export type QuestionAnsweringInputs = EncoderInputs & { start_positions?: Tensor; end_positions?: Tensor };
export type QuestionAnsweringOutput = BaseModelOutput & { loss?: Tensor; start_logits: Tensor; end_logits: Tensor };

export type TokenClassificationInputs = EncoderInputs & { labels?: Tensor };
export type TokenClassifierOutput = BaseModelOutput & { loss?: Tensor; logits: Tensor };

/** labels: token ids to predict, -100 where no prediction is scored. */
export type MaskedLMInputs = EncoderInputs & { labels?: Tensor };
export type MaskedLMOutput = BaseModelOutput & { loss?: Tensor; logits: Tensor };

/** BERT pre-training: MLM labels plus next_sentence_label (0 = B follows A, 1 = random B). */
export type PreTrainingInputs = EncoderInputs & { labels?: Tensor; next_sentence_label?: Tensor };
export type PreTrainingOutput = BaseModelOutput & {
  loss?: Tensor; prediction_logits: Tensor; seq_relationship_logits: Tensor;
};

/** ELECTRA discriminator: labels 1 where a token was replaced; logits [B, T]. */
export type ReplacedTokenDetectionOutput = BaseModelOutput & { loss?: Tensor; logits: Tensor };

/** The forward each Auto class promises (what a trainer or pipeline may call). */
export interface BaseModel extends PreTrainedModel { forward(inputs: EncoderInputs, options?: ForwardOptions): BaseModelOutput }
export interface SequenceClassificationModel extends PreTrainedModel {
  forward(inputs: SequenceClassificationInputs, options?: ForwardOptions): SequenceClassifierOutput;
}
export interface QuestionAnsweringModel extends PreTrainedModel {
  forward(inputs: QuestionAnsweringInputs, options?: ForwardOptions): QuestionAnsweringOutput;
}
export interface TokenClassificationModel extends PreTrainedModel {
  forward(inputs: TokenClassificationInputs, options?: ForwardOptions): TokenClassifierOutput;
}
export interface MaskedLMModel extends PreTrainedModel { forward(inputs: MaskedLMInputs, options?: ForwardOptions): MaskedLMOutput }
export interface PreTrainingModel extends PreTrainedModel {
  forward(inputs: PreTrainingInputs, options?: ForwardOptions): PreTrainingOutput | MaskedLMOutput | ReplacedTokenDetectionOutput;
}

/** Integer [B, T] ids no longer than `maxLength`, and masks / token types of the same shape. */
export function checkEncoderInputs(inputs: EncoderInputs, maxLength: number): void {
  const ids = inputs.input_ids;
  if (!ids || ids.ndim !== 2 || !['int64', 'int32'].includes(ids.dtype)) {
    throw new ModelInputError(`input_ids must be an int64 [batch, length] tensor, got ${ids ? `${ids.dtype} [${ids.shape.join(', ')}]` : 'nothing'}`);
  }
  if (ids.shape[1]! > maxLength) {
    throw new ModelInputError(`sequence length ${ids.shape[1]} exceeds the ${maxLength} tokens the position embeddings cover`);
  }
  for (const name of ['attention_mask', 'token_type_ids'] as const) {
    const tensor = inputs[name];
    if (tensor && (tensor.shape.length !== 2 || tensor.shape[0] !== ids.shape[0] || tensor.shape[1] !== ids.shape[1])) {
      throw new ModelInputError(`${name} has shape [${tensor.shape.join(', ')}], input_ids [${ids.shape.join(', ')}]`);
    }
  }
}

function inferProblemType(numLabels: number, labels: Tensor): NonNullable<ModelConfig['problem_type']> {
  if (numLabels === 1) return 'regression';
  return labels.dtype === 'int64' || labels.dtype === 'int32' ? 'single_label_classification' : 'multi_label_classification';
}

/**
 * transformers' sequence classification loss: MSE for regression (num_labels 1 or problem_type regression), cross
 * entropy for class ids, BCE with logits for multi-hot labels. An unset problem_type is inferred once and stored in
 * the config (so savePretrained records it), as transformers does.
 */
export function sequenceClassificationLoss(config: ModelConfig, logits: Tensor, labels?: Tensor): Tensor | undefined {
  if (!labels) return undefined;
  config.problem_type ??= inferProblemType(config.num_labels, labels);
  switch (config.problem_type) {
    case 'regression':
      return config.num_labels === 1
        ? F.mseLoss(logits.squeeze(), labels.squeeze().to(logits.dtype))
        : F.mseLoss(logits, labels.to(logits.dtype));
    case 'single_label_classification':
      return F.crossEntropy(logits.view(-1, config.num_labels), labels.view(-1));
    case 'multi_label_classification':
      return F.binaryCrossEntropyWithLogits(logits, labels.to(logits.dtype));
  }
}

/** [B, T, 2] → start and end logits [B, T]. */
export function splitSpanLogits(logits: Tensor): { start_logits: Tensor; end_logits: Tensor } {
  const [start, end] = logits.split(1, -1);
  return { start_logits: start!.squeeze(-1).contiguous(), end_logits: end!.squeeze(-1).contiguous() };
}

/**
 * Mean of the start and end cross entropies. Positions are clamped to [0, T] and T is ignored, so an answer cut off
 * by truncation (position ≥ T) adds no loss.
 */
export function questionAnsweringLoss(
  startLogits: Tensor, endLogits: Tensor, startPositions?: Tensor, endPositions?: Tensor,
): Tensor | undefined {
  if (!startPositions || !endPositions) return undefined;
  const ignored = startLogits.shape[1]!;
  const clamp = (positions: Tensor) => (positions.ndim > 1 ? positions.squeeze(-1) : positions).clamp(0, ignored);
  const startLoss = F.crossEntropy(startLogits, clamp(startPositions), { ignoreIndex: ignored });
  const endLoss = F.crossEntropy(endLogits, clamp(endPositions), { ignoreIndex: ignored });
  return startLoss.add(endLoss).div(2);
}

/** Cross entropy over every position of [B, T, C] logits, skipping labels -100 (token classification, MLM). */
export function tokenLoss(logits: Tensor, labels?: Tensor): Tensor | undefined {
  if (!labels) return undefined;
  const classes = logits.shape[logits.ndim - 1]!;
  return F.crossEntropy(logits.view(-1, classes), labels.view(-1), { ignoreIndex: -100 });
}

/**
 * The vocabulary logits of a masked-LM head (`predict`: transform → LayerNorm → decoder) and its loss. The decoder
 * costs hidden × vocab per token: for a small BERT (2 layers, hidden 128, vocab 8000) about 10× the encoder. Only
 * the labelled tokens (~15 %) enter the loss, so when the caller does not read `logitsName` (training, a loss-only
 * evaluation), only their hidden states are decoded: the same mean cross entropy over the same rows, with the same
 * gradients, at a fraction of the cost. The logits are then those rows, [N, V] in label order (as transformers'
 * ModernBERT with sparse_prediction); otherwise, [B, T, V] at every position, as transformers returns them.
 */
export function maskedLMLogitsAndLoss(hidden: Tensor, labels: Tensor | undefined, predict: (hidden: Tensor) => Tensor,
  options: ForwardOptions, logitsName = 'logits'): { logits: Tensor; loss?: Tensor } {
  const logitsRead = options.outputs === undefined || options.outputs.includes(logitsName);
  if (!labels || logitsRead) {
    const logits = predict(hidden);
    return { logits, loss: tokenLoss(logits, labels) };
  }
  const flatLabels = labels.reshape(-1);
  const labelled = flatLabels.ne(-100);
  const logits = predict(hidden.reshape(-1, hidden.shape[hidden.ndim - 1]!).index(labelled));
  return { logits, loss: tokenLoss(logits, flatLabels.index(labelled)) };
}

/**
 * What a question answering head reads at padding (PreTrainedModel.paddedOutputs): everything, since its loss, read
 * whenever labels are given, is a softmax over every position, padding included (transformers' semantics). So QA
 * stays padded whatever ForwardOptions.unpad asks.
 */
export const QUESTION_ANSWERING_PADDED_OUTPUTS = ['loss', 'start_logits', 'end_logits', 'last_hidden_state'] as const;

/**
 * What a masked-LM head reads at padding when the caller reads its vocabulary logits at every position (fill-mask).
 * Given labels and not asked for the logits, it decodes only the labelled tokens, which the unpadded path leaves exact.
 */
export const MASKED_LM_PADDED_OUTPUTS = ['last_hidden_state', 'logits'] as const;

/** Question answering heads emit exactly two logits per token. */
export function checkSpanLabels(numLabels: number, source: string): void {
  if (numLabels !== 2) throw new ConfigError(`${source}: question answering needs num_labels 2 (start, end), got ${numLabels}`);
}
