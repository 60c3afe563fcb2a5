// Option helpers shared by the verbs: declaring a table of flags (with their Hugging Face spellings as hidden
// aliases), collecting the flags given on the command line, the options train/eval/predict share, integer parsing,
// the --store help, and running a verb with bad input mapped to one line and exit code 2.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { TASK_NAMES } from '../tasks/index.js';
import { aliasNames, closestName, flagName } from '../train/args.js';
import { exitCodeOf } from '../errors.js';
import { TrainConfigError } from '../train/errors.js';
import { resolveStoreTarget } from '../track/connect.js';
import { TOKEN_PATTERN } from '../server/serve.js';

/** [commander flag spec, help] — the value forms are checked by the zod schema, not by commander. */
export type OptionTable = [string, string][];

/** What the model reads and how it runs: options of train, eval and predict (each adds --precision and batch sizes). */
export const MODEL_OPTIONS: OptionTable = [
  ['--model <id|folder>', 'Hub model id or local model folder'],
  ['--task <task>', `one of: ${TASK_NAMES.join(', ')}`],
  ['--text-column <name>', 'classification/regression: column with the text (default "text")'],
  ['--text-pair-column <name>', 'classification/regression: column with the second text of a pair'],
  ['--label-column <name>', 'classification/regression: column with the label (default "label")'],
  ['--max-seq-length <n>', 'longest input in tokens (default 128; 384 for squad)'],
  ['--doc-stride <n>', 'squad: context tokens shared by consecutive windows (default 128)'],
  ['--mlm-probability <x>', 'mlm/pretraining: share of tokens masked (default 0.15; 80 % [MASK], 10 % random, 10 % kept)'],
  ['--whole-word-masking', 'mlm/pretraining: mask all sub-tokens of a chosen word together'],
  ['--line-by-line', 'mlm: one example per non-empty line instead of texts joined into --max-seq-length blocks'],
  ['--dataset-name <repo>', 'mlm: a Hub data set (parquet) instead of files, e.g. Salesforce/wikitext'],
  ['--dataset-config-name <name>', 'mlm: its configuration, e.g. wikitext-2-raw-v1'],
  ['--device <device>', 'cpu | cuda | auto (default auto)'],
  ['--threads <n>', 'CPU threads for libtorch (default: all cores)'],
  ['--n-best-size <n>', 'squad: candidate starts/ends per window (default 20)'],
  ['--max-answer-length <n>', 'squad: longest answer in tokens (default 30)'],
  ['--null-score-diff-threshold <x>', 'squad_v2: answer "" when null score − best span score exceeds this (default 0)'],
  ['--json', 'machine-readable output: one JSON object per line'],
];

export const UNPAD_HELP = 'auto | on | off: run a batch on its real tokens only, leaving padding out (default auto: CPU batches with >= 25 % padding)';

/** eval and predict: fp32 by default, as transformers' pipelines; one batch size. */
export const INFERENCE_OPTIONS: OptionTable = [
  ['--precision <precision>', 'fp32 | bf16 | fp16 | auto (default fp32, as transformers; bf16 is faster on GPUs and AMX CPUs)'],
  ['--eval-batch-size <n>', 'examples per forward pass (default 64)'],
  ['--cuda-graphs <mode>', 'auto | on | off: replay each batch shape\'s forward pass from a CUDA graph (default auto: on for CUDA)'],
  ['--unpad <mode>', UNPAD_HELP],
];

/** commander's attribute name of a long flag: `--learning_rate` → `learning_rate`, `--batch-size` → `batchSize`. */
function attributeOf(long: string): string {
  return long.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Hidden alias attribute → the option key it stands for, per command. */
const ALIASES = new WeakMap<Command, Map<string, string>>();

/**
 * Adds the options of `table` to `command`, each with its HF spellings as hidden aliases (`--lr` also answers to
 * `--learning_rate` and `--learning-rate`; `--weight-decay` to `--weight_decay`). Negated switches have none: HF's
 * flags are positive.
 */
export function addOptions(command: Command, table: OptionTable): Command {
  const aliases = ALIASES.get(command) ?? new Map<string, string>();
  ALIASES.set(command, aliases);
  for (const [spec, help] of table) {
    const option = new Option(spec, help);
    command.addOption(option);
    if (option.negate || !option.long) continue;
    const key = option.attributeName();
    const value = spec.slice(option.long.length); // ` <x>`, ` [checkpoint]` or ``
    for (const name of aliasNames(key)) {
      if (command.options.some((o) => o.long === `--${name}`)) continue;
      command.addOption(new Option(`--${name}${value}`, `alias of ${option.long}`).hideHelp());
      aliases.set(attributeOf(`--${name}`), key);
    }
  }
  suggestAmongAllFlags(command);
  return command;
}

/**
 * An unknown flag fails in one line naming the closest known flag, HF aliases included (`--learning-rat` → did you
 * mean --learning-rate?): commander's own suggestion only looks at the flags its help shows.
 */
function suggestAmongAllFlags(command: Command): void {
  const overridable = command as unknown as { unknownOption(flag: string): void };
  overridable.unknownOption = (flag: string) => {
    const names = command.options.flatMap((option) => (option.long ? [option.long] : []));
    const closest = flag.startsWith('--') ? closestName(flag, names) : null;
    command.error(`error: unknown option '${flag}'${closest ? ` (did you mean ${closest}?)` : ''}`, { code: 'commander.unknownOption' });
  };
}

/** The options given on the command line (not commander's defaults), without --config; aliases under their key. */
export function givenFlags(command: Command): Record<string, unknown> {
  const values = command.opts();
  const aliases = ALIASES.get(command) ?? new Map<string, string>();
  const flags: Record<string, unknown> = {};
  const spelled: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (name === 'config' || command.getOptionValueSource(name) !== 'cli') continue;
    const key = aliases.get(name) ?? name;
    const given = aliases.has(name) ? `--${name}` : flagName(key);
    if (key in flags) throw new TrainConfigError(`${spelled[key]} and ${given} are the same option: give one`);
    flags[key] = value;
    spelled[key] = given;
  }
  return flags;
}

/** Runs a verb: bad input → one line on stderr and exit code 2; anything else is a bug (stack, exit 1). */
export async function runVerb(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (exitCodeOf(err) !== 2) throw err;
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}

/** commander parser for options that take an integer ≥ 1. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected an integer ≥ 1');
  return Number(value);
}

/** Help of a --store option, naming the store it defaults to in this environment ($TUNELAB_STORE, $TUNELAB_HOME). */
export function storeHelp(env: NodeJS.ProcessEnv = process.env): string {
  let fallback: string;
  try {
    const target = resolveStoreTarget(undefined, env);
    fallback = target.dialect === 'postgres' ? 'the PostgreSQL store' : target.url; // never print a URL's password
  } catch {
    fallback = '$TUNELAB_STORE';
  }
  const from = env.TUNELAB_STORE ? '$TUNELAB_STORE' : env.TUNELAB_HOME ? '$TUNELAB_HOME' : './tunelab-runs';
  return `tracking store: SQLite file/folder or postgres://… (default: ${fallback}, from ${from})`;
}

/** A TCP port for --port (0: any free port). */
export function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected an integer 0..65535 (0: any free port)');
  return Number(value);
}

/** An access token for --token (the servers' TOKEN_PATTERN). */
export function accessToken(value: string): string {
  if (!TOKEN_PATTERN.test(value)) throw new InvalidArgumentError('expected 16 to 512 printable characters without spaces');
  return value;
}
