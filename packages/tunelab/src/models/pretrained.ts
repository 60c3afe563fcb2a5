// PreTrainedModel: what every model class shares — its typed config, the base-model prefix of its checkpoint keys,
// fromPretrained / fromConfig, savePretrained, and weight initialisation. transformers' modeling_utils, in small.
import type { Device, DType, Tensor } from '@tunelab/torch';
import { applyLabelOverrides, configToJson, type LabelFields, type LabelOverrides, type ProblemType } from './config.js';
import { ModelError } from './errors.js';
import {
  applyCheckpoint, loadCheckpoint, resolveConfig, type HubOptions, type LoadingInfo, type ResolvedConfig,
} from './loading.js';
import { Module, type ForwardOptions } from './modules.js';
import { writePretrained } from './saving.js';

/** Fields every architecture's parsed config has. */
export interface ModelConfig extends LabelFields {
  initializer_range: number;
  tie_word_embeddings: boolean;
  architectures?: string[] | null;
  problem_type?: ProblemType | null;
}

export type ConfigParser<C extends ModelConfig = ModelConfig> = (raw: Record<string, unknown>, source: string) => C;

export interface ModelClass<M extends PreTrainedModel = PreTrainedModel, C extends ModelConfig = ModelConfig> {
  new (config: C): M;
  readonly name: string;
  parseConfig: ConfigParser<C>;
}

export interface PlacementOptions {
  /** Where the parameters live (default cpu). */
  device?: Device;
  /** Parameter dtype (default float32, whatever the checkpoint holds: bf16/fp16 weights are cast). */
  dtype?: DType;
}

export interface FromConfigOptions extends PlacementOptions, LabelOverrides {}

export interface FromPretrainedOptions extends FromConfigOptions, HubOptions {
  /** Build from config.json alone with freshly initialised weights (no weight file needed). */
  fromScratch?: boolean;
  /** Re-initialise (and report) checkpoint tensors whose shape differs, e.g. a classifier with other labels. */
  ignoreMismatchedSizes?: boolean;
}

/** Inputs every model takes: int64 [B, T] tensors; attention_mask is 1 at tokens, 0 at padding. */
export type EncoderInputs = {
  input_ids: Tensor;
  attention_mask?: Tensor;
  token_type_ids?: Tensor;
};

export abstract class PreTrainedModel<C extends ModelConfig = ModelConfig> extends Module {
  /** What fromPretrained found: keys missing from the checkpoint, unused, or of another shape. */
  loadingInfo: LoadingInfo | null = null;

  constructor(readonly config: C) {
    super();
  }

  /** The field holding the base model in head models (`bert`): the prefix of its checkpoint keys. */
  abstract get baseModelPrefix(): string;

  /** The class name written to config.json `architectures` (what transformers instantiates). */
  get architecture(): string {
    return this.constructor.name;
  }

  /** `{ train: true }`: dropout on (a training step); default: inference. */
  abstract forward(inputs: EncoderInputs, options?: ForwardOptions): Record<string, Tensor | undefined>;

  /**
   * The outputs that read padding positions' hidden states, which the unpadded path (ForwardOptions.unpad) leaves at
   * zero: while the caller reads one of them, the model runs padded. By default the hidden states of every position
   * (feature extraction). Outputs read at real tokens only are equal on both paths: first-token classifiers (position 0
   * is a real token under right padding, as data/collate.ts pads), token classification (its loss ignores padding's
   * -100 labels). Heads add what they read at every position; `loss` counts as always read.
   */
  get paddedOutputs(): readonly string[] {
    return ['last_hidden_state'];
  }

  /** Whether this forward may run on the real tokens only: unpad asked, and no output read needs padding. */
  unpadFor(options: ForwardOptions): boolean {
    if (!options.unpad) return false;
    const read = (name: string) => name === 'loss' || options.outputs === undefined || options.outputs.includes(name);
    return !this.paddedOutputs.some(read);
  }

  /**
   * What a head hands its base model: train, and unpad as decided from what the head's caller reads (the head then
   * reads the base's hidden states where they are exact, so the base is not asked for its padded outputs).
   */
  baseOptions(options: ForwardOptions): ForwardOptions {
    return { train: options.train, unpad: this.unpadFor(options), outputs: [] };
  }

  /**
   * Fresh weights for every parameter, as transformers' `_init_weights` draws them. Modules go last-first, so a
   * tied decoder weight ends with the word embedding's init (padding row zero).
   */
  initWeights(): this {
    for (const [, module] of this.namedModules().reverse()) module.resetParameters(this.config.initializer_range);
    return this;
  }

  /**
   * Writes config.json (with architectures, id2label/label2id, problem_type) and model.safetensors (metadata
   * {"format":"pt"}, tied weights once) into `dir`, each atomically: a folder transformers' from_pretrained loads.
   */
  savePretrained(dir: string): void {
    writePretrained(this, dir);
  }

  /** Loads config.json and weights from a local folder or a Hub id (through the Python-compatible cache). */
  static async fromPretrained<M extends PreTrainedModel, C extends ModelConfig>(
    this: ModelClass<M, C>, pathOrHubId: string, options: FromPretrainedOptions = {},
  ): Promise<M> {
    return loadPretrained(this, this.parseConfig, pathOrHubId, options);
  }

  /** A model with freshly initialised weights for `config`. */
  static fromConfig<M extends PreTrainedModel, C extends ModelConfig>(
    this: ModelClass<M, C>, config: C, options: FromConfigOptions = {},
  ): M {
    return buildFromConfig(this, this.parseConfig, config, options);
  }
}

/**
 * fromPretrained for a known class and config parser. The Auto classes pick both by model_type from the config.json
 * they already read (`resolved`), so it is read once.
 */
export async function loadPretrained<M extends PreTrainedModel, C extends ModelConfig>(
  modelClass: ModelClass<M, C>, parseConfig: ConfigParser<C>, pathOrHubId: string, options: FromPretrainedOptions,
  resolved?: ResolvedConfig,
): Promise<M> {
  checkDtype(options.dtype);
  const { raw, path } = resolved ?? await resolveConfig(pathOrHubId, options);
  const config = parseConfig(applyLabelOverrides(raw, options), path);
  const model = new modelClass(config);
  try {
    if (options.fromScratch) model.initWeights();
    else {
      const checkpoint = await loadCheckpoint(pathOrHubId, options);
      try {
        model.loadingInfo = applyCheckpoint(model, checkpoint, options);
      } finally {
        for (const tensor of checkpoint.tensors.values()) tensor.dispose();
      }
    }
    place(model, options);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

export function buildFromConfig<M extends PreTrainedModel, C extends ModelConfig>(
  modelClass: ModelClass<M, C>, parseConfig: ConfigParser<C>, config: C, options: FromConfigOptions,
): M {
  checkDtype(options.dtype);
  const source = `${modelClass.name}.fromConfig`;
  const hasOverrides = options.numLabels !== undefined || options.id2label || options.label2id || options.problemType;
  const finalConfig = hasOverrides ? parseConfig(applyLabelOverrides(configToJson(config), options), source) : config;
  const model = new modelClass(finalConfig).initWeights();
  place(model, options);
  return model;
}

function checkDtype(dtype: DType | undefined): void {
  if (dtype && !['float32', 'float64', 'float16', 'bfloat16'].includes(dtype)) {
    throw new ModelError(`dtype ${dtype}: model parameters must be a float dtype`);
  }
}

function place(model: PreTrainedModel, { device, dtype }: PlacementOptions): void {
  if (device || dtype) model.to({ device, dtype });
}
