// `--task` → what fine-tuning needs: the head (Auto class), where the data comes from (files or a Hub data set),
// how it is read and tokenized, and how predictions are scored and written. The trainer knows none of this.
import { evalBatches, type Batch } from './data/collate.js';
import { DataError } from './data/errors.js';
import { UNTAGGED_WORD, sequenceClassificationFeatures, tokenClassificationFeatures, type FeatureSet } from './data/features.js';
import { GLUE_TASKS, loadGlue, readGlueTsv, type GlueTask } from './data/glue.js';
import { readConll, readNerJsonl } from './data/ner.js';
import { qaEvalFeatures, qaTrainFeatures, type QaFeatureInfo } from './data/qa-features.js';
import { loadSquad, readSquadJson } from './data/squad.js';
import { readTable } from './data/table.js';
import type { NerDataset, QaDataset, TextDataset } from './data/types.js';
import { accuracy, argmax, f1Binary } from './metrics/classification.js';
import { pearson, spearman } from './metrics/correlation.js';
import { GLUE_METRICS, glueMetrics } from './metrics/glue.js';
import { postprocessQaPredictions, rowsByFeature } from './metrics/qa-postprocess.js';
import { seqeval } from './metrics/seqeval.js';
import { squadV1, squadV2 } from './metrics/squad.js';
import { alignTokenPredictions } from './metrics/token-classification.js';
import {
  AutoConfig, AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForTokenClassification,
} from './models/auto.js';
import { ModelFileNotFoundError } from './models/errors.js';
import type { PreTrainedModel } from './models/pretrained.js';
import type { Tokenizer } from './tokenizers/tokenizer.js';
import type { BatchOutputs, InferenceResult } from './train/inference.js';
import { TrainConfigError } from './train/errors.js';

export const TASK_NAMES = [
  'glue/cola', 'glue/sst2', 'glue/mrpc', 'glue/stsb', 'glue/qqp', 'glue/mnli', 'glue/qnli', 'glue/rte', 'glue/wnli',
  'squad', 'squad_v2', 'ner', 'classification', 'regression',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];
export type HeadKind = 'sequence-classification' | 'question-answering' | 'token-classification';

export interface TaskSpec {
  head: HeadKind;
  /** Metric names (without `eval_`) the task reports; `loss` is always there too. */
  metrics: string[];
  /** Default --metric-for-best. */
  primaryMetric: string;
  defaultMaxSeqLength: number;
}

const glue = (task: GlueTask): TaskSpec => ({
  head: 'sequence-classification', metrics: [...GLUE_METRICS[task].names, ...(GLUE_METRICS[task].names.length > 1 ? ['combined_score'] : [])],
  primaryMetric: GLUE_METRICS[task].primary, defaultMaxSeqLength: 128,
});
const SQUAD_V2_METRICS = ['exact', 'f1', 'HasAns_exact', 'HasAns_f1', 'NoAns_exact', 'NoAns_f1', 'best_exact', 'best_f1'];

export const TASKS: Record<TaskName, TaskSpec> = {
  'glue/cola': glue('cola'), 'glue/sst2': glue('sst2'), 'glue/mrpc': glue('mrpc'), 'glue/stsb': glue('stsb'),
  'glue/qqp': glue('qqp'), 'glue/mnli': glue('mnli'), 'glue/qnli': glue('qnli'), 'glue/rte': glue('rte'),
  'glue/wnli': glue('wnli'),
  squad: { head: 'question-answering', metrics: ['exact_match', 'f1'], primaryMetric: 'f1', defaultMaxSeqLength: 384 },
  squad_v2: { head: 'question-answering', metrics: SQUAD_V2_METRICS, primaryMetric: 'f1', defaultMaxSeqLength: 384 },
  ner: { head: 'token-classification', metrics: ['precision', 'recall', 'f1', 'accuracy'], primaryMetric: 'f1', defaultMaxSeqLength: 128 },
  classification: { head: 'sequence-classification', metrics: ['accuracy', 'f1'], primaryMetric: 'accuracy', defaultMaxSeqLength: 128 },
  regression: { head: 'sequence-classification', metrics: ['mse', 'pearson', 'spearmanr'], primaryMetric: 'mse', defaultMaxSeqLength: 128 },
};

/** Metrics where smaller is better; every other metric is maximised. */
export function greaterIsBetter(metric: string): boolean {
  return !/(^|_)(loss|mse)$/.test(metric);
}

function glueTaskOf(task: TaskName): GlueTask | null {
  return task.startsWith('glue/') ? (task.slice(5) as GlueTask) : null;
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
}

/** The label set of the task's head: class names (id order), NER tags, or none (QA, regression). */
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
  score(result: InferenceResult): { metrics: Record<string, number>; records: Record<string, unknown>[] };
}

export interface TaskData {
  labels: TaskLabels;
  train: FeatureSet | null;
  evalSplits: EvalSplit[];
  testSplit: EvalSplit | null;
}

export async function prepareTaskData(task: TaskName, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  const head = TASKS[task].head;
  if (head === 'question-answering') return prepareQa(task, tokenizer, options);
  if (head === 'token-classification') return prepareNer(tokenizer, options);
  return prepareSequence(task, tokenizer, options);
}

/** Input files of a prediction run: one split named 'predict', scored only if it carries labels. */
export async function preparePredictionData(task: TaskName, tokenizer: Tokenizer, file: string,
  options: Omit<DataOptions, 'validationFile' | 'trainFile' | 'testFile' | 'withTrain'>): Promise<EvalSplit> {
  const data = await prepareTaskData(task, tokenizer, { ...options, testFile: file, withTrain: false });
  return { ...data.testSplit!, name: 'predict' };
}

/** One sentence (pair) given inline (`tunelab predict --text … --text-pair …`), for sequence-classification tasks. */
export async function prepareTextPrediction(task: TaskName, tokenizer: Tokenizer, input: { text: string; textPair?: string },
  options: { maxSeqLength: number; labels: string[] }): Promise<EvalSplit> {
  if (TASKS[task].head !== 'sequence-classification') {
    throw new TrainConfigError(`--text is for sentence (pair) tasks; --task ${task} reads its examples from --input`);
  }
  const dataset: TextDataset = {
    kind: isRegression(task) ? 'regression' : 'classification', labels: options.labels, source: '--text',
    examples: [{ id: '--text', text: input.text, ...(input.textPair !== undefined ? { textPair: input.textPair } : {}), label: null }],
  };
  const set = await sequenceClassificationFeatures(tokenizer, dataset, { maxLength: options.maxSeqLength });
  return sequenceSplit(task, 'predict', dataset, set, fixedLabels(task) ?? options.labels);
}

function limit<T extends { examples: unknown[] }>(dataset: T, max: number | undefined): T {
  return max === undefined ? dataset : { ...dataset, examples: dataset.examples.slice(0, max) };
}

// ---- sentence (pair) classification and regression ----

async function prepareSequence(task: TaskName, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  const glueTask = glueTaskOf(task);
  const read = async (file: string | undefined, split: string, labels?: string[]): Promise<TextDataset | null> => {
    if (glueTask) {
      if (file) return readGlueTsv(glueTask, file, { labelsOptional: split === 'test' }); // GLUE's unlabeled test.tsv
      return noFilesGiven(options) ? loadGlue(glueTask, split, { hub: {} }) : null;
    }
    if (!file) return null;
    return readTable(file, {
      textColumn: options.textColumn ?? 'text', textPairColumn: options.textPairColumn,
      labelColumn: options.labelColumn, labels,
      kind: task === 'regression' ? 'regression' : 'classification',
      labelsOptional: split === 'test', // --test-file and `predict --input` may come without labels
    });
  };
  const trainSet = options.withTrain ? await read(options.trainFile, 'train', options.labels) : null;
  if (options.withTrain && !trainSet) throw new DataError(`--task ${task}`, 'needs --train-file (CSV, TSV or JSONL)');
  const labels = fixedLabels(task) ?? options.labels ?? trainSet?.labels ?? [];
  const labelsForReading = task === 'classification' ? labels : undefined;
  const featuresOf = async (dataset: TextDataset, max?: number) =>
    sequenceClassificationFeatures(tokenizer, limit(dataset, max), { maxLength: options.maxSeqLength });

  const evalSplits: EvalSplit[] = [];
  const validations: [string, string | undefined][] = glueTask === 'mnli'
    ? [['validation_matched', options.validationFile], ['validation_mismatched', options.validationMismatchedFile]]
    : [['validation', options.validationFile]];
  for (const [name, file] of validations) {
    const dataset = await read(file, name, labelsForReading);
    if (!dataset) continue;
    const limited = limit(dataset, options.maxEvalSamples);
    evalSplits.push(sequenceSplit(task, name, limited, await featuresOf(limited), labels));
  }
  const test = options.testFile ? await read(options.testFile, 'test', labelsForReading) : null;
  const testSplit = test
    ? sequenceSplit(task, 'test', limit(test, options.maxEvalSamples), await featuresOf(test, options.maxEvalSamples), labels)
    : null;
  return {
    labels: { names: labels, problemType: isRegression(task) ? 'regression' : 'single_label_classification' },
    train: trainSet ? await featuresOf(trainSet, options.maxTrainSamples) : null,
    evalSplits, testSplit,
  };
}

function noFilesGiven(options: DataOptions): boolean {
  return !options.trainFile && !options.validationFile && !options.testFile;
}

function isRegression(task: TaskName): boolean {
  return task === 'regression' || task === 'glue/stsb';
}

/** Outputs a head for the task must have (GLUE's classes; 1 for regression); null when the data decides. */
export function headOutputs(task: TaskName): number | null {
  if (isRegression(task)) return 1;
  return glueTaskOf(task) ? fixedLabels(task)!.length : null;
}

function fixedLabels(task: TaskName): string[] | null {
  const glueTask = glueTaskOf(task);
  if (glueTask) return GLUE_TASKS[glueTask].labels ?? [];
  return task === 'regression' ? [] : null;
}

function sequenceSplit(task: TaskName, name: string, dataset: TextDataset, set: FeatureSet, labels: string[]): EvalSplit {
  const labeled = set.labelKind !== 'none';
  return {
    name, set, labeled,
    metricSuffix: name === 'validation_mismatched' ? '_mm' : '',
    score(result) {
      const logits = gatherRows(set.features.length, result.batches, 'logits');
      const regression = isRegression(task);
      const predictions = regression ? Float64Array.from(logits.map((row) => row[0])) : Int32Array.from(logits.map((row) => argmax(row, [row.length])[0]));
      const records = dataset.examples.map((example, i) => regression
        ? { id: example.id, score: predictions[i], logits: Array.from(logits[i]), ...(labeled ? { reference: example.label } : {}) }
        : {
          id: example.id, label: labels[predictions[i]], label_id: predictions[i],
          score: softmax(logits[i])[predictions[i]], logits: Array.from(logits[i]),
          ...(labeled ? { reference: labels[example.label!] } : {}),
        });
      if (!labeled) return { metrics: {}, records };
      const references = dataset.examples.map((example) => example.label!);
      return { metrics: sequenceMetrics(task, predictions, references, labels.length), records };
    },
  };
}

function sequenceMetrics(task: TaskName, predictions: ArrayLike<number>, references: number[], numLabels: number): Record<string, number> {
  const glueTask = glueTaskOf(task);
  if (glueTask) return glueMetrics(glueTask, predictions, references);
  if (task === 'regression') {
    let squared = 0;
    for (let i = 0; i < references.length; i++) squared += (predictions[i] - references[i]) ** 2;
    return { mse: squared / references.length, pearson: pearson(predictions, references), spearmanr: spearman(predictions, references) };
  }
  return { accuracy: accuracy(predictions, references), ...(numLabels === 2 ? { f1: f1Binary(predictions, references) } : {}) };
}

// ---- extractive question answering ----

async function prepareQa(task: TaskName, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  const version2 = task === 'squad_v2';
  const repo = version2 ? 'rajpurkar/squad_v2' : 'rajpurkar/squad';
  const read = async (file: string | undefined, split: string): Promise<QaDataset | null> => {
    const dataset = file ? readSquadJson(file) : noFilesGiven(options) ? await loadSquad({ hub: { repo } }, split) : null;
    if (dataset && dataset.version === '2.0' && !version2) {
      throw new DataError(dataset.source, 'has unanswerable questions (SQuAD v2.0): use --task squad_v2');
    }
    return dataset;
  };
  const featureOptions = { maxLength: options.maxSeqLength, docStride: options.docStride };
  const train = options.withTrain ? await read(options.trainFile, 'train') : null;
  if (options.withTrain && !train) throw new DataError(`--task ${task}`, 'needs --train-file (SQuAD JSON)');
  const split = async (name: string, file: string | undefined): Promise<EvalSplit | null> => {
    const dataset = await read(file, name);
    if (!dataset) return null;
    const limited = limit(dataset, options.maxEvalSamples);
    const { set, info } = await qaEvalFeatures(tokenizer, limited, featureOptions);
    // Labeled splits also get run_qa's training targets for the same windows, so an eval loss can be reported.
    const labeled = limited.examples.some((example) => example.answers.length > 0);
    const scored = labeled ? await qaTrainFeatures(tokenizer, limited, featureOptions) : set;
    return qaSplit(name, limited, scored, info, labeled, version2, options.qa);
  };
  return {
    labels: { names: [] },
    train: train ? await qaTrainFeatures(tokenizer, limit(train, options.maxTrainSamples), featureOptions) : null,
    evalSplits: [await split('validation', options.validationFile)].filter((s): s is EvalSplit => s !== null),
    testSplit: options.testFile ? await split('test', options.testFile) : null,
  };
}

function qaSplit(name: string, dataset: QaDataset, set: FeatureSet, info: QaFeatureInfo[], labeled: boolean,
  version2: boolean, options: QaScoring): EvalSplit {
  return {
    name, set, labeled, metricSuffix: '',
    score(result) {
      const starts = rowsByFeature(set.features.length, result.batches.map((b) => ({ featureIndex: b.batch.feature_index, logits: b.outputs.start_logits })));
      const ends = rowsByFeature(set.features.length, result.batches.map((b) => ({ featureIndex: b.batch.feature_index, logits: b.outputs.end_logits })));
      const post = postprocessQaPredictions(dataset.examples, info, starts, ends, {
        version2, nBest: options.nBestSize, maxAnswerLength: options.maxAnswerLength,
        nullScoreDiffThreshold: options.nullScoreDiffThreshold,
      });
      const records = dataset.examples.map((example) => {
        const text = post.predictions.get(example.id)!;
        const chosen = post.nBest.get(example.id)!.find((answer) => answer.text === text)!;
        const hasSpan = chosen.end > chosen.start; // not the null answer, nor HF's "empty" placeholder
        return {
          id: example.id, prediction_text: text,
          answer_start: hasSpan ? chosen.start : null, answer_end: hasSpan ? chosen.end : null,
          score: chosen.probability,
          ...(labeled ? { references: example.answers.map((a) => a.text) } : {}),
        };
      });
      if (!labeled) return { metrics: {}, records };
      const references = dataset.examples.map((example) => ({ id: example.id, answers: example.answers.map((a) => a.text) }));
      const metrics = version2 ? squadV2(references, post.predictions) : squadV1(references, post.predictions);
      const numeric = Object.fromEntries(Object.entries(metrics).filter(([key, value]) =>
        typeof value === 'number' && !key.endsWith('_total') && !key.endsWith('_thresh') && key !== 'total'));
      return { metrics: numeric, records };
    },
  };
}

// ---- token classification (NER) ----

async function prepareNer(tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  // --test-file and `predict --input` may have tokens only
  const read = (file: string, labels?: string[], tagsOptional = false): NerDataset =>
    (/\.jsonl?$/i.test(file) ? readNerJsonl : readConll)(file, { ...(labels ? { labels } : {}), tagsOptional });
  const train = options.withTrain && options.trainFile ? read(options.trainFile, options.labels) : null;
  if (options.withTrain && !train) throw new DataError('--task ner', 'needs --train-file (CoNLL columns or JSONL tokens/tags)');
  const labels = options.labels ?? train!.labels;
  const split = async (name: string, file: string | undefined): Promise<EvalSplit | null> => {
    if (!file) return null;
    const dataset = limit(read(file, labels, name === 'test'), options.maxEvalSamples);
    const set = await tokenClassificationFeatures(tokenizer, dataset, { maxLength: options.maxSeqLength });
    return nerSplit(name, dataset, set, labels);
  };
  const evalSplit = await split('validation', options.validationFile);
  return {
    labels: { names: labels },
    train: train ? await tokenClassificationFeatures(tokenizer, limit(train, options.maxTrainSamples), { maxLength: options.maxSeqLength }) : null,
    evalSplits: evalSplit ? [evalSplit] : [],
    testSplit: await split('test', options.testFile),
  };
}

function nerSplit(name: string, dataset: NerDataset, set: FeatureSet, labels: string[]): EvalSplit {
  const labeled = set.labelKind !== 'none';
  return {
    name, set, labeled, metricSuffix: '',
    score(result) {
      const logits = gatherRows(set.features.length, result.batches, 'logits');
      const predictedIds = logits.map((row, i) => argmax(row, [row.length / labels.length, labels.length])
        .subarray(0, set.features[i].input_ids.length));
      if (!labeled) {
        const predicted = wordStartPredictions(set, predictedIds, labels);
        const records = dataset.examples.map((example, i) => ({
          id: example.id, tokens: example.tokens.slice(0, predicted[i].length), predicted_tags: predicted[i],
        }));
        return { metrics: {} as Record<string, number>, records };
      }
      const gold = set.features.map((feature) => feature.token_labels!);
      const { predictions, references } = alignTokenPredictions(gold, predictedIds, labels);
      const records = dataset.examples.map((example, i) => ({
        id: example.id, tokens: example.tokens.slice(0, predictions[i].length),
        predicted_tags: predictions[i], reference_tags: references[i],
      }));
      const scores = seqeval(predictions, references);
      return {
        metrics: {
          precision: scores.overall_precision, recall: scores.overall_recall,
          f1: scores.overall_f1, accuracy: scores.overall_accuracy,
        },
        records,
      };
    },
  };
}

/** Untagged sentences: the predicted tag at each word's first sub-token (UNTAGGED_WORD marks them). */
function wordStartPredictions(set: FeatureSet, predictedIds: Int32Array[], labels: string[]): string[][] {
  return set.features.map((feature, i) => {
    const tags: string[] = [];
    feature.token_labels!.forEach((marker, t) => {
      if (marker === UNTAGGED_WORD) tags.push(labels[predictedIds[i][t]]);
    });
    return tags;
  });
}

// ---- shared ----

/** Per feature, its row of output `name` (batch padding included), from batches in any order. */
function gatherRows(count: number, batches: BatchOutputs[], name: string): Float32Array[] {
  const rows: Float32Array[] = new Array(count);
  for (const { batch, outputs } of batches) {
    const output = outputs[name];
    const width = output.data.length / batch.size[0];
    batch.feature_index.forEach((feature, r) => { rows[feature] = output.data.subarray(r * width, (r + 1) * width); });
  }
  return rows;
}

function softmax(row: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(row));
  const exps = Array.from(row, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export interface QaScoring {
  nBestSize: number;
  maxAnswerLength: number;
  nullScoreDiffThreshold: number;
}

/** Evaluation batches of a split, in data order. */
export function splitBatches(split: EvalSplit, batchSize: number, padId: number): Batch[] {
  return evalBatches(split.set, { batchSize, padId });
}

// ---- the model of a task ----

const AUTO_MODEL_FOR_HEAD = {
  'sequence-classification': AutoModelForSequenceClassification,
  'question-answering': AutoModelForQuestionAnswering,
  'token-classification': AutoModelForTokenClassification,
} as const;
const HEAD_OF_ARCHITECTURE: [RegExp, HeadKind][] = [
  [/ForSequenceClassification$/, 'sequence-classification'],
  [/ForQuestionAnswering$/, 'question-answering'],
  [/ForTokenClassification$/, 'token-classification'],
];

/** The task head a saved model has (from config.json `architectures`), or null for a base / pre-training model. */
export function headOfArchitecture(architecture: string | undefined): HeadKind | null {
  return HEAD_OF_ARCHITECTURE.find(([pattern]) => architecture !== undefined && pattern.test(architecture))?.[1] ?? null;
}

/** What config.json says about a model's head: its architecture and labels. */
export interface ModelHeadInfo {
  architecture: string | undefined;
  head: HeadKind | null;
  labels: string[];
  problemType: string | null;
}

export async function readModelHead(model: string): Promise<ModelHeadInfo> {
  const config = await AutoConfig.fromPretrained(model);
  const architecture = config.architectures?.[0];
  const labels = Object.keys(config.id2label).map(Number).sort((a, b) => a - b).map((id) => config.id2label[id]);
  return { architecture, head: headOfArchitecture(architecture), labels, problemType: config.problem_type ?? null };
}

/**
 * The generic task a fine-tuned model folder does, from its head (for `tunelab predict` without --task):
 * classification or regression for a sequence-classification head, squad_v2 for QA (it may answer ""), ner for
 * token classification.
 */
export async function taskOfSavedModel(model: string): Promise<TaskName> {
  const info = await readModelHead(model);
  if (info.head === 'question-answering') return 'squad_v2';
  if (info.head === 'token-classification') return 'ner';
  if (info.head === 'sequence-classification') {
    return info.problemType === 'regression' || info.labels.length === 1 ? 'regression' : 'classification';
  }
  throw new TrainConfigError(`--model ${model}: has no task head (architectures: ${info.architecture ?? 'none'}); ` +
    'give --task, or fine-tune it first with tunelab train');
}

/**
 * Refuses a model whose head does another task (a QA model for --task glue/mrpc); with `requireHead` (eval, predict)
 * the model must already have the task's head.
 */
export function checkModelHead(task: TaskName, model: string, info: ModelHeadInfo, requireHead: boolean): void {
  const needed = TASKS[task].head;
  if (info.head !== null && info.head !== needed) {
    throw new TrainConfigError(`--model ${model}: a ${info.architecture} (config.json architectures) cannot do ` +
      `--task ${task}, which needs a ${needed} head`);
  }
  if (requireHead && info.head === null) {
    throw new TrainConfigError(`--model ${model}: has no ${needed} head (architectures: ` +
      `${info.architecture ?? 'none'}); fine-tune it first with tunelab train`);
  }
}

export interface LoadModelOptions {
  /** Labels of the head to build (training); eval/predict keep the model's own. */
  labels: TaskLabels | null;
  fromScratch: boolean;
  device: 'cpu' | 'cuda';
  ignoreMismatchedSizes?: boolean;
}

export async function loadModelForTask(task: TaskName, model: string, options: LoadModelOptions): Promise<PreTrainedModel> {
  const head = TASKS[task].head;
  const labelOverrides = options.labels && head !== 'question-answering' ? headLabels(options.labels) : {};
  try {
    return await AUTO_MODEL_FOR_HEAD[head].fromPretrained(model, {
      device: options.device, fromScratch: options.fromScratch,
      ignoreMismatchedSizes: options.ignoreMismatchedSizes, ...labelOverrides,
    });
  } catch (err) {
    // config.json was read before (readModelHead), so what is missing is the weights.
    if (err instanceof ModelFileNotFoundError) {
      throw new TrainConfigError(`--model ${model}: no weights (model.safetensors or pytorch_model.bin); ` +
        'pass --from-scratch to train from its config.json alone');
    }
    throw err;
  }
}

function headLabels(labels: TaskLabels) {
  if (labels.problemType === 'regression') return { numLabels: 1, problemType: 'regression' as const };
  const id2label = Object.fromEntries(labels.names.map((name, id) => [id, name]));
  const label2id = Object.fromEntries(labels.names.map((name, id) => [name, id]));
  return { id2label, label2id, ...(labels.problemType ? { problemType: labels.problemType } : {}) };
}

/** `--metric-for-best f1` (or `eval_f1`) → { name: 'eval_f1', greaterIsBetter: true }, checked against the task. */
export function metricForBest(task: TaskName, flag: string | undefined): { name: string; greaterIsBetter: boolean } {
  const metric = (flag ?? TASKS[task].primaryMetric).replace(/^eval_/, '');
  const known = [...TASKS[task].metrics, 'loss'];
  if (!known.includes(metric)) {
    throw new TrainConfigError(`--metric-for-best ${flag}: --task ${task} reports ${known.join(', ')}`);
  }
  return { name: `eval_${metric}`, greaterIsBetter: greaterIsBetter(metric) };
}

/** Flags that only some tasks read; giving one to another task is a mistake worth naming. */
export function checkTaskFlags(task: TaskName, flags: {
  textColumn?: string; textPairColumn?: string; labelColumn?: string; docStride?: number;
  validationMismatchedFile?: string;
}): void {
  if (flags.validationMismatchedFile !== undefined && task !== 'glue/mnli') {
    throw new TrainConfigError(`--validation-mismatched-file is for --task glue/mnli, not ${task}`);
  }
  const custom = task === 'classification' || task === 'regression';
  for (const [key, flag] of [['textColumn', '--text-column'], ['textPairColumn', '--text-pair-column'], ['labelColumn', '--label-column']] as const) {
    if (flags[key] !== undefined && !custom) {
      throw new TrainConfigError(`${flag} is for --task classification or regression (the ${task} files have fixed columns)`);
    }
  }
  if (flags.docStride !== undefined && TASKS[task].head !== 'question-answering') {
    throw new TrainConfigError(`--doc-stride is for --task squad or squad_v2, not ${task}`);
  }
}

