// Scoring a model on evaluation splits (during and after training), and the `tunelab eval` / `tunelab predict` jobs
// on a saved model: they read the labels and head from the model folder and refuse a model without the task's head.
import { resolve } from 'node:path';
import * as torch from '@tunelab/torch';
import type { PreTrainedModel } from '../models/pretrained.js';
import {
  TASKS, checkModelHead, headOutputs, checkTaskFlags, loadModelForTask, prepareTaskData, preparePredictionData,
  prepareTextPrediction, readModelHead, isMaskedLmTask,
  splitBatches, type EvalSplit, type ModelHeadInfo, type TaskName,
} from '../tasks/index.js';
import { mlmOptions, predictFillMask } from '../tasks/mlm.js';
import { SEQUENCE_TASKS, readsTextPairs, type SequenceTask } from '../tasks/sequence.js';
import { AutoTokenizer } from '../tokenizers/auto.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { checkPredictArgs, type EvalArgs, type PredictArgs } from './args.js';
import { TrainConfigError } from './errors.js';
import { defaultPadToMultipleOf } from './cuda-graphs.js';
import { createForwardGraphs } from './graph-forward.js';
import { resolveUnpad } from './unpad.js';
import { runInference, type InferenceOptions, type TrainableModel } from './inference.js';
import { METRICS_FILE, STDOUT_PATH, isStreamTarget, predictionsPath, writeJsonAtomic, writeJsonLinesAtomic } from './output.js';
import { computeThreads, resolveDevice, resolvePrecision, type ComputeDevice, type Precision } from './precision.js';

export interface EvalSettings extends InferenceOptions {
  batchSize: number;
  /** Round each batch's length up to a multiple of this (default 1; CUDA: 64, as training). */
  padToMultipleOf?: number;
}

export interface SplitEvaluation {
  split: EvalSplit;
  /** Named as reported: `eval_accuracy`, `eval_loss`, MNLI mismatched `eval_accuracy_mm`. */
  metrics: Record<string, number>;
  records: Record<string, unknown>[];
}

export function evaluateSplit(model: TrainableModel, tokenizer: Tokenizer, split: EvalSplit,
  settings: EvalSettings): SplitEvaluation {
  const batches = splitBatches(split, settings.batchSize, tokenizer.padTokenId, settings.padToMultipleOf);
  const result = runInference(model, batches, { ...settings, outputs: split.outputs });
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
async function openSavedModel(args: EvalArgs | PredictArgs, hooks: InferenceHooks): Promise<SavedModelSession> {
  checkTaskFlags(args.task, args);
  torch.setNumThreads(computeThreads(args.threads));
  const device = resolveDevice(args.device);
  const precision = resolvePrecision(args.precision, device);
  const head = await readModelHead(args.model);
  checkModelHead(args.task, args.model, head, true);
  checkLabelCount(args.task, args.model, head);
  const tokenizer = await AutoTokenizer.fromPretrained(args.model);
  const model = await loadModelForTask(args.task, args.model, { labels: null, fromScratch: false, device });
  const graphs = createForwardGraphs(args.cudaGraphs, device, precision, (line) => hooks.onWarning?.(line));
  const unpadMinPadding = resolveUnpad(args.unpad, device, graphs !== null).minPadding;
  const settings = {
    device, precision, batchSize: args.evalBatchSize ?? 64, graphs, padToMultipleOf: defaultPadToMultipleOf(device), unpadMinPadding,
  };
  return { model, tokenizer, labels: head.labels, settings };
}

function closeSession(session: SavedModelSession): void {
  session.settings.graphs?.dispose();
  session.model.dispose();
}

/** What a caller may watch while a saved model runs: batches done, and warnings about the input. */
export interface InferenceHooks {
  onBatch?: (done: number, total: number) => void;
  onWarning?: (text: string) => void;
}

/** An inline example that does not fit the task: one text for a pair task, a pair for a single-text task. */
function inlineInputWarnings(args: PredictArgs): string[] {
  const pairs = isSequenceTask(args.task) ? readsTextPairs(args.task) : false;
  if (args.textPair !== undefined && pairs === false) {
    return [`--task ${args.task} reads one text: --text-pair is ${isSequenceTask(args.task) ? 'encoded as a second segment the model was not trained on' : 'ignored'}`];
  }
  if (args.text !== undefined && args.textPair === undefined && pairs === true) {
    return [`--task ${args.task} was trained on sentence pairs: give the second one with --text-pair (predicting from one text)`];
  }
  return [];
}

/** A GLUE or regression model must have the task's number of outputs. */
function checkLabelCount(task: TaskName, model: string, head: ModelHeadInfo): void {
  const expected = headOutputs(task);
  if (expected !== null && head.labels.length !== expected) {
    throw new TrainConfigError(`--model ${model}: its head has ${head.labels.length} outputs (${head.labels.join(', ')}), ` +
      `--task ${task} needs ${expected}`);
  }
}

/** Where and how a saved model ran: every eval/predict output says it. */
export interface InferenceSetup {
  device: ComputeDevice;
  precision: Precision;
}

export interface EvalResult extends InferenceSetup {
  metrics: Record<string, number>;
  /** Where metrics.json and predictions went (only with --output-dir). */
  outputDir: string | null;
}

function isSequenceTask(task: TaskName): task is SequenceTask {
  return (SEQUENCE_TASKS as readonly string[]).includes(task);
}

/** `tunelab eval`: metrics of a saved model on validation data (files, or the task's Hub data set). */
export async function evaluateSavedModel(args: EvalArgs, hooks: InferenceHooks = {}): Promise<EvalResult> {
  const session = await openSavedModel(args, hooks);
  try {
    const data = await prepareTaskData(args.task, session.tokenizer, {
      ...args, maxSeqLength: args.maxSeqLength ?? TASKS[args.task].defaultMaxSeqLength, docStride: args.docStride ?? 128,
      labels: session.labels, withTrain: false, qa: args, mlm: mlmOptions(args),
    });
    if (data.evalSplits.length === 0) throw new TrainConfigError(`--task ${args.task}: needs --validation-file`);
    const evaluations = evaluateAll(session.model, session.tokenizer, data.evalSplits, { ...session.settings, onBatch: hooks.onBatch });
    const metrics = mergedMetrics(evaluations);
    const setup = { device: session.settings.device, precision: session.settings.precision };
    if (!args.outputDir) return { metrics, outputDir: null, ...setup };
    const outputDir = resolve(args.outputDir);
    writePredictions(outputDir, evaluations);
    writeJsonAtomic(resolve(outputDir, METRICS_FILE), metrics);
    return { metrics, outputDir, ...setup };
  } finally {
    closeSession(session);
  }
}

export interface PredictResult extends InferenceSetup {
  /** The JSONL file written; null when the records go to stdout (in `records`): inline --text, no --output, `-`. */
  output: string | null;
  count: number;
  /** The predictions for stdout; empty when they went to a file. */
  records: Record<string, unknown>[];
  /** Scores when the input carried labels, else empty. */
  metrics: Record<string, number>;
}

/**
 * `tunelab predict`: one JSON line per input example (QA: answer text, span and score), or the prediction of one
 * inline example (--text [--text-pair], or --question --context), without an id.
 */
export async function predictWithSavedModel(args: PredictArgs, hooks: InferenceHooks = {}): Promise<PredictResult> {
  checkPredictArgs(args);
  const session = await openSavedModel(args, hooks);
  try {
    const maxSeqLength = args.maxSeqLength ?? TASKS[args.task].defaultMaxSeqLength;
    const docStride = args.docStride ?? 128;
    const inline = args.input === undefined;
    if (inline) for (const warning of inlineInputWarnings(args)) hooks.onWarning?.(warning);
    if (isMaskedLmTask(args.task)) {
      const records = await predictFillMask(session.model, session.tokenizer,
        { text: args.text, file: args.input, textColumn: args.textColumn }, { topK: args.topK, maxSeqLength });
      return writePredictionRecords(args, records, {}, session.settings);
    }
    const split = inline
      ? await prepareTextPrediction(args.task, session.tokenizer,
        { text: args.text, textPair: args.textPair, question: args.question, context: args.context },
        { maxSeqLength, labels: session.labels, docStride, qa: args })
      : await preparePredictionData(args.task, session.tokenizer, args.input!, {
        ...args, maxSeqLength, docStride, labels: session.labels, qa: args,
      });
    const evaluation = evaluateSplit(session.model, session.tokenizer, split, { ...session.settings, onBatch: hooks.onBatch });
    const { metrics } = evaluation;
    const records = inline ? evaluation.records.map(({ id: _id, ...record }) => record) : evaluation.records;
    const scores = split.labeled ? metrics : {};
    return writePredictionRecords(args, records, scores, session.settings);
  } finally {
    closeSession(session);
  }
}

/** Prediction records onto stdout (returned) or into --output. */
function writePredictionRecords(args: PredictArgs, records: Record<string, unknown>[], scores: Record<string, number>,
  settings: EvalSettings): PredictResult {
  const setup = { device: settings.device, precision: settings.precision };
  if (args.output === undefined || args.output === STDOUT_PATH) {
    return { output: null, count: records.length, records, metrics: scores, ...setup };
  }
  const output = isStreamTarget(args.output) ? args.output : resolve(args.output);
  writeJsonLinesAtomic(output, records);
  return { output, count: records.length, records: [], metrics: scores, ...setup };
}
