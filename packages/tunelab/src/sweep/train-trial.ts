// The default trial: `tunelab train`. A spec without `trial.command` gives `trial.train` — the fixed flags, keyed by
// flag name as in a `--config` file (`model`, `task`, `from-scratch`, `train-file`, …) — and every search-space
// parameter becomes the flag of the same name (`lr` → `--lr`, `batch_size` → `--batch-size`). The trial writes into
// its own output folder and reports into the run the sweep created (TUNELAB_RUN_ID / TUNELAB_STORE: train/tracking.ts
// attaches with RunClient.fromEnv), each evaluation as `eval_<metric>`, training loss as `train_loss`. With
// `trial.distribution.process_count_per_instance: N` > 1 the command gets `--nproc-per-node N`: train's own launcher
// starts N data-parallel ranks (one per GPU of the trial's CUDA_VISIBLE_DEVICES, see distributed/train-ranks.ts).
import { fileURLToPath } from 'node:url';
import { TrainArgsSchema, aliasNames, closestName, flagName, keyOfName, storedName } from '../train/args.js';
import type { ParamValue } from '../track/store.js';
import { shellQuote } from './command.js';
import { valueAt, type SearchSpace } from './space.js';
import type { ParsedSpec, SpecFail, SweepSpec } from './spec.js';

export type TrainFlagValue = string | number | boolean;

type TrainKey = keyof typeof TrainArgsSchema.shape;

/** Set by the sweep for every trial (output folder, tracking) or meaningless inside one. */
const SWEEP_OWNED: readonly string[] = ['outputDir', 'store', 'experiment', 'runName', 'track', 'json', 'resume'];

/** train's launcher flags: a trial's processes come from trial.distribution, so they cannot be fixed or searched. */
const LAUNCHER_FLAGS: readonly string[] = ['nproc-per-node', 'nnodes', 'node-rank', 'master-addr', 'master-port'];


/** Every fixed flag and every searched parameter of a `trial.train` spec must suit tunelab train (spec-file.ts). */
export function checkTrainTrial(spec: ParsedSpec, fail: SpecFail): void {
  const train = spec.trial.train;
  if (train === undefined) return;
  for (const [name, value] of Object.entries(train)) {
    const problem = trainValueProblem(name, value);
    if (problem) fail(['trial', 'train', name], problem);
  }
  const searched = new Map<string, string>();
  for (const name of Object.keys(spec.search_space)) {
    if (name.replace(/_/g, '-') in train) fail(['search_space', name], 'also fixed in trial.train');
    const key = trainKey(name);
    if (key !== null && searched.has(key)) fail(['search_space', name], `the same flag as ${searched.get(key)} (${flagName(key)})`);
    if (key !== null) searched.set(key, name);
    const problem = searchedFlagProblem(name, spec.search_space);
    if (problem) fail(['search_space', name], problem);
  }
}

/** Why `name` (`batch-size` in trial.train, `batch_size` in search_space) cannot be a train flag; null when it can. */
function trainFlagProblem(name: string): string | null {
  if (LAUNCHER_FLAGS.includes(name.replace(/_/g, '-'))) {
    return 'processes per trial are set by trial.distribution: { type: pytorch, process_count_per_instance: N }';
  }
  const key = trainKey(name);
  if (key === null) {
    const names = Object.keys(TrainArgsSchema.shape).flatMap((k) => [flagName(k).slice(2), ...aliasNames(k)]);
    const closest = closestName(name, names);
    const hint = closest ? ` (did you mean ${closest}?)` : '';
    return `not a tunelab train flag${hint}: name parameters and trial.train keys after its flags (lr, batch_size, epochs, weight_decay, …)`;
  }
  if (SWEEP_OWNED.includes(key)) return `${flagName(key)} is set by the sweep for each trial`;
  return null;
}

/** Why `value` is not valid for the flag (the reason tunelab train would give); null when it is. */
function trainValueProblem(name: string, value: ParamValue): string | null {
  const flag = trainFlagProblem(name);
  if (flag) return flag;
  const key = trainKey(name)!;
  if ((typeof value === 'boolean') !== isSwitch(key)) {
    return `${flagName(key)} ${isSwitch(key) ? 'is a switch: give true or false' : `takes a value, not ${value}`}`;
  }
  const result = TrainArgsSchema.shape[key].safeParse(value);
  if (result.success) return null;
  return `${JSON.stringify(value)} is not valid for ${flagName(key)}: ${result.error.issues[0].message.replace(/^Invalid input: /, '')}`;
}

/**
 * Why a search-space parameter cannot feed its train flag: an unknown or sweep-owned flag, a boolean (a flag
 * cannot be given conditionally), or a value the distribution can draw that the flag refuses (probed at a few
 * quantiles: a float for an integer flag, a negative learning rate). Null when it can.
 */
function searchedFlagProblem(name: string, space: SearchSpace): string | null {
  const flag = trainFlagProblem(name);
  if (flag) return flag;
  const dist = space[name];
  const samples = dist.type === 'choice' ? dist.values : [0, 0.37, 0.5, 0.999].map((u) => valueAt(dist, u));
  if (samples.some((v) => typeof v === 'boolean')) return 'boolean flags cannot be searched (fix them in trial.train)';
  for (const value of samples) {
    const problem = trainValueProblem(name, value);
    if (problem) return `${dist.type} can draw ${problem}`;
  }
  return null;
}

/**
 * The trial command template: this process's own tunelab (its node and CLI entry — the sources through tsx when
 * it runs them, else the build), `train`, `--nproc-per-node N` for a trial of N > 1 processes, the fixed flags,
 * `--<param>=${{search_space.<param>}}` per searched parameter and `--output-dir=${{trial.output_dir}}`. Built
 * where the trial runs, so a worker uses its own install.
 */
export function trainCommandTemplate(train: Record<string, TrainFlagValue>, searched: readonly string[], processCount = 1): string {
  const words = [...cliEntry().map(shellQuote), 'train'];
  // No master port: train's launcher picks a free one, so trials running side by side do not collide.
  if (processCount > 1) words.push('--nproc-per-node', String(processCount));
  for (const [name, value] of Object.entries(train)) words.push(...fixedFlag(name, value));
  for (const name of searched) words.push(`${flagName(trainKey(name)!)}=\${{search_space.${name}}}`);
  words.push('--output-dir=${{trial.output_dir}}');
  return words.join(' ');
}

/** `--flag=value`; a switch is `--flag` or `--no-flag`, left out at its default (train declares only the other one). */
function fixedFlag(name: string, value: TrainFlagValue): string[] {
  const key = trainKey(name)!;
  const flag = flagName(key);
  if (typeof value !== 'boolean') return [shellQuote(`${flag}=${value}`)];
  if (value === defaultOf(key)) return [];
  return [value ? flag : `--no-${flag.slice(2)}`];
}

function defaultOf(key: TrainKey): unknown {
  return TrainArgsSchema.shape[key].safeParse(undefined).data;
}

/** Boolean options (`--from-scratch`, `--no-group-by-length`): their schema defaults to true or false. */
function isSwitch(key: TrainKey): boolean {
  return typeof defaultOf(key) === 'boolean';
}

/**
 * `batch-size` (as in trial.train), `batch_size` (a search-space name) or an HF name (`per_device_train_batch_size`,
 * `learning_rate`) → `batchSize`, when train has that flag.
 */
function trainKey(name: string): TrainKey | null {
  const keys = Object.keys(TrainArgsSchema.shape);
  return (keyOfName(name, keys) ?? keyOfName(name.replace(/_/g, '-'), keys)) as TrainKey | null;
}

/**
 * The spec with its search-space parameters named as train stores them (`lr` → `learning_rate`, `batch_size` →
 * `per_device_train_batch_size`): a trial's params and its run's then name each hyperparameter once, so `runs
 * compare` and the dashboard show one column for it. Applied once, when the spec file is read.
 */
export function withStoredParamNames(spec: SweepSpec): SweepSpec {
  const space = Object.entries(spec.search_space).map(([name, dist]) => [storedName(trainKey(name)!), dist] as const);
  return { ...spec, search_space: Object.fromEntries(space) };
}

/** How to start this very tunelab: node, its loader when running TypeScript sources, and the CLI's main module. */
function cliEntry(): string[] {
  if (import.meta.url.endsWith('.ts')) {
    return [process.execPath, '--conditions=development', '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../cli/main.ts', import.meta.url))];
  }
  return [process.execPath, fileURLToPath(new URL('../cli/main.js', import.meta.url))];
}
