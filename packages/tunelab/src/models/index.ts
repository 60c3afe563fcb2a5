// Public surface of models/: Auto classes, every architecture's classes, configs, loading and errors.
export {
  AutoConfig, AutoModel, AutoModelForMaskedLM, AutoModelForPreTraining, AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification, AutoModelForTokenClassification, CONFIG_MAPPING, MODEL_FOR_MASKED_LM_MAPPING,
  MODEL_FOR_PRETRAINING_MAPPING, MODEL_FOR_QUESTION_ANSWERING_MAPPING, MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING,
  MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING, MODEL_MAPPING, type AnyModelConfig, type AutoModelClass,
} from './auto.js';
export * from './bert/modeling.js';
export * from './bert/pretraining.js';
export { withVariant, type BertVariant } from './bert/variant.js';
export { parseBertConfig, type BertConfig } from './bert/config.js';
export * from './roberta/modeling.js';
export { parseRobertaConfig, type RobertaConfig } from './roberta/config.js';
export * from './distilbert/modeling.js';
export { parseDistilBertConfig, type DistilBertConfig } from './distilbert/config.js';
export * from './electra/modeling.js';
export { parseElectraConfig, type ElectraConfig } from './electra/config.js';
export { PROBLEM_TYPES, type LabelOverrides, type ProblemType } from './config.js';
export * from './errors.js';
export type * from './heads.js';
export { logging, type Verbosity } from './logging.js';
export type { HubOptions, LoadingInfo } from './loading.js';
export {
  ACTIVATIONS, Dropout, Embedding, fusedLinear, LayerNorm, Linear, Module, noDecayParameterNames, type ActivationName,
  type ForwardOptions, type StateDict,
} from './modules.js';
export {
  PreTrainedModel, type EncoderInputs, type FromConfigOptions, type FromPretrainedOptions, type ModelConfig,
} from './pretrained.js';
