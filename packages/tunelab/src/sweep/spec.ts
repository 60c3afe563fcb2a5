// The sweep spec: YAML or JSON in the shape of Azure ML sweep jobs, validated here with zod. Errors are one line
// naming file:line, the key path and why ("mrpc.yml:6: search_space.lr.min_value: must be a finite number").
// Spec files are read by spec-file.ts, which adds the checks of `trial.train` against tunelab train's flags; this
// module stays free of the trainer, so the dashboard server can read stored specs without loading it.
import { z } from 'zod';
import { distributionSchema, gridPoints, type SearchSpace } from './space.js';
import { InputError } from '../errors.js';

export class SpecError extends InputError {
  override name = 'SpecError';
  constructor(readonly file: string, readonly line: number | null, readonly path: string, readonly reason: string) {
    super(`${file}${line === null ? '' : `:${line}`}: ${path === '' ? '' : `${path}: `}${reason}`);
  }
}

const positiveInt = z.number().int().positive();
const seconds = z.number().positive();
const interval = { evaluation_interval: positiveInt.default(1), delay_evaluation: z.number().int().nonnegative().default(0) };

const banditSchema = z.strictObject({
  type: z.literal('bandit'),
  slack_factor: z.number().positive().optional(),
  slack_amount: z.number().positive().optional(),
  ...interval,
}).refine((b) => (b.slack_factor === undefined) !== (b.slack_amount === undefined), {
  message: 'give exactly one of slack_factor and slack_amount',
});

export const earlyTerminationSchema = z.discriminatedUnion('type', [
  banditSchema,
  z.strictObject({ type: z.literal('median_stopping'), ...interval }),
  z.strictObject({
    type: z.literal('truncation_selection'),
    truncation_percentage: z.number().int().min(1).max(99),
    exclude_finished_jobs: z.boolean().default(false),
    ...interval,
  }),
  z.strictObject({
    type: z.literal('asha'),
    grace_period: positiveInt.default(1),
    reduction_factor: z.number().int().min(2).default(3),
    max_t: positiveInt.optional(),
  }),
], { error: () => 'type must be one of bandit, median_stopping, truncation_selection, asha' });

export type EarlyTermination = z.output<typeof earlyTerminationSchema>;

const samplingSchema = z.union([
  z.enum(['random', 'grid', 'bayesian']).transform((type) => ({ type })),
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('random'), rule: z.enum(['random', 'sobol']).default('random'), seed: z.number().int().optional() }),
    z.strictObject({ type: z.literal('grid') }),
    z.strictObject({ type: z.literal('bayesian'), seed: z.number().int().optional() }),
  ]),
], { error: () => 'expected random | grid | bayesian, or { type: random, rule: random|sobol, seed } | { type: grid } | { type: bayesian, seed }' })
  .transform((s): SamplingAlgorithm => {
    if (s.type === 'grid') return { type: 'grid' };
    if (s.type === 'bayesian') return { type: 'bayesian', seed: 'seed' in s ? s.seed : undefined };
    return { type: 'random', rule: 'rule' in s ? s.rule : 'random', seed: 'seed' in s ? s.seed : undefined };
  });

export type SamplingAlgorithm =
  | { type: 'random'; rule: 'random' | 'sobol'; seed?: number }
  | { type: 'grid' }
  | { type: 'bayesian'; seed?: number };

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Azure ML's PyTorch distribution of a command job: each trial runs this many processes (one per GPU). */
const trialDistributionSchema = z.strictObject({
  type: z.literal('pytorch', { error: () => 'type must be pytorch (the only distribution tunelab runs)' }),
  process_count_per_instance: positiveInt.default(1),
});

const specSchema = z.strictObject({
  $schema: z.string().optional(),
  type: z.literal('sweep').optional(),
  name: z.string().min(1).optional(),
  experiment_name: z.string().min(1).optional(),
  description: z.string().optional(),
  trial: z.strictObject({
    /** Any program; absent: `tunelab train` with `train`'s flags (train-trial.ts). */
    command: z.string().min(1).optional(),
    /** Fixed `tunelab train` flags by flag name (model, task, from-scratch, train-file, …). */
    train: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** Extra environment for every trial. */
    env: z.record(z.string(), z.string()).optional(),
    /** Folder the command runs in, relative to the spec file (default: the spec file's folder). */
    code: z.string().min(1).optional(),
    /** Processes per trial (absent: one); with GPUs the trial holds one GPU per process. */
    distribution: trialDistributionSchema.optional(),
  }),
  search_space: z.record(z.string().regex(PARAM_NAME, 'parameter names are letters, digits and _'), distributionSchema)
    .refine((space) => Object.keys(space).length > 0, 'needs at least one parameter'),
  sampling_algorithm: samplingSchema.default({ type: 'random', rule: 'random' }),
  objective: z.strictObject({ primary_metric: z.string().min(1), goal: z.enum(['minimize', 'maximize']) }),
  early_termination: earlyTerminationSchema.optional(),
  limits: z.strictObject({
    max_total_trials: positiveInt.default(1000),
    max_concurrent_trials: positiveInt.optional(),
    /** Whole-sweep timeout, seconds. */
    timeout: seconds.optional(),
    /** Per-trial timeout, seconds. */
    trial_timeout: seconds.optional(),
    /** Re-queues of a trial whose worker died (beyond Azure). */
    max_retries: z.number().int().nonnegative().default(2),
    /** Seconds without heartbeat after which a running trial's worker counts as dead (beyond Azure). */
    heartbeat_grace: seconds.default(60),
  }).default({ max_total_trials: 1000, max_retries: 2, heartbeat_grace: 60 }),
});

export type ParsedSpec = z.output<typeof specSchema>;

/** Throws the SpecError for `path` (file:line when known). */
export type SpecFail = (path: PropertyKey[], reason: string) => never;

/** A validated spec with defaults filled (limits.max_concurrent_trials, grid-bounded max_total_trials). */
export interface SweepSpec extends Omit<ParsedSpec, 'name' | 'limits' | '$schema' | 'type'> {
  name: string;
  search_space: SearchSpace;
  limits: ParsedSpec['limits'] & { max_concurrent_trials: number };
}

const DEFAULT_CONCURRENCY = 4;
const PLACEHOLDER = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const TRIAL_PLACEHOLDERS = ['trial.output_dir', 'trial.id', 'trial.number', 'trial.run_id', 'trial.process_count', 'sweep.id', 'sweep.name'];

/** Validates an already-parsed spec (as stored with a sweep). */
export function specFromJson(json: unknown, where: string): SweepSpec {
  return validateSpec(json, where, () => null, 'sweep');
}

/** The spec stored with a sweep, validated again: the one way code that loads a sweep reads its spec. */
export function sweepSpecOf(sweep: { id: string; spec: unknown }): SweepSpec {
  return specFromJson(sweep.spec, `sweep ${sweep.id}`);
}

/**
 * Validates a parsed spec; `file` names it in errors, `lineOf` finds a key's line, `checkMore` adds checks that
 * need more than the schema (spec-file.ts: trial.train against tunelab train's flags).
 */
export function validateSpec(json: unknown, file: string, lineOf: (path: PropertyKey[]) => number | null, defaultName: string,
  checkMore: (spec: ParsedSpec, fail: SpecFail) => void = () => {}): SweepSpec {
  const parsed = specSchema.safeParse(json ?? {}, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required key is missing' : undefined),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let path = issue.path;
    let reason = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...path, issue.keys[0]];
      reason = 'unknown key';
    } else if (issue.code === 'invalid_key') {
      reason = issue.issues[0]?.message ?? reason; // the key's own check, e.g. the parameter-name pattern
    }
    throw new SpecError(file, lineOf(path), path.join('.'), reason);
  }
  const raw = parsed.data;
  const fail: SpecFail = (path, reason) => { throw new SpecError(file, lineOf(path), path.join('.'), reason); };
  checkSamplerSupport(raw, fail);
  checkTrial(raw, fail);
  checkPlaceholders(raw, fail);
  checkMore(raw, fail);
  const { $schema: _schema, type: _type, ...rest } = raw;
  let maxTotal = raw.limits.max_total_trials;
  if (raw.sampling_algorithm.type === 'grid') maxTotal = Math.min(maxTotal, gridPoints(raw.search_space).length);
  return {
    ...rest,
    name: raw.name ?? defaultName,
    limits: {
      ...raw.limits,
      max_total_trials: maxTotal,
      max_concurrent_trials: Math.min(raw.limits.max_concurrent_trials ?? DEFAULT_CONCURRENCY, maxTotal),
    },
  };
}

/** Grid takes choice only; bayesian takes choice/uniform/quniform and no early termination (as Azure ML). */
function checkSamplerSupport(spec: ParsedSpec, fail: SpecFail): void {
  const sampler = spec.sampling_algorithm.type;
  const allowed = sampler === 'grid' ? ['choice'] : sampler === 'bayesian' ? ['choice', 'uniform', 'quniform'] : undefined;
  if (allowed) {
    for (const [name, dist] of Object.entries(spec.search_space)) {
      if (!allowed.includes(dist.type)) fail(['search_space', name, 'type'], `${sampler} sampling supports ${allowed.join(', ')}, not ${dist.type}`);
    }
  }
  if (sampler === 'bayesian' && spec.early_termination) fail(['early_termination'], 'bayesian sampling does not allow early termination (as in Azure ML)');
  if (spec.sampling_algorithm.type === 'random' && spec.sampling_algorithm.rule === 'sobol' && Object.keys(spec.search_space).length > 32) {
    fail(['sampling_algorithm', 'rule'], 'sobol supports at most 32 parameters');
  }
}

/** A trial is a command or `tunelab train` (its flags are checked by spec-file.ts, which knows train's). */
function checkTrial(spec: ParsedSpec, fail: SpecFail): void {
  const { command, train } = spec.trial;
  if ((command === undefined) === (train === undefined)) {
    fail(['trial'], 'give exactly one of command (any program) and train (tunelab train flags, e.g. { model: …, task: … })');
  }
  if (train === undefined) return;
  for (const required of ['model', 'task']) if (!(required in train)) fail(['trial', 'train'], `needs ${required}`);
}

function checkPlaceholders(spec: ParsedSpec, fail: SpecFail): void {
  for (const match of (spec.trial.command ?? '').matchAll(PLACEHOLDER)) {
    const key = match[1];
    if (TRIAL_PLACEHOLDERS.includes(key)) continue;
    const param = /^search_space\.(.+)$/.exec(key)?.[1];
    if (param !== undefined && param in spec.search_space) continue;
    const known = [...Object.keys(spec.search_space).map((p) => `search_space.${p}`), ...TRIAL_PLACEHOLDERS];
    fail(['trial', 'command'], `unknown placeholder \${{${key}}} (known: ${known.join(', ')})`);
  }
}

/** How many processes each trial runs (trial.distribution.process_count_per_instance; 1 without distribution). */
export function processesPerTrial(spec: Pick<ParsedSpec, 'trial'>): number {
  return spec.trial.distribution?.process_count_per_instance ?? 1;
}

/** Fills seeds left out of the spec, so a resumed sweep draws the same values. */
export function withSeed(spec: SweepSpec, seed: number): SweepSpec {
  const sampling = spec.sampling_algorithm;
  if (sampling.type === 'grid' || sampling.seed !== undefined) return spec;
  return { ...spec, sampling_algorithm: { ...sampling, seed } };
}
