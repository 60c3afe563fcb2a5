// Scoring a model on evaluation splits (during and after training), and the `tunelab eval` / `tunelab predict` jobs
// on a saved model: they read the labels and head from the model folder and refuse a model without the task's head.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import * as torch from '@tunelab/torch';
import type { PreTrainedModel } from '../models/pretrained.js';
import {
  TASKS, checkModelHead, headOutputs, checkTaskFlags, loadModelForTask, prepareTaskData, preparePredictionData,
  prepareTextPrediction, readModelHead,
  splitBatches, type EvalSplit, type ModelHeadInfo, type TaskName,
} from '../tasks.js';
import { AutoTokenizer } from '../tokenizers/auto.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { checkPredictArgs, type EvalArgs, type PredictArgs } from './args.js';
import { TrainConfigError } from './errors.js';
import { runInference, type InferenceOptions, type TrainableModel } from './inference.js';
import { METRICS_FILE, predictionsPath, writeJsonAtomic, writeJsonLinesAtomic } from './output.js';
import { resolveDevice, resolvePrecision } from './precision.js';

export interface EvalSettings extends InferenceOptions {
  batchSize: number;
}

export interface SplitEvaluation {
  split: EvalSplit;
  /** Named as reported: `eval_accuracy`, `eval_loss`, MNLI mismatched `eval_accuracy_mm`. */
  metrics: Record<string, number>;
  records: Record<string, unknown>[];
}

export function evaluateSplit(model: TrainableModel, tokenizer: Tokenizer, split: EvalSplit,
  settings: EvalSettings): SplitEvaluation {
  const batches = splitBatches(split, settings.batchSize, tokenizer.padTokenId);
  const result = runInference(model, batches, settings);
  const { metrics, records } = split.score(result);
  const named: Record<string, number> = {};
  if (result.loss !== null) named[`eval_loss${split.metricSuffix}`] = result.loss;
  for (const [name, value] of Object.entries(metrics)) named[`eval_${name}${split.metricSuffix}`] = value;
  return { split, metrics: named, records };
}

/** Metrics of every split, merged (splits name their metrics apart). */
export function evaluateAll(model: TrainableModel, tokenizer: Tokenizer, splits: EvalSplit[],
  settings: EvalSettings): SplitEvaluation[] {
  return splits.map((split) => evaluateSplit(model, tokenizer, split, settings));
}

export function mergedMetrics(evaluations: SplitEvaluation[]): Record<string, number> {
  return Object.assign({}, ...evaluations.map((e) => e.metrics)) as Record<string, number>;
}

/** predictions/<split>.jsonl in the output folder, one record per example. */
export function writePredictions(outputDir: string, evaluations: SplitEvaluation[]): string[] {
  return evaluations.map(({ split, records }) => {
    const path = predictionsPath(outputDir, split.name);
    writeJsonLinesAtomic(path, records);
    return path;
  });
}

interface SavedModelSession {
  model: PreTrainedModel;
  tokenizer: Tokenizer;
  labels: string[];
  settings: EvalSettings;
}

/** Model, tokenizer and labels of a fine-tuned model folder, checked against the task. */
async function openSavedModel(args: EvalArgs | PredictArgs): Promise<SavedModelSession> {
  checkTaskFlags(args.task, args);
  torch.setNumThreads(args.threads ?? availableParallelism());
  const device = resolveDevice(args.device);
  const precision = resolvePrecision(args.precision, device);
  const head = await readModelHead(args.model);
  checkModelHead(args.task, args.model, head, true);
  checkLabelCount(args.task, args.model, head);
  const tokenizer = await AutoTokenizer.fromPretrained(args.model);
  const model = await loadModelForTask(args.task, args.model, { labels: null, fromScratch: false, device });
  return { model, tokenizer, labels: head.labels, settings: { device, precision, batchSize: args.evalBatchSize ?? 64 } };
}

/** A GLUE or regression model must have the task's number of outputs. */
function checkLabelCount(task: TaskName, model: string, head: ModelHeadInfo): void {
  const expected = headOutputs(task);
  if (expected !== null && head.labels.length !== expected) {
    throw new TrainConfigError(`--model ${model}: its head has ${head.labels.length} outputs (${head.labels.join(', ')}), ` +
      `--task ${task} needs ${expected}`);
  }
}

export interface EvalResult {
  metrics: Record<string, number>;
  /** Where metrics.json and predictions went (only with --output-dir). */
  outputDir: string | null;
}

/** `tunelab eval`: metrics of a saved model on validation data (files, or the task's Hub data set). */
export async function evaluateSavedModel(args: EvalArgs): Promise<EvalResult> {
  const session = await openSavedModel(args);
  try {
    const data = await prepareTaskData(args.task, session.tokenizer, {
      ...args, maxSeqLength: args.maxSeqLength ?? TASKS[args.task].defaultMaxSeqLength, docStride: args.docStride ?? 128,
      labels: session.labels, withTrain: false, qa: args,
    });
    if (data.evalSplits.length === 0) throw new TrainConfigError(`--task ${args.task}: needs --validation-file`);
    const evaluations = evaluateAll(session.model, session.tokenizer, data.evalSplits, session.settings);
    const metrics = mergedMetrics(evaluations);
    if (!args.outputDir) return { metrics, outputDir: null };
    const outputDir = resolve(args.outputDir);
    writePredictions(outputDir, evaluations);
    writeJsonAtomic(resolve(outputDir, METRICS_FILE), metrics);
    return { metrics, outputDir };
  } finally {
    session.model.dispose();
  }
}

export interface PredictResult {
  /** The JSONL file written; null for inline --text (the record is in `records`). */
  output: string | null;
  count: number;
  /** The prediction of inline --text; empty for file input. */
  records: Record<string, unknown>[];
  /** Scores when the input carried labels, else empty. */
  metrics: Record<string, number>;
}

/** `tunelab predict`: one JSON line per input example (QA: answer text, span and score), or inline --text. */
export async function predictWithSavedModel(args: PredictArgs): Promise<PredictResult> {
  checkPredictArgs(args);
  const session = await openSavedModel(args);
  try {
    const maxSeqLength = args.maxSeqLength ?? TASKS[args.task].defaultMaxSeqLength;
    const split = args.text !== undefined
      ? await prepareTextPrediction(args.task, session.tokenizer, { text: args.text, textPair: args.textPair },
        { maxSeqLength, labels: session.labels })
      : await preparePredictionData(args.task, session.tokenizer, args.input!, {
        ...args, maxSeqLength, docStride: args.docStride ?? 128, labels: session.labels, qa: args,
      });
    const { metrics, records } = evaluateSplit(session.model, session.tokenizer, split, session.settings);
    const scores = split.labeled ? metrics : {};
    if (args.output === undefined) return { output: null, count: records.length, records, metrics: scores };
    const output = resolve(args.output);
    writeJsonLinesAtomic(output, records);
    return { output, count: records.length, records: [], metrics: scores };
  } finally {
    session.model.dispose();
  }
}
