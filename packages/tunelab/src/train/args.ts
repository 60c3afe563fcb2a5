// The options of `tunelab train | eval | predict`, validated once here with zod. Values come from a YAML/JSON config
// file (`--config`, keys spelled as the flags: `batch-size: 32`) and from flags, which override the file. Unknown
// keys, malformed values and conflicting options fail with one line naming the flag or the file and key.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { TASK_NAMES } from '../tasks/index.js';
import { TrainConfigError } from './errors.js';
import { DEVICES, PRECISIONS } from './precision.js';
import { SCHEDULERS } from './schedule.js';
import { CUDA_GRAPH_MODES } from './cuda-graphs.js';
import { UNPAD_MODES } from './unpad.js';

/**
 * A number given as a flag (text: "32", "1e-4") or in a config file (a YAML/JSON number). Anything else is refused
 * by name rather than coerced: `epochs: true` is not 1, `seed: []` is not 0.
 */
const numeric = <S extends z.ZodNumber>(schema: S) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value), schema);
const positiveInt = numeric(z.number().int().positive());
const nonNegativeInt = numeric(z.number().int().nonnegative());
const nonNegative = numeric(z.number().nonnegative());
/** Examples per device per step: above this it is a typo (1e9), not a batch any device holds. */
export const MAX_BATCH_SIZE = 65_536;
const batchSize = numeric(z.number().int().positive().max(MAX_BATCH_SIZE, `must be at most ${MAX_BATCH_SIZE} examples per device`));
const stepsOrEpoch = z.union([z.literal('epoch'), positiveInt]);

/** Options shared by train, eval and predict: what the model reads and how it runs. */
const commonFields = {
  model: z.string().min(1),
  task: z.enum(TASK_NAMES),
  textColumn: z.string().min(1).optional(),
  textPairColumn: z.string().min(1).optional(),
  labelColumn: z.string().min(1).optional(),
  maxSeqLength: positiveInt.optional(),
  docStride: positiveInt.optional(),
  evalBatchSize: batchSize.optional(),
  device: z.enum(DEVICES).default('auto'),
  precision: z.enum(PRECISIONS).default('auto'),
  nBestSize: positiveInt.default(20),
  maxAnswerLength: positiveInt.default(30),
  nullScoreDiffThreshold: numeric(z.number()).default(0),
  json: z.boolean().default(false),
  threads: positiveInt.optional(),
  mlmProbability: numeric(z.number().gt(0).lt(1)).optional(),
  wholeWordMasking: z.boolean().optional(),
  lineByLine: z.boolean().optional(),
  datasetName: z.string().min(1).optional(),
  datasetConfigName: z.string().min(1).optional(),
  cudaGraphs: z.enum(CUDA_GRAPH_MODES).default('auto'),
  /** Run batches on their real tokens only (train/unpad.ts): auto = CPU batches with ≥ 25 % padding. */
  unpad: z.enum(UNPAD_MODES).default('auto'),
};

export const TrainArgsSchema = z.strictObject({
  ...commonFields,
  outputDir: z.string().min(1),
  trainFile: z.string().min(1).optional(),
  validationFile: z.string().min(1).optional(),
  validationMismatchedFile: z.string().min(1).optional(),
  testFile: z.string().min(1).optional(),
  maxTrainSamples: positiveInt.optional(),
  maxEvalSamples: positiveInt.optional(),
  epochs: numeric(z.number().positive()).optional(),
  maxSteps: positiveInt.optional(),
  lr: numeric(z.number().positive()).default(5e-5),
  batchSize: batchSize.default(32),
  gradAccum: positiveInt.default(1),
  warmupRatio: numeric(z.number().min(0).max(1)).optional(),
  warmupSteps: nonNegativeInt.optional(),
  scheduler: z.enum(SCHEDULERS).default('linear'),
  weightDecay: nonNegative.default(0.01),
  maxGradNorm: nonNegative.default(1),
  seed: nonNegativeInt.default(42),
  groupByLength: z.boolean().default(true),
  /** Round each batch's length up to a multiple of this (HF's pad_to_multiple_of); default: 64 on CUDA, off on CPU. */
  padToMultipleOf: positiveInt.optional(),
  /** Print and store where the training time went (train/profile.ts). */
  profile: z.boolean().default(false),
  evalEvery: stepsOrEpoch.default('epoch'),
  /** Checkpoint every n steps or `epoch`; 0 = no checkpoints. Absent: per --save-strategy (default each epoch). */
  saveEvery: z.union([z.literal('epoch'), nonNegativeInt]).optional(),
  /** HF's save_strategy: `steps` checkpoints every --save-every steps (default 500, as HF's save_steps). */
  saveStrategy: z.enum(['no', 'steps', 'epoch']).optional(),
  /** HF's save_total_limit: keep only the newest n checkpoints. */
  saveTotalLimit: positiveInt.optional(),
  /** HF's load_best_model_at_end: the final model is the best evaluation's (default off: the last weights). */
  loadBestModelAtEnd: z.boolean().default(false),
  logEvery: positiveInt.default(10),
  earlyStoppingPatience: positiveInt.optional(),
  metricForBest: z.string().min(1).optional(),
  fromScratch: z.boolean().default(false),
  ignoreMismatchedSizes: z.boolean().default(false),
  resume: z.union([z.boolean(), z.string().min(1)]).default(false),
  /** HF's overwrite_output_dir: start afresh in an --output-dir holding another run's checkpoints (deleted). */
  overwriteOutputDir: z.boolean().default(false),
  store: z.string().min(1).optional(),
  experiment: z.string().min(1).optional(),
  runName: z.string().min(1).optional(),
  track: z.boolean().default(true),
});
export type TrainArgs = z.infer<typeof TrainArgsSchema>;

/** Inference defaults to fp32, as transformers does; `--precision bf16` (or auto) is the faster opt-in. */
const inferencePrecision = z.enum(PRECISIONS).default('fp32');

export const EvalArgsSchema = z.strictObject({
  ...commonFields,
  precision: inferencePrecision,
  validationFile: z.string().min(1).optional(),
  validationMismatchedFile: z.string().min(1).optional(),
  maxEvalSamples: positiveInt.optional(),
  outputDir: z.string().min(1).optional(),
});
export type EvalArgs = z.infer<typeof EvalArgsSchema>;

export const PredictArgsSchema = z.strictObject({
  ...commonFields,
  precision: inferencePrecision,
  /** A file of examples in the task's format, or … */
  input: z.string().min(1).optional(),
  /** … one example given inline: a sentence (pair) to classify, the words of a sentence to tag (NER), … */
  text: z.string().optional(),
  textPair: z.string().optional(),
  /** … or a question and the context to answer it from (question answering). */
  question: z.string().optional(),
  context: z.string().optional(),
  /** fill-mask: candidates per mask (HF pipeline's top_k). */
  topK: positiveInt.default(5),
  /** Where the JSONL goes: a file (written atomically), a device or FIFO, or `-`/none for stdout. */
  output: z.string().min(1).optional(),
});
export type PredictArgs = z.infer<typeof PredictArgsSchema>;

/** `batchSize` → `--batch-size`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Hugging Face's names (TrainingArguments, run_glue/run_qa) of the options whose flag is spelled otherwise. Every
 * other option's HF name is its flag in snake_case (`weight_decay`, `warmup_ratio`, `max_seq_length`).
 */
const HF_NAMES: Readonly<Record<string, string>> = {
  lr: 'learning_rate',
  batchSize: 'per_device_train_batch_size',
  evalBatchSize: 'per_device_eval_batch_size',
  epochs: 'num_train_epochs',
  gradAccum: 'gradient_accumulation_steps',
  scheduler: 'lr_scheduler_type',
  logEvery: 'logging_steps',
  metricForBest: 'metric_for_best_model',
  model: 'model_name_or_path',
  resume: 'resume_from_checkpoint',
};

/**
 * The one name an option is stored under (run params, sweep trial params, `runs compare`, the dashboard): its HF
 * name. `lr` → `learning_rate`, `batchSize` → `per_device_train_batch_size`, `weightDecay` → `weight_decay`.
 */
export function storedName(key: string): string {
  return HF_NAMES[key] ?? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Other spellings a flag or config key may take for option `key`: its HF name with underscores and with dashes
 * (`--learning_rate`, `--learning-rate`, `--weight_decay`). The flag itself is not among them.
 */
export function aliasNames(key: string): string[] {
  const flag = flagName(key).slice(2);
  const stored = storedName(key);
  return [...new Set([stored, stored.replace(/_/g, '-')])].filter((name) => name !== flag);
}

/** The option key a name denotes (flag name `batch-size`, HF name `per_device_train_batch_size`, …), or null. */
export function keyOfName(name: string, knownKeys: readonly string[]): string | null {
  return knownKeys.find((key) => flagName(key).slice(2) === name || aliasNames(key).includes(name)) ?? null;
}

/** The closest of `candidates` to `name` when it is a plausible typo (optimal string alignment distance). */
export function closestName(name: string, candidates: readonly string[]): string | null {
  let best: { candidate: string; distance: number } | null = null;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance <= Math.max(2, Math.floor(candidate.length / 3)) && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate ?? null;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** " (did you mean batch-size?)" for a mistyped option name, else "". */
function didYouMean(name: string, knownKeys: readonly string[]): string {
  const flagNames = knownKeys.map((key) => flagName(key).slice(2));
  const closest = closestName(name, flagNames) ?? closestName(name, knownKeys.flatMap(aliasNames));
  return closest ? ` (did you mean ${closest}?)` : '';
}

/**
 * Reads a YAML or JSON config file whose keys are flag names (`batch-size`) or HF names (`per_device_train_batch_size`),
 * into camelCase keys. Relative paths in it are made relative to the file, not to the working directory.
 */
export function readConfigFile(path: string, knownKeys: readonly string[]): Record<string, unknown> {
  if (!existsSync(path)) throw new TrainConfigError(`${path}: config file not found`);
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = extname(path) === '.json' ? JSON.parse(text) : YAML.parse(text, { prettyErrors: false });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new TrainConfigError(`${path}: invalid ${extname(path) === '.json' ? 'JSON' : 'YAML'} (${message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TrainConfigError(`${path}: expected a mapping of option names to values`);
  }
  const values: Record<string, unknown> = {};
  const namesOf: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    const key = keyOfName(name, knownKeys);
    if (key === null) {
      const hint = didYouMean(name, knownKeys) || ' (keys are flag names, e.g. batch-size)';
      throw new TrainConfigError(`${path}: unknown key "${name}"${hint}`);
    }
    if (key in values) throw new TrainConfigError(`${path}: "${namesOf[key]}" and "${name}" are the same option: give one`);
    namesOf[key] = name;
    values[key] = PATH_KEYS.includes(key) && typeof value === 'string' ? resolveFrom(dirname(resolve(path)), key, value) : value;
  }
  return values;
}

/** Options naming files or folders: in a config file they are relative to the file, as sweep specs' paths are. */
const PATH_KEYS: readonly string[] = [
  'model', 'trainFile', 'validationFile', 'validationMismatchedFile', 'testFile', 'outputDir', 'resume', 'input', 'output',
];

function resolveFrom(dir: string, key: string, value: string): string {
  if (isAbsolute(value) || value === '-') return value;
  const candidate = resolve(dir, value);
  // `model: bert-base-uncased` (or `org/name`) is a Hub id unless such a folder is next to the config file.
  if (key === 'model') return existsSync(candidate) ? candidate : value;
  return candidate;
}

/**
 * Validates `flags` (only those given on the command line) over the config file's values, with schema defaults.
 * Errors name the flag (`--lr: …`) or the file and key (`f.yaml: lr: …`).
 */
export function parseArgs<S extends z.ZodObject>(
  schema: S, flags: Record<string, unknown>, configPath?: string,
): z.infer<S> {
  const fromFile = configPath ? readConfigFile(configPath, Object.keys(schema.shape)) : {};
  const merged = { ...fromFile, ...flags };
  const result = schema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0] ?? (issue.code === 'unrecognized_keys' ? issue.keys[0] : ''));
    const where = key in flags || !configPath ? flagName(key) : `${configPath}: ${flagName(key).slice(2)}`;
    const given = key in merged ? ` (got ${JSON.stringify(merged[key])})` : '';
    throw new TrainConfigError(`${where}: ${describeIssue(issue)}${given}`);
  }
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return 'is required';
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'invalid_union') return 'must be "epoch" or a positive integer';
  return issue.message.replace(/^Invalid input: /, '');
}

/** Cross-option rules of `train` (each names both options). */
export function checkTrainArgs(args: TrainArgs): void {
  const conflicts: [boolean, string][] = [
    [args.warmupRatio !== undefined && args.warmupSteps !== undefined,
      '--warmup-ratio and --warmup-steps conflict: give one'],
    [args.epochs !== undefined && args.maxSteps !== undefined,
      '--epochs and --max-steps conflict: give one'],
    [args.precision === 'fp16' && args.device === 'cpu',
      '--precision fp16 needs --device cuda (CPU autocast is bf16 only; use --precision bf16)'],
  ];
  for (const [conflict, message] of conflicts) if (conflict) throw new TrainConfigError(message);
  checkpointEvery(args);
}

/** HF's default save_steps, for `--save-strategy steps` without `--save-every`. */
export const DEFAULT_SAVE_STEPS = 500;

/**
 * When checkpoints are written: every n steps, each epoch, or never (null). `--save-strategy` (HF's) and
 * `--save-every` (n, `epoch`, or 0 for none) must agree when both are given.
 */
export function checkpointEvery(args: Pick<TrainArgs, 'saveStrategy' | 'saveEvery'>): number | 'epoch' | null {
  const { saveStrategy: strategy, saveEvery: every } = args;
  const implied = every === undefined ? undefined : every === 'epoch' ? 'epoch' : every === 0 ? 'no' : 'steps';
  if (strategy !== undefined && implied !== undefined && strategy !== implied) {
    throw new TrainConfigError(`--save-strategy ${strategy} and --save-every ${every} conflict: give one`);
  }
  switch (strategy ?? implied ?? 'epoch') {
    case 'no': return null;
    case 'epoch': return 'epoch';
    default: return typeof every === 'number' ? every : DEFAULT_SAVE_STEPS;
  }
}

/** Cross-option rules of `predict`. */
export function checkPredictArgs(args: PredictArgs): void {
  const inputs = [args.input, args.text, args.question ?? args.context].filter((given) => given !== undefined);
  if (inputs.length !== 1) {
    throw new TrainConfigError('give one of --input <file>, --text "…" (with --text-pair for pairs), or --question "…" --context "…"');
  }
  if (args.textPair !== undefined && args.text === undefined) throw new TrainConfigError('--text-pair needs --text');
  if ((args.question === undefined) !== (args.context === undefined)) throw new TrainConfigError('--question and --context go together');
}
