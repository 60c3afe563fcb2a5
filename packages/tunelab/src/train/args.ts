// The options of `tunelab train | eval | predict`, validated once here with zod. Values come from a YAML/JSON config
// file (`--config`, keys spelled as the flags: `batch-size: 32`) and from flags, which override the file. Unknown
// keys, malformed values and conflicting options fail with one line naming the flag or the file and key.
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { TASK_NAMES } from '../tasks.js';
import { TrainConfigError } from './errors.js';
import { DEVICES, PRECISIONS } from './precision.js';
import { SCHEDULERS } from './schedule.js';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const nonNegative = z.coerce.number().nonnegative();
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
  evalBatchSize: positiveInt.optional(),
  device: z.enum(DEVICES).default('auto'),
  precision: z.enum(PRECISIONS).default('auto'),
  nBestSize: positiveInt.default(20),
  maxAnswerLength: positiveInt.default(30),
  nullScoreDiffThreshold: z.coerce.number().default(0),
  json: z.boolean().default(false),
  threads: positiveInt.optional(),
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
  epochs: z.coerce.number().positive().optional(),
  maxSteps: positiveInt.optional(),
  lr: z.coerce.number().positive().default(5e-5),
  batchSize: positiveInt.default(32),
  gradAccum: positiveInt.default(1),
  warmupRatio: z.coerce.number().min(0).max(1).optional(),
  warmupSteps: nonNegativeInt.optional(),
  scheduler: z.enum(SCHEDULERS).default('linear'),
  weightDecay: nonNegative.default(0.01),
  maxGradNorm: nonNegative.default(1),
  seed: nonNegativeInt.default(42),
  groupByLength: z.boolean().default(true),
  evalEvery: stepsOrEpoch.default('epoch'),
  saveEvery: stepsOrEpoch.default('epoch'),
  logEvery: positiveInt.default(10),
  earlyStoppingPatience: positiveInt.optional(),
  metricForBest: z.string().min(1).optional(),
  fromScratch: z.boolean().default(false),
  ignoreMismatchedSizes: z.boolean().default(false),
  resume: z.union([z.boolean(), z.string().min(1)]).default(false),
  store: z.string().min(1).optional(),
  experiment: z.string().min(1).optional(),
  runName: z.string().min(1).optional(),
  track: z.boolean().default(true),
});
export type TrainArgs = z.infer<typeof TrainArgsSchema>;

export const EvalArgsSchema = z.strictObject({
  ...commonFields,
  validationFile: z.string().min(1).optional(),
  validationMismatchedFile: z.string().min(1).optional(),
  maxEvalSamples: positiveInt.optional(),
  outputDir: z.string().min(1).optional(),
});
export type EvalArgs = z.infer<typeof EvalArgsSchema>;

export const PredictArgsSchema = z.strictObject({
  ...commonFields,
  /** A file of examples in the task's format, or … */
  input: z.string().min(1).optional(),
  /** … one sentence (pair) given inline (sequence-classification tasks). */
  text: z.string().optional(),
  textPair: z.string().optional(),
  /** Where the JSONL goes; inline text prints its prediction instead. */
  output: z.string().min(1).optional(),
});
export type PredictArgs = z.infer<typeof PredictArgsSchema>;

/** `batchSize` → `--batch-size`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function keyFromFlag(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Reads a YAML or JSON config file whose keys are flag names (`batch-size`), into camelCase keys. */
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
  for (const [name, value] of Object.entries(parsed)) {
    const key = keyFromFlag(name);
    if (!knownKeys.includes(key) || name !== flagName(key).slice(2)) {
      throw new TrainConfigError(`${path}: unknown key "${name}" (keys are flag names, e.g. batch-size)`);
    }
    values[key] = value;
  }
  return values;
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
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
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
}

/** Cross-option rules of `predict`. */
export function checkPredictArgs(args: PredictArgs): void {
  if ((args.input === undefined) === (args.text === undefined)) {
    throw new TrainConfigError('give either --input <file> or --text "…" (with --text-pair for pairs)');
  }
  if (args.textPair !== undefined && args.text === undefined) throw new TrainConfigError('--text-pair needs --text');
  if (args.input !== undefined && args.output === undefined) throw new TrainConfigError('--input needs --output <file.jsonl>');
}
