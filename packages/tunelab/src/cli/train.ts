// `tunelab train`: fine-tune a model on a task. Flags (or a YAML/JSON --config whose keys are the flag names) are
// validated by train/args.ts; the job itself is train/finetune.ts.
import type { Command } from 'commander';
import { TASK_NAMES } from '../tasks.js';
import { TrainArgsSchema, parseArgs } from '../train/args.js';
import { isBadInput } from '../train/errors.js';
import { fineTune } from '../train/finetune.js';
import { chooseReporterMode, createReporter } from '../train/progress.js';
import { recordRankError } from '../distributed/rank-main.js';
import { isLaunchedRank, joinTrainingGroup, launchTrainRanks, takeLaunchFlags } from '../distributed/train-ranks.js';

/** [commander flag spec, help] — the value forms are checked by the zod schema, not by commander. */
export type OptionTable = [string, string][];

export const MODEL_OPTIONS: OptionTable = [
  ['--model <id|folder>', 'Hub model id or local model folder'],
  ['--task <task>', `one of: ${TASK_NAMES.join(', ')}`],
  ['--text-column <name>', 'classification/regression: column with the text (default "text")'],
  ['--text-pair-column <name>', 'classification/regression: column with the second text of a pair'],
  ['--label-column <name>', 'classification/regression: column with the label (default "label")'],
  ['--max-seq-length <n>', 'longest input in tokens (default 128; 384 for squad)'],
  ['--doc-stride <n>', 'squad: context tokens shared by consecutive windows (default 128)'],
  ['--eval-batch-size <n>', 'batch size for evaluation and prediction (default 2 × --batch-size, or 64)'],
  ['--device <device>', 'cpu | cuda | auto (default auto)'],
  ['--precision <precision>', 'fp32 | bf16 | fp16 | auto (default auto: bf16 where the hardware has it)'],
  ['--threads <n>', 'CPU threads for libtorch (default: all cores)'],
  ['--n-best-size <n>', 'squad: candidate starts/ends per window (default 20)'],
  ['--max-answer-length <n>', 'squad: longest answer in tokens (default 30)'],
  ['--null-score-diff-threshold <x>', 'squad_v2: answer "" when null score − best span score exceeds this (default 0)'],
  ['--json', 'machine-readable output: one JSON object per line'],
];

const TRAIN_OPTIONS: OptionTable = [
  ['--config <file>', 'YAML or JSON file of options (keys are flag names); flags override it'],
  ['--output-dir <dir>', 'where the model, metrics, predictions and checkpoints go'],
  ['--train-file <file>', 'training data (GLUE TSV, SQuAD JSON, CoNLL/JSONL, CSV/TSV/JSONL); none: the Hub data set'],
  ['--validation-file <file>', 'validation data, same format'],
  ['--validation-mismatched-file <file>', 'glue/mnli: the mismatched dev set'],
  ['--test-file <file>', 'data to predict after training (predictions/test.jsonl)'],
  ['--max-train-samples <n>', 'use only the first n training examples'],
  ['--max-eval-samples <n>', 'use only the first n validation/test examples'],
  ['--epochs <n>', 'training epochs (default 3)'],
  ['--max-steps <n>', 'optimizer steps to train for (instead of --epochs)'],
  ['--lr <x>', 'peak learning rate (default 5e-5)'],
  ['--batch-size <n>', 'examples per micro-batch (default 32)'],
  ['--grad-accum <n>', 'micro-batches per optimizer step (default 1)'],
  ['--warmup-ratio <x>', 'fraction of steps of linear warmup'],
  ['--warmup-steps <n>', 'steps of linear warmup'],
  ['--scheduler <name>', 'linear | cosine | constant (default linear)'],
  ['--weight-decay <x>', 'AdamW weight decay, not on biases and LayerNorm (default 0.01)'],
  ['--max-grad-norm <x>', 'clip the gradient norm to this; 0 = off (default 1)'],
  ['--seed <n>', 'seed of weights, dropout and data order (default 42)'],
  ['--no-group-by-length', 'plain shuffled batches instead of length-grouped ones'],
  ['--eval-every <n|epoch>', 'evaluate every n steps, or each epoch (default epoch)'],
  ['--save-every <n|epoch>', 'checkpoint every n steps, or each epoch (default epoch)'],
  ['--log-every <n>', 'log train loss and lr every n steps (default 10)'],
  ['--early-stopping-patience <n>', 'stop after n evaluations without improvement'],
  ['--metric-for-best <name>', 'metric that picks the best checkpoint (default: the task\'s main metric)'],
  ['--from-scratch', 'initialise from the model folder\'s config.json instead of its weights'],
  ['--ignore-mismatched-sizes', 're-initialise checkpoint tensors whose shape differs (another classifier)'],
  ['--resume [checkpoint]', 'continue from a checkpoint (default: the latest in --output-dir)'],
  ['--store <url>', 'tracking store: SQLite file/folder or postgres:// URL (default ./tunelab-runs)'],
  ['--experiment <name>', 'tracking experiment (default: the task)'],
  ['--run-name <name>', 'tracking run name'],
  ['--no-track', 'do not record the run in the tracking store'],
  ['--nproc-per-node <n>', 'data-parallel: start n ranks on this machine (one per GPU on CUDA)'],
  ['--nnodes <n>', 'data-parallel: machines in the job, each running this command (default 1)'],
  ['--node-rank <n>', 'data-parallel: this machine\'s index, 0 … nnodes-1 (default 0)'],
  ['--master-addr <host>', 'data-parallel: address of node 0, where ranks meet (default 127.0.0.1)'],
  ['--master-port <port>', 'data-parallel: port on node 0 (default: $MASTER_PORT, else a free port on one machine, else 29500)'],
];

export function addOptions(command: Command, table: OptionTable): Command {
  for (const [spec, help] of table) command.option(spec, help);
  return command;
}

/** The options given on the command line (not commander's defaults), without --config. */
export function givenFlags(command: Command): Record<string, unknown> {
  const values = command.opts();
  return Object.fromEntries(Object.keys(values)
    .filter((key) => key !== 'config' && command.getOptionValueSource(key) === 'cli')
    .map((key) => [key, values[key]]));
}

/** Runs a verb: bad input → one line on stderr and exit code 2; anything else is a bug (stack, exit 1). */
export async function runVerb(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (isBadInput(err)) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

export function register(program: Command): void {
  const command = program.command('train')
    .description('Fine-tune a model on a task (GLUE, SQuAD, NER, or your own CSV/TSV/JSONL)');
  addOptions(command, [...MODEL_OPTIONS, ...TRAIN_OPTIONS]);
  command.action(() => runVerb(async () => {
    const flags = givenFlags(command);
    const launchFlags = takeLaunchFlags(flags);
    const args = parseArgs(TrainArgsSchema, flags, command.opts().config as string | undefined);
    if (launchFlags && !isLaunchedRank()) return launchTrainRanks(launchFlags);
    const rank = joinTrainingGroup(args.device);
    const reporter = createReporter(rank && rank.env.rank !== 0 ? 'quiet' : chooseReporterMode(args.json));
    try {
      const result = await fineTune(args, reporter, rank?.dataParallel);
      reporter.result(result);
    } catch (err) {
      if (rank) recordRankError(err);
      throw err;
    } finally {
      reporter.close();
      rank?.close();
    }
  }));
}
