// `--task` → what fine-tuning needs: the head (Auto class), where the data comes from (files or a Hub data set), how
// it is read and tokenized, and how predictions are scored and written. The trainer knows none of this: it calls the
// functions below, which dispatch to the task's family (registry.ts).
import { closeSync, openSync, readSync } from 'node:fs';
import { DataError } from '../data/errors.js';
import { ModelFileNotFoundError } from '../models/errors.js';
import { AutoConfig } from '../models/auto.js';
import { logging } from '../models/logging.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { TaskConfigError } from './errors.js';
import { glueTasksOfHeader } from './sequence.js';
import { TASKS, TASK_NAMES, familyOf, familyOfHead, headOfArchitecture, isTaskName, type TaskName } from './registry.js';
import type { DataOptions, EvalSplit, ModelHeadInfo, TaskData, TaskFlags, TaskLabels, TextInput, TextInputOptions } from './types.js';

export { TASKS, TASK_NAMES, familyOf, headOfArchitecture, isTaskName, type TaskName };
export { TaskConfigError } from './errors.js';
export { splitBatches } from './shared.js';
export type {
  BatchOutputs, DataOptions, EvalSplit, HeadKind, HostArray, InferenceResult, ModelHeadInfo, QaScoring, TaskData,
  TaskFamily, TaskLabels, TaskSpec,
} from './types.js';

/** Metrics where smaller is better; every other metric is maximised. */
export function greaterIsBetter(metric: string): boolean {
  return !/(^|_)(loss|mse|perplexity)$/.test(metric);
}

export async function prepareTaskData(task: TaskName, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  return familyOf(task).prepare(task, tokenizer, options);
}

/** Input files of a prediction run: one split named 'predict', scored only if it carries labels. */
export async function preparePredictionData(task: TaskName, tokenizer: Tokenizer, file: string,
  options: Omit<DataOptions, 'validationFile' | 'trainFile' | 'testFile' | 'withTrain'>): Promise<EvalSplit> {
  const data = await prepareTaskData(task, tokenizer, { ...options, testFile: file, withTrain: false });
  return { ...data.testSplit!, name: 'predict' };
}

/** One example given inline (`tunelab predict --text … [--text-pair …]`, or `--question … --context …`). */
export async function prepareTextPrediction(task: TaskName, tokenizer: Tokenizer, input: TextInput,
  options: TextInputOptions): Promise<EvalSplit> {
  const family = familyOf(task);
  if (!family.prepareText) {
    throw new TaskConfigError(`--task ${task} reads its examples from --input, not inline text`);
  }
  return family.prepareText(task, tokenizer, input, options);
}

/** Outputs a head for the task must have (GLUE's classes; 1 for regression); null when the data decides. */
export function headOutputs(task: TaskName): number | null {
  return familyOf(task).headOutputs(task);
}

export async function readModelHead(model: string): Promise<ModelHeadInfo> {
  const config = await AutoConfig.fromPretrained(model);
  const architecture = config.architectures?.[0];
  const labels = Object.keys(config.id2label).map(Number).sort((a, b) => a - b).map((id) => config.id2label[id]);
  const task = config.extra.finetuning_task;
  return {
    architecture, head: headOfArchitecture(architecture), labels, problemType: config.problem_type ?? null,
    task: typeof task === 'string' ? task : null,
  };
}

/**
 * The task a fine-tuned model folder does (for `tunelab predict` / `eval` without --task): the one it was trained
 * for (config.json `finetuning_task`, which tunelab writes), else the generic task of its head (classification or
 * regression, squad_v2 for QA since it may answer "", ner).
 */
export async function taskOfSavedModel(model: string, dataFile?: string): Promise<TaskName> {
  const info = await readModelHead(model);
  const saved = savedTaskName(info.task);
  if (saved && familyOf(saved).head === info.head) return saved;
  // A model that does not say (a Hub model): a GLUE TSV names its task by its header.
  if (info.head === 'sequence-classification' && dataFile !== undefined && /\.tsv$/i.test(dataFile)) {
    const tasks = glueTasksOfHeader(firstLine(dataFile).split('\t'));
    if (tasks.length === 1) return tasks[0];
  }
  const family = info.head ? familyOfHead(info.head) : undefined;
  if (family) return family.defaultTask(info);
  throw new TaskConfigError(`--model ${model}: has no task head (architectures: ${info.architecture ?? 'none'}); ` +
    'give --task, or fine-tune it first with tunelab train');
}

/**
 * `--task` of predict/eval as given (undefined: the model's own), resolved to a task name: `fill-mask` (HF's pipeline
 * name) is the masked-LM task of the model's head (mlm, or pretraining for a BertForPreTraining folder).
 */
export async function predictionTask(task: string | undefined, model: string, dataFile?: string): Promise<string> {
  if (task === undefined) return taskOfSavedModel(model, dataFile);
  if (task !== 'fill-mask') return task;
  return (await readModelHead(model)).head === 'pretraining' ? 'pretraining' : 'mlm';
}

/** Masked-LM tasks (mlm, pretraining): their predictions are fill-mask candidates, their data is masked text. */
export function isMaskedLmTask(task: TaskName): boolean {
  const head = familyOf(task).head;
  return head === 'masked-lm' || head === 'pretraining';
}

/**
 * The GLUE task of a TSV file, recognised by its header (train/dev or the unlabeled test file), for a command
 * without --task; null for a file that is not TSV. A TSV that is no GLUE task's, or several tasks' (RTE and WNLI
 * share theirs), is an error that says so.
 */
export function taskOfDataFile(file: string): TaskName | null {
  if (!/\.tsv$/i.test(file)) return null;
  const columns = firstLine(file).split('\t');
  const tasks = glueTasksOfHeader(columns);
  if (tasks.length === 1) return tasks[0];
  const header = columns.slice(0, 4).join(' | ');
  throw new TaskConfigError(tasks.length === 0
    ? `--task is required: ${file} is not a GLUE TSV recognised by its header ("${header}"); give --task`
    : `--task is required: the header of ${file} ("${header}") fits ${tasks.join(' and ')}; give --task`);
}

function firstLine(file: string): string {
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const bytes = Buffer.alloc(65536);
      text = bytes.subarray(0, readSync(fd, bytes, 0, bytes.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new DataError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read (${(err as Error).message})`);
  }
  return text.replace(/^\uFEFF/, '').split('\n')[0].replace(/\r$/, '');
}

/** Our task names, and run_glue's bare GLUE names (`mrpc`). */
function savedTaskName(task: string | null): TaskName | null {
  if (task === null) return null;
  if (isTaskName(task)) return task;
  return isTaskName(`glue/${task}`) ? `glue/${task}` as TaskName : null;
}

/**
 * With `requireHead` (eval, predict) the model must already have the task's head. Training takes any checkpoint of
 * the architecture, as transformers does: the body is loaded, the task's head is new (and reported when loading).
 */
export function checkModelHead(task: TaskName, model: string, info: ModelHeadInfo, requireHead: boolean): void {
  const needed = familyOf(task).head;
  if (requireHead && info.head !== needed) {
    throw new TaskConfigError(info.head === null
      ? `--model ${model}: has no ${needed} head (architectures: ${info.architecture ?? 'none'}); fine-tune it first with tunelab train`
      : `--model ${model}: a ${info.architecture} (config.json architectures) cannot do --task ${task}, which needs a ${needed} head`);
  }
}

export interface LoadModelOptions {
  /** Labels of the head to build (training); eval/predict keep the model's own. */
  labels: TaskLabels | null;
  fromScratch: boolean;
  device: 'cpu' | 'cuda';
  ignoreMismatchedSizes?: boolean;
  /** What config.json says about the model (readModelHead): a head with other labels is re-initialised. */
  head?: ModelHeadInfo;
}

/**
 * The model of `task` from a folder or Hub id, whatever head it was saved with. For training (labels given) the
 * task is recorded in config.json (`finetuning_task`), and a head of the same kind with other labels is
 * re-initialised with a warning, as transformers' ignore_mismatched_sizes does.
 */
export async function loadModelForTask(task: TaskName, model: string, options: LoadModelOptions): Promise<PreTrainedModel> {
  const family = familyOf(task);
  const labelOverrides = family.fixedNumLabels !== undefined ? { numLabels: family.fixedNumLabels }
    : options.labels && family.labeledHead ? headLabels(options.labels) : {};
  const training = !options.fromScratch && options.labels !== null && options.head !== undefined;
  // Same head, other labels: re-initialised below. Another head: what shares its name and shape is kept, the rest is
  // new (transformers with ignore_mismatched_sizes).
  const relabelled = training && family.labeledHead && options.head!.head === family.head && !sameLabels(options.head!, options.labels!);
  const otherHead = training && options.head!.head !== null && options.head!.head !== family.head;
  let loaded: PreTrainedModel;
  try {
    loaded = await family.autoModel.fromPretrained(model, {
      device: options.device, fromScratch: options.fromScratch,
      ignoreMismatchedSizes: options.ignoreMismatchedSizes || relabelled || otherHead, ...labelOverrides,
    });
  } catch (err) {
    // config.json was read before (readModelHead), so what is missing is the weights.
    if (err instanceof ModelFileNotFoundError) {
      throw new TaskConfigError(`--model ${model}: no weights (model.safetensors or pytorch_model.bin); ` +
        'pass --from-scratch to train from its config.json alone');
    }
    throw err;
  }
  if (relabelled) {
    resetHead(loaded);
    logging.warn(`--model ${model}: its ${family.head} head has labels [${options.head!.labels.join(', ')}], --task ${task} ` +
      `[${options.labels!.names.join(', ')}]: the head is newly initialised (as transformers' ignore_mismatched_sizes)`);
  }
  if (options.labels !== null) loaded.config.extra.finetuning_task = task;
  return loaded;
}

function sameLabels(info: ModelHeadInfo, labels: TaskLabels): boolean {
  if (labels.problemType === 'regression') return info.labels.length === 1;
  return info.labels.length === labels.names.length && info.labels.every((name, i) => name === labels.names[i]);
}

/** Fresh weights for every module outside the base model (the task head). */
function resetHead(model: PreTrainedModel): void {
  const prefix = model.baseModelPrefix;
  for (const [name, module] of model.namedModules().reverse()) {
    if (name !== '' && name !== prefix && !name.startsWith(`${prefix}.`)) module.resetParameters(model.config.initializer_range);
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
    throw new TaskConfigError(`--metric-for-best ${flag}: --task ${task} reports ${known.join(', ')}`);
  }
  return { name: `eval_${metric}`, greaterIsBetter: greaterIsBetter(metric) };
}

const FLAG_NAMES: Record<keyof TaskFlags, string> = {
  textColumn: '--text-column', textPairColumn: '--text-pair-column', labelColumn: '--label-column',
  docStride: '--doc-stride', validationMismatchedFile: '--validation-mismatched-file',
  mlmProbability: '--mlm-probability', wholeWordMasking: '--whole-word-masking', lineByLine: '--line-by-line',
  datasetName: '--dataset-name', datasetConfigName: '--dataset-config-name',
};
const COLUMN_FLAGS: readonly (keyof TaskFlags)[] = ['textColumn', 'textPairColumn', 'labelColumn'];

/** Flags that only some tasks read; giving one to another task is a mistake worth naming. */
export function checkTaskFlags(task: TaskName, flags: TaskFlags): void {
  for (const key of Object.keys(FLAG_NAMES) as (keyof TaskFlags)[]) {
    if (flags[key] === undefined || familyOf(task).acceptsFlag(task, key)) continue;
    const readers = TASK_NAMES.filter((name) => familyOf(name).acceptsFlag(name, key));
    const list = readers.length > 1 ? `${readers.slice(0, -1).join(', ')} or ${readers.at(-1)}` : readers[0];
    throw new TaskConfigError(`${FLAG_NAMES[key]} is for --task ${list}` +
      (COLUMN_FLAGS.includes(key) && familyOf(task).head !== 'masked-lm' ? ` (the ${task} files have fixed columns)` : `, not ${task}`));
  }
}
