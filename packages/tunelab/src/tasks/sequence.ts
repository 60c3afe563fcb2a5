// Sentence (pair) classification and regression: GLUE (files as distributed, or the Hub data set), and custom
// CSV/TSV/JSONL tables. Head: *ForSequenceClassification. Scoring: GLUE's metrics, accuracy/F1, MSE/Pearson/Spearman.
import { DataError } from '../data/errors.js';
import { sequenceClassificationFeatures, type FeatureSet } from '../data/features.js';
import { GLUE_TASKS, loadGlue, readGlueTsv, type GlueTask } from '../data/glue.js';
import { readTable } from '../data/table.js';
import type { TextDataset } from '../data/types.js';
import { accuracy, argmax, f1Binary } from '../metrics/classification.js';
import { pearson, spearman } from '../metrics/correlation.js';
import { GLUE_METRICS, glueMetrics } from '../metrics/glue.js';
import { AutoModelForSequenceClassification } from '../models/auto.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import type { AutoModelClass } from '../models/auto.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { gatherRows, limit, noFilesGiven, softmax } from './shared.js';
import { TaskConfigError } from './errors.js';
import type { DataOptions, EvalSplit, TaskData, TaskFamily, TaskSpec, TextInput, TextInputOptions } from './types.js';

export const SEQUENCE_TASKS = [
  'glue/cola', 'glue/sst2', 'glue/mrpc', 'glue/stsb', 'glue/qqp', 'glue/mnli', 'glue/qnli', 'glue/rte', 'glue/wnli',
  'classification', 'regression',
] as const;
export type SequenceTask = (typeof SEQUENCE_TASKS)[number];

function glueTaskOf(task: SequenceTask): GlueTask | null {
  return task.startsWith('glue/') ? (task.slice(5) as GlueTask) : null;
}

/** Whether the task reads sentence pairs (GLUE's MRPC, STS-B, …); null when its data decides (custom tables). */
export function readsTextPairs(task: SequenceTask): boolean | null {
  const glueTask = glueTaskOf(task);
  return glueTask ? GLUE_TASKS[glueTask].pairColumn !== null : null;
}

function isRegression(task: SequenceTask): boolean {
  return task === 'regression' || task === 'glue/stsb';
}

/** GLUE's fixed label names; [] for regression; null when the data decides (classification). */
function fixedLabels(task: SequenceTask): string[] | null {
  const glueTask = glueTaskOf(task);
  if (glueTask) return GLUE_TASKS[glueTask].labels ?? [];
  return task === 'regression' ? [] : null;
}

function spec(task: SequenceTask): TaskSpec {
  const glueTask = glueTaskOf(task);
  if (glueTask) {
    const { names, primary } = GLUE_METRICS[glueTask];
    return {
      head: 'sequence-classification', metrics: [...names, ...(names.length > 1 ? ['combined_score'] : [])],
      primaryMetric: primary, defaultMaxSeqLength: 128,
    };
  }
  return task === 'regression'
    ? { head: 'sequence-classification', metrics: ['mse', 'pearson', 'spearmanr'], primaryMetric: 'mse', defaultMaxSeqLength: 128 }
    : { head: 'sequence-classification', metrics: ['accuracy', 'f1'], primaryMetric: 'accuracy', defaultMaxSeqLength: 128 };
}

async function prepare(task: SequenceTask, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
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

async function prepareText(task: SequenceTask, tokenizer: Tokenizer, input: TextInput, options: TextInputOptions): Promise<EvalSplit> {
  if (input.text === undefined) throw new TaskConfigError(`--task ${task} classifies --text (with --text-pair for pairs)`);
  const dataset: TextDataset = {
    kind: isRegression(task) ? 'regression' : 'classification', labels: options.labels, source: '--text',
    examples: [{ id: '0', text: input.text, ...(input.textPair !== undefined ? { textPair: input.textPair } : {}), label: null }],
  };
  const set = await sequenceClassificationFeatures(tokenizer, dataset, { maxLength: options.maxSeqLength });
  return sequenceSplit(task, 'predict', dataset, set, fixedLabels(task) ?? options.labels);
}

function sequenceSplit(task: SequenceTask, name: string, dataset: TextDataset, set: FeatureSet, labels: string[]): EvalSplit {
  const labeled = set.labelKind !== 'none';
  return {
    name, set, labeled,
    metricSuffix: name === 'validation_mismatched' ? '_mm' : '',
    outputs: ['logits'], // read at the first token only: batches may run unpadded (train/unpad.ts)
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

function sequenceMetrics(task: SequenceTask, predictions: ArrayLike<number>, references: number[], numLabels: number): Record<string, number> {
  const glueTask = glueTaskOf(task);
  if (glueTask) return glueMetrics(glueTask, predictions, references);
  if (task === 'regression') {
    let squared = 0;
    for (let i = 0; i < references.length; i++) squared += (predictions[i] - references[i]) ** 2;
    return { mse: squared / references.length, pearson: pearson(predictions, references), spearmanr: spearman(predictions, references) };
  }
  return { accuracy: accuracy(predictions, references), ...(numLabels === 2 ? { f1: f1Binary(predictions, references) } : {}) };
}

export const sequenceClassification: TaskFamily<SequenceTask> = {
  names: SEQUENCE_TASKS,
  head: 'sequence-classification',
  autoModel: AutoModelForSequenceClassification as AutoModelClass<PreTrainedModel>,
  architecture: /ForSequenceClassification$/,
  acceptsFlag(task, flag) {
    if (flag === 'validationMismatchedFile') return task === 'glue/mnli';
    return ['textColumn', 'textPairColumn', 'labelColumn'].includes(flag) && (task === 'classification' || task === 'regression');
  },
  spec, prepare, prepareText,
  labeledHead: true,
  headOutputs(task) {
    if (isRegression(task)) return 1;
    return glueTaskOf(task) ? fixedLabels(task)!.length : null;
  },
  defaultTask(info) {
    return info.problemType === 'regression' || info.labels.length === 1 ? 'regression' : 'classification';
  },
};


/** The GLUE tasks whose TSV (labeled, or the unlabeled test file) starts with these header columns. */
export function glueTasksOfHeader(columns: readonly string[]): SequenceTask[] {
  const startsWith = (expected: readonly string[]) => expected.every((name, i) => columns[i] === name);
  return SEQUENCE_TASKS.filter((task) => {
    const glueTask = glueTaskOf(task);
    if (!glueTask) return false;
    const spec = GLUE_TASKS[glueTask];
    return (spec.header !== null && startsWith(spec.header) && columns.length >= spec.header.length)
      || (columns.length === spec.testTsv.header.length && startsWith(spec.testTsv.header));
  });
}
