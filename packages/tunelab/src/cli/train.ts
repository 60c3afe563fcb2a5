// `tunelab train`: fine-tune a model on a task. Flags (or a YAML/JSON --config whose keys are the flag names) are
// validated by train/args.ts; the job itself is train/finetune.ts, on one or several ranks (distributed/train-ranks.ts).
import type { Command } from 'commander';
import { taskOfDataFile } from '../tasks/index.js';
import { TrainArgsSchema, parseArgs } from '../train/args.js';
import { chooseReporterMode, createReporter } from '../train/progress.js';
import { fineTuneOnRanks, takeLaunchFlags } from '../distributed/train-ranks.js';
import { MODEL_OPTIONS, UNPAD_HELP, addOptions, givenFlags, runVerb, storeHelp, type OptionTable } from './options.js';

const TRAIN_OPTIONS: OptionTable = [
  ['--config <file>', 'YAML or JSON file of options (keys are flag names or HF names; paths relative to it); flags override it'],
  ['--precision <precision>', 'fp32 | bf16 | fp16 | auto (default auto: bf16 on CUDA and AVX512-BF16/AMX CPUs, where measured faster; else fp32)'],
  ['--eval-batch-size <n>', 'batch size for evaluation (default 2 × --batch-size)'],
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
  ['--pad-to-multiple-of <n>', 'round each batch\'s length up to a multiple of n: fewer shapes (default 64 on CUDA, 1 on CPU)'],
  ['--profile', 'print (and store with the run) where the training time went: data, copies, forward, backward, …'],
  ['--cuda-graphs <mode>', 'auto | on | off: capture the training step and the evaluation forward passes in CUDA graphs (default auto: on for CUDA)'],
  ['--unpad <mode>', UNPAD_HELP],
  ['--eval-every <n|epoch>', 'evaluate every n steps, or each epoch (default epoch)'],
  ['--save-every <n|epoch>', 'checkpoint every n steps, or each epoch; 0 = no checkpoints (default epoch)'],
  ['--save-strategy <when>', 'no | steps | epoch (HF\'s save_strategy; steps: every --save-every steps, default 500)'],
  ['--save-total-limit <n>', 'keep only the newest n checkpoints'],
  ['--load-best-model-at-end', 'the final model is the best evaluation\'s weights (default: the last; on with --early-stopping-patience)'],
  ['--log-every <n>', 'log train loss and lr every n steps (default 10)'],
  ['--early-stopping-patience <n>', 'stop after n evaluations without improvement'],
  ['--metric-for-best <name>', 'metric that picks the best checkpoint (default: the task\'s main metric)'],
  ['--from-scratch', 'initialise from the model folder\'s config.json instead of its weights'],
  ['--ignore-mismatched-sizes', 're-initialise checkpoint tensors whose shape differs (another classifier)'],
  ['--resume [checkpoint]', 'continue from a checkpoint (default: the latest in --output-dir)'],
  ['--overwrite-output-dir', 'start afresh in an --output-dir that holds checkpoints (they are deleted)'],
  ['--store <url>', storeHelp()],
  ['--experiment <name>', 'tracking experiment (default: the task)'],
  ['--run-name <name>', 'tracking run name'],
  ['--no-track', 'do not record the run in the tracking store'],
  ['--nproc-per-node <n>', 'data-parallel: start n ranks on this machine (one per GPU on CUDA)'],
  ['--nnodes <n>', 'data-parallel: machines in the job, each running this command (default 1)'],
  ['--node-rank <n>', 'data-parallel: this machine\'s index, 0 … nnodes-1 (default 0)'],
  ['--master-addr <host>', 'data-parallel: address of node 0, where ranks meet (default 127.0.0.1)'],
  ['--master-port <port>', 'data-parallel: port on node 0 (default: $MASTER_PORT, else a free port on one machine, else 29500)'],
];

export function register(program: Command): void {
  const command = program.command('train')
    .description('Fine-tune a model on a task (GLUE, SQuAD, NER, or your own CSV/TSV/JSONL)');
  addOptions(command, [...MODEL_OPTIONS, ...TRAIN_OPTIONS]);
  command.action(() => runVerb(async () => {
    const flags = givenFlags(command);
    // Without --task (and no --config that may give it), a GLUE TSV names its task by its header.
    if (flags.task === undefined && command.opts().config === undefined && typeof flags.trainFile === 'string') {
      flags.task = taskOfDataFile(flags.trainFile) ?? undefined;
    }
    const launchFlags = takeLaunchFlags(flags);
    const args = parseArgs(TrainArgsSchema, flags, command.opts().config as string | undefined);
    await fineTuneOnRanks(args, launchFlags, (quiet) => createReporter(quiet ? 'quiet' : chooseReporterMode(args.json)));
  }));
}
