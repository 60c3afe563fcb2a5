// Flags and config keys: HF's spellings as aliases, one stored name per option, a "did you mean" in one line for a
// mistyped flag or key, config paths relative to the config file, --store help naming $TUNELAB_HOME's store,
// `tunelab --version`, and eval/predict help without a --batch-size they do not have.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { MODEL_OPTIONS, addOptions, givenFlags, storeHelp } from '../../src/cli/options.js';
import { register as registerEval } from '../../src/cli/eval.js';
import { register as registerPredict } from '../../src/cli/predict.js';
import { register as registerTrain } from '../../src/cli/train.js';
import { TrainArgsSchema, parseArgs, storedName } from '../../src/train/args.js';
import { REPO, TINY, runCli, tempDir, tinyModelFolder, writeText } from '../e2e/helpers.js';

const TABLE: [string, string][] = [
  ...MODEL_OPTIONS,
  ['--lr <x>', 'peak learning rate'],
  ['--batch-size <n>', 'examples per micro-batch'],
  ['--epochs <n>', 'training epochs'],
  ['--weight-decay <x>', 'AdamW weight decay'],
  ['--output-dir <dir>', 'output'],
  ['--no-group-by-length', 'plain batches'],
];

function parsed(argv: string[]): Record<string, unknown> {
  const command = addOptions(new Command('train').exitOverride(), TABLE);
  command.parse(argv, { from: 'user' });
  return givenFlags(command);
}

describe('HF names', () => {
  test('HF flag spellings are aliases of ours', () => {
    assert.deepEqual(parsed(['--learning_rate', '1e-4', '--per_device_train_batch_size', '8', '--num-train-epochs', '2',
      '--weight_decay', '0', '--model_name_or_path', 'm', '--output_dir', 'o']),
    { lr: '1e-4', batchSize: '8', epochs: '2', weightDecay: '0', model: 'm', outputDir: 'o' });
  });

  test('an option given under two names is refused, naming both', () => {
    assert.throws(() => parsed(['--lr', '1', '--learning_rate', '2']), { message: '--lr and --learning_rate are the same option: give one' });
  });

  test('stored params use HF TrainingArguments names', () => {
    assert.deepEqual(['lr', 'batchSize', 'epochs', 'evalBatchSize', 'gradAccum', 'weightDecay', 'warmupRatio', 'outputDir', 'model'].map(storedName),
      ['learning_rate', 'per_device_train_batch_size', 'num_train_epochs', 'per_device_eval_batch_size',
        'gradient_accumulation_steps', 'weight_decay', 'warmup_ratio', 'output_dir', 'model_name_or_path']);
  });

  test('the real train command takes HF flags: --learning_rate reaches lr', async () => {
    const program = new Command('tunelab');
    registerTrain(program);
    const train = program.commands.find((c) => c.name() === 'train')!;
    train.action(() => {}); // parse only
    await program.parseAsync(['train', '--learning_rate', '3e-5', '--per_device_train_batch_size', '16'], { from: 'user' });
    assert.deepEqual(givenFlags(train), { lr: '3e-5', batchSize: '16' });
  });

  test('--overwrite_output_dir starts afresh where another run left checkpoints', async () => {
    const out = tempDir('tunelab-overwrite-');
    writeText(join(out, 'checkpoint-2'), 'trainer_state.json', '{}');
    const data = writeText(out, '../train-overwrite.csv', 'text,label\ngood,pos\nbad,neg\n');
    const args = ['train', '--model', tinyModelFolder(), '--task', 'classification', '--train-file', data, '--max-steps', '1',
      '--batch-size', '2', ...TINY, '--output_dir', out];
    const refused = await runCli(args);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /already holds checkpoint-2; pass --resume/);
    const overwritten = await runCli([...args, '--overwrite_output_dir']);
    assert.equal(overwritten.code, 0, overwritten.stderr);
    assert.ok(!existsSync(join(out, 'checkpoint-2')), 'the old checkpoint is gone');
    assert.ok(existsSync(join(out, 'checkpoint-1')), 'this run checkpointed');
    assert.match(overwritten.stdout, /^device cpu, precision fp32 \(--precision fp32\)$/m, 'training says what it computes with');
  });
});

describe('config files', () => {
  const dir = tempDir('tunelab-config-');
  const required = { model: 'bert-base-uncased', task: 'glue/mrpc' };

  test('keys may be flag names or HF names; a mistyped key gets a "did you mean"', () => {
    const config = writeText(dir, 'hf.yaml', 'learning_rate: 0.001\nnum_train_epochs: 2\nbatch-size: 4\noutput-dir: /abs/out\n');
    const args = parseArgs(TrainArgsSchema, required, config);
    assert.deepEqual([args.lr, args.epochs, args.batchSize], [0.001, 2, 4]);
    const typo = writeText(dir, 'typo.yaml', 'learning_rat: 0.001\n');
    assert.throws(() => parseArgs(TrainArgsSchema, required, typo), { message: `${typo}: unknown key "learning_rat" (did you mean learning_rate?)` });
    const twice = writeText(dir, 'twice.yaml', 'lr: 0.1\nlearning_rate: 0.2\n');
    assert.throws(() => parseArgs(TrainArgsSchema, required, twice), { message: `${twice}: "lr" and "learning_rate" are the same option: give one` });
  });

  test('paths in a config file are relative to the file, not to the working directory', () => {
    const sub = join(dir, 'configs');
    mkdirSync(join(sub, 'local-model'), { recursive: true });
    const config = writeText(sub, 'paths.yaml', 'model: local-model\ntrain-file: ../data/train.tsv\noutput-dir: out\n');
    const args = parseArgs(TrainArgsSchema, { task: 'glue/mrpc' }, config);
    assert.equal(args.model, join(sub, 'local-model'));
    assert.equal(args.trainFile, join(dir, 'data/train.tsv'));
    assert.equal(args.outputDir, join(sub, 'out'));
    const hub = writeText(sub, 'hub.yaml', 'model: google/electra-small-discriminator\noutput-dir: out\n');
    assert.equal(parseArgs(TrainArgsSchema, { task: 'glue/mrpc' }, hub).model, 'google/electra-small-discriminator', 'a Hub id stays');
  });
});

describe('the command line', () => {
  test('a mistyped flag is one line with a "did you mean" and exit code 2, not the help', async () => {
    const [train, hf] = await Promise.all([runCli(['train', '--batch-sise', '8']), runCli(['train', '--learning-rat', '1e-4'])]);
    assert.deepEqual([train.code, train.stderr], [2, "error: unknown option '--batch-sise' (did you mean --batch-size?)\n"]);
    assert.deepEqual([hf.code, hf.stderr], [2, "error: unknown option '--learning-rat' (did you mean --learning-rate?)\n"]);
  });

  test('tunelab --version prints the package version', async () => {
    const result = await runCli(['--version']);
    const { version } = JSON.parse(readFileSync(join(REPO, 'packages/tunelab/package.json'), 'utf8')) as { version: string };
    assert.deepEqual([result.code, result.stdout], [0, `${version}\n`]);
  });

  test('--store help names the store $TUNELAB_HOME gives', () => {
    assert.match(storeHelp({ TUNELAB_HOME: '/data/tl' }), /default: \/data\/tl\/tunelab\.db, from \$TUNELAB_HOME/);
    assert.match(storeHelp({ TUNELAB_STORE: 'postgres://u:secret@h/db' }), /default: the PostgreSQL store, from \$TUNELAB_STORE/);
    assert.doesNotMatch(storeHelp({ TUNELAB_STORE: 'postgres://u:secret@h/db' }), /secret/);
  });

  test('eval and predict help mention only the batch size they have', () => {
    const program = new Command('tunelab');
    for (const register of [registerEval, registerPredict]) register(program);
    for (const command of program.commands) {
      const help = command.helpInformation();
      assert.doesNotMatch(help, /--batch-size/, command.name());
      assert.match(help, /--eval-batch-size <n>\s+examples per forward pass \(default 64\)/, command.name());
      assert.match(help, /default fp32/, command.name());
    }
  });
});
