// The registry, as data: per task a Map from config.json's model_type to the class (transformers'
// MODEL_FOR_…_MAPPING_NAMES). A new architecture is a folder plus one line per task here; a type with no class for
// the task is an UnsupportedModelError ("Unsupported model type").
import type { ConfigSource } from './config.js';
import { parseBertConfig, type BertConfig } from './bert/config.js';
import {
  BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel,
} from './bert/modeling.js';
import { BertForMaskedLM, BertForPreTraining } from './bert/pretraining.js';
import { parseDistilBertConfig, type DistilBertConfig } from './distilbert/config.js';
import {
  DistilBertForMaskedLM, DistilBertForQuestionAnswering, DistilBertForSequenceClassification,
  DistilBertForTokenClassification, DistilBertModel,
} from './distilbert/modeling.js';
import { parseElectraConfig, type ElectraConfig } from './electra/config.js';
import {
  ElectraForMaskedLM, ElectraForPreTraining, ElectraForQuestionAnswering, ElectraForSequenceClassification,
  ElectraForTokenClassification, ElectraModel,
} from './electra/modeling.js';
import { ConfigError, UnsupportedModelError } from './errors.js';
import type {
  BaseModel, MaskedLMModel, PreTrainingModel, QuestionAnsweringModel, SequenceClassificationModel,
  TokenClassificationModel,
} from './heads.js';
import { resolveConfig, type HubOptions, type ResolvedConfig } from './loading.js';
import {
  buildFromConfig, loadPretrained, type ConfigParser, type FromConfigOptions, type FromPretrainedOptions,
  type ModelClass, type ModelConfig, type PreTrainedModel,
} from './pretrained.js';
import { parseRobertaConfig, type RobertaConfig } from './roberta/config.js';
import {
  RobertaForMaskedLM, RobertaForQuestionAnswering, RobertaForSequenceClassification, RobertaForTokenClassification,
  RobertaModel,
} from './roberta/modeling.js';

export type AnyModelConfig = BertConfig | RobertaConfig | DistilBertConfig | ElectraConfig;

export const CONFIG_MAPPING = new Map<string, ConfigParser<AnyModelConfig>>([
  ['bert', parseBertConfig],
  ['roberta', parseRobertaConfig],
  ['xlm-roberta', parseRobertaConfig],
  ['distilbert', parseDistilBertConfig],
  ['electra', parseElectraConfig],
]);

// Each map lists the classes of one task. The casts forget each class's own config type: the matching parser above
// produces it, so a class always receives the config it was written for.
type Registry<M extends PreTrainedModel> = Map<string, ModelClass<M, AnyModelConfig>>;
const registry = <M extends PreTrainedModel>(entries: [string, unknown][]) => new Map(entries) as Registry<M>;

export const MODEL_MAPPING = registry<BaseModel>([
  ['bert', BertModel], ['roberta', RobertaModel], ['xlm-roberta', RobertaModel], ['distilbert', DistilBertModel],
  ['electra', ElectraModel],
]);
export const MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING = registry<SequenceClassificationModel>([
  ['bert', BertForSequenceClassification], ['roberta', RobertaForSequenceClassification],
  ['xlm-roberta', RobertaForSequenceClassification], ['distilbert', DistilBertForSequenceClassification],
  ['electra', ElectraForSequenceClassification],
]);
export const MODEL_FOR_QUESTION_ANSWERING_MAPPING = registry<QuestionAnsweringModel>([
  ['bert', BertForQuestionAnswering], ['roberta', RobertaForQuestionAnswering],
  ['xlm-roberta', RobertaForQuestionAnswering], ['distilbert', DistilBertForQuestionAnswering],
  ['electra', ElectraForQuestionAnswering],
]);
export const MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING = registry<TokenClassificationModel>([
  ['bert', BertForTokenClassification], ['roberta', RobertaForTokenClassification],
  ['xlm-roberta', RobertaForTokenClassification], ['distilbert', DistilBertForTokenClassification],
  ['electra', ElectraForTokenClassification],
]);
export const MODEL_FOR_MASKED_LM_MAPPING = registry<MaskedLMModel>([
  ['bert', BertForMaskedLM], ['roberta', RobertaForMaskedLM], ['xlm-roberta', RobertaForMaskedLM],
  ['distilbert', DistilBertForMaskedLM], ['electra', ElectraForMaskedLM],
]);
/** As in transformers: RoBERTa and DistilBERT pre-train as masked LMs, ELECTRA as the replaced-token discriminator. */
export const MODEL_FOR_PRETRAINING_MAPPING = registry<PreTrainingModel>([
  ['bert', BertForPreTraining], ['roberta', RobertaForMaskedLM], ['xlm-roberta', RobertaForMaskedLM],
  ['distilbert', DistilBertForMaskedLM], ['electra', ElectraForPreTraining],
]);

function modelTypeOf(raw: Record<string, unknown>, source: ConfigSource): string {
  if (typeof raw.model_type !== 'string') throw new ConfigError(`${source}: no model_type (a string such as "bert")`);
  return raw.model_type;
}

function lookup<T>(mapping: Map<string, T>, modelType: string, task: string, source: ConfigSource): T {
  const found = mapping.get(modelType);
  if (!found) {
    throw new UnsupportedModelError(`${source}: Unsupported model type '${modelType}' for ${task} ` +
      `(supported: ${[...mapping.keys()].join(', ')})`);
  }
  return found;
}

export interface AutoModelClass<M extends PreTrainedModel> {
  /** model_type → class, for this task. */
  readonly mapping: Registry<M>;
  fromPretrained(pathOrHubId: string, options?: FromPretrainedOptions): Promise<M>;
  fromConfig(config: AnyModelConfig, options?: FromConfigOptions): M;
}

function autoModel<M extends PreTrainedModel>(task: string, mapping: Registry<M>): AutoModelClass<M> {
  return {
    mapping,
    async fromPretrained(pathOrHubId, options = {}) {
      const resolved: ResolvedConfig = await resolveConfig(pathOrHubId, options);
      const modelType = modelTypeOf(resolved.raw, resolved.path);
      const modelClass = lookup(mapping, modelType, task, resolved.path);
      const parse = lookup(CONFIG_MAPPING, modelType, task, resolved.path);
      return loadPretrained(modelClass, parse, pathOrHubId, options, resolved);
    },
    fromConfig(config, options = {}) {
      const source = 'fromConfig';
      const modelClass = lookup(mapping, config.model_type, task, source);
      return buildFromConfig(modelClass, lookup(CONFIG_MAPPING, config.model_type, task, source), config, options);
    },
  };
}

export const AutoModel = autoModel('the base model', MODEL_MAPPING);
export const AutoModelForSequenceClassification =
  autoModel('sequence classification', MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING);
export const AutoModelForQuestionAnswering = autoModel('question answering', MODEL_FOR_QUESTION_ANSWERING_MAPPING);
export const AutoModelForTokenClassification =
  autoModel('token classification', MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING);
export const AutoModelForMaskedLM = autoModel('masked language modeling', MODEL_FOR_MASKED_LM_MAPPING);
export const AutoModelForPreTraining = autoModel('pre-training', MODEL_FOR_PRETRAINING_MAPPING);

export const AutoConfig = {
  /** The typed config of a folder or Hub id (config.json only). */
  async fromPretrained(pathOrHubId: string, options: HubOptions = {}): Promise<AnyModelConfig> {
    const { raw, path } = await resolveConfig(pathOrHubId, options);
    return lookup(CONFIG_MAPPING, modelTypeOf(raw, path), 'configs', path)(raw, path);
  },
  /** A config for `modelType` from fields (defaults for the rest), e.g. to train a small model from scratch. */
  forModel(modelType: string, fields: Record<string, unknown> = {}): AnyModelConfig {
    const source = `AutoConfig.forModel('${modelType}')`;
    return lookup(CONFIG_MAPPING, modelType, 'configs', source)({ ...fields, model_type: modelType }, source);
  },
};

export type { ModelConfig };
