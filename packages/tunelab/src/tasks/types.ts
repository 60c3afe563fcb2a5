// What a task family is (the contract every file of tasks/ implements) and the data types that flow between the
// tasks, the trainer and evaluation. train/ imports these; tasks/ imports nothing from train/.
import type { Batch } from '../data/collate.js';
import type { FeatureSet } from '../data/features.js';
import type { AutoModelClass } from '../models/auto.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export type HeadKind = 'sequence-classification' | 'question-answering' | 'token-classification' | 'masked-lm' | 'pretraining';

export interface TaskSpec {
  head: HeadKind;
  /** Metric names (without `eval_`) the task reports; `loss` is always there too. */
  metrics: string[];
  /** Default --metric-for-best. */
  primaryMetric: string;
  defaultMaxSeqLength: number;
}

/** A model output copied to the CPU as float32. */
export interface HostArray {
  data: Float32Array;
  shape: number[];
}

export interface BatchOutputs {
  batch: Batch;
  /** Every tensor output but the loss (`logits`, or `start_logits` and `end_logits`). */
  outputs: Record<string, HostArray>;
}

export interface InferenceResult {
  /** Mean loss over examples (batch losses weighted by batch size), or null when the batches carry no labels. */
  loss: number | null;
  batches: BatchOutputs[];
}

export interface QaScoring {
  nBestSize: number;
  maxAnswerLength: number;
  nullScoreDiffThreshold: number;
}

/** Where examples come from: files given by flags, or (no files) the task's Hub data set. */
export interface DataOptions {
  trainFile?: string;
  validationFile?: string;
  /** MNLI only: the mismatched dev set (scored as `eval_*_mm`). */
  validationMismatchedFile?: string;
  testFile?: string;
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  maxSeqLength: number;
  docStride: number;
  maxTrainSamples?: number;
  maxEvalSamples?: number;
  /** The model's labels when it already has a head (eval/predict): data labels are mapped onto them. */
  labels?: string[];
  /** Load training data (false for eval/predict). */
  withTrain: boolean;
  qa: QaScoring;
  /** mlm / pretraining: masking and grouping (run_mlm's flags). */
  mlm?: MlmOptions;
  /** mlm: a Hub data set (run_mlm's --dataset_name / --dataset_config_name) instead of files. */
  datasetName?: string;
  datasetConfigName?: string;
}

/** run_mlm's data flags. */
export interface MlmOptions {
  mlmProbability: number;
  wholeWordMasking: boolean;
  lineByLine: boolean;
  /** Masking of the evaluation splits is drawn from this seed, so every evaluation scores the same masks. */
  seed: number;
}

/** The label set of the task's head: class names (id order), NER tags, or none (QA, regression, MLM). */
export interface TaskLabels {
  names: string[];
  problemType?: 'regression' | 'single_label_classification';
}

/** One evaluation or prediction split: its features and how its outputs become metrics and prediction records. */
export interface EvalSplit {
  /** 'validation', 'validation_matched', 'validation_mismatched', 'test', or 'predict'. */
  name: string;
  /** Appended to metric names (MNLI mismatched: '_mm', as run_glue names them). */
  metricSuffix: string;
  set: FeatureSet;
  labeled: boolean;
  /** Its batches in data order, when the split makes them itself (MLM masks them from a fixed seed). */
  batches?(batchSize: number, padId: number): Batch[];
  /** Outputs `score` reads (others are not copied to the host); undefined: all of them. */
  outputs?: readonly string[];
  score(result: InferenceResult): { metrics: Record<string, number>; records: Record<string, unknown>[] };
}

export interface TaskData {
  labels: TaskLabels;
  train: FeatureSet | null;
  /**
   * Turns a rank's padded batches of an epoch into the ones trained on (MLM: masking drawn from seed, epoch, batch
   * index and rank, so a resumed run sees the same masks); absent: trained as collated.
   */
  trainTransform?: (batches: Batch[], epoch: number, rank: number) => Batch[];
  evalSplits: EvalSplit[];
  testSplit: EvalSplit | null;
}

/**
 * One example given inline: `tunelab predict --text … [--text-pair …]` (sentence tasks; NER reads the words of
 * --text), or `--question … --context …` (question answering).
 */
export interface TextInput {
  text?: string;
  textPair?: string;
  question?: string;
  context?: string;
}

/** What an inline example is read with. */
export interface TextInputOptions {
  maxSeqLength: number;
  labels: string[];
  docStride: number;
  qa: QaScoring;
}

/** Flags only some tasks read; giving one to another task is a mistake worth naming. */
export interface TaskFlags {
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  docStride?: number;
  validationMismatchedFile?: string;
  mlmProbability?: number;
  wholeWordMasking?: boolean;
  lineByLine?: boolean;
  datasetName?: string;
  datasetConfigName?: string;
}

/** What config.json says about a model's head: its architecture and labels. */
export interface ModelHeadInfo {
  architecture: string | undefined;
  head: HeadKind | null;
  labels: string[];
  problemType: string | null;
  /** The task it was trained for (`tunelab_task` in config.json), when tunelab saved it. */
  task: string | null;
}

/**
 * A family of tasks sharing a head: its task names, the Auto class of the head, how data is read and scored, which
 * flags it reads. A new task is a file implementing this plus one line in registry.ts.
 */
export interface TaskFamily<N extends string = string> {
  readonly names: readonly N[];
  readonly head: HeadKind;
  /** The Auto class whose models have this head. */
  readonly autoModel: AutoModelClass<PreTrainedModel>;
  /** `architectures` names of this head (`BertForSequenceClassification` …). */
  readonly architecture: RegExp;
  /** Whether `task` reads this flag (a flag no task of the run reads is refused by name). */
  acceptsFlag(task: N, flag: keyof TaskFlags): boolean;
  spec(task: N): TaskSpec;
  prepare(task: N, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData>;
  /** Inline --text; families without it read their examples from --input. */
  prepareText?(task: N, tokenizer: Tokenizer, input: TextInput, options: TextInputOptions): Promise<EvalSplit>;
  /** Outputs a head for the task must have (GLUE's classes; 1 for regression); null when the data decides. */
  headOutputs(task: N): number | null;
  /** Does the model need labels from the data (id2label)? */
  readonly labeledHead: boolean;
  /** Outputs the head has whatever config.json says (QA: start and end), e.g. when loaded from a classifier's folder. */
  readonly fixedNumLabels?: number;
  /** The task a saved model of this head does when config.json does not say (predict/eval without --task). */
  defaultTask(info: ModelHeadInfo): N;
}

export type { FeatureSet, Batch, Tokenizer };
