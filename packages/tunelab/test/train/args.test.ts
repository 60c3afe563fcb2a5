import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { TrainArgsSchema, checkTrainArgs, checkpointEvery, flagName, parseArgs } from '../../src/train/args.js';
import { TrainConfigError } from '../../src/train/errors.js';

const required = { model: 'm', task: 'glue/mrpc', outputDir: 'out' };
const dir = mkdtempSync(join(tmpdir(), 'tunelab-args-'));
function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('defaults fill what is not given; string flags are coerced', () => {
  const args = parseArgs(TrainArgsSchema, { ...required, lr: '3e-5', batchSize: '16', evalEvery: '50' });
  assert.equal(args.lr, 3e-5);
  assert.equal(args.batchSize, 16);
  assert.equal(args.evalEvery, 50);
  assert.equal(checkpointEvery(args), 'epoch');
  assert.equal(args.loadBestModelAtEnd, false, 'HF\'s default: the last weights are saved');
  assert.equal(args.scheduler, 'linear');
  assert.equal(args.precision, 'auto');
  assert.equal(args.groupByLength, true);
  assert.equal(args.resume, false);
});

test('a YAML config uses flag names as keys (paths relative to the file); flags override it', () => {
  const path = configFile('c.yaml', 'model: bert-base-uncased\ntask: glue/sst2\noutput-dir: runs/a\nbatch-size: 8\nlr: 0.0001\n');
  const args = parseArgs(TrainArgsSchema, { lr: '2e-5' }, path);
  assert.equal(args.model, 'bert-base-uncased');
  assert.equal(args.batchSize, 8);
  assert.equal(args.lr, 2e-5);
  assert.equal(args.outputDir, join(dirname(path), 'runs/a'));
});

test('a JSON config works the same', () => {
  const path = configFile('c.json', JSON.stringify({ ...{ model: 'x', task: 'squad', 'output-dir': 'o' }, 'doc-stride': 64 }));
  assert.equal(parseArgs(TrainArgsSchema, {}, path).docStride, 64);
});

test('an unknown or camelCase config key is refused by name', () => {
  const typo = configFile('typo.yaml', 'model: x\nbatchsize: 8\n');
  assert.throws(() => parseArgs(TrainArgsSchema, {}, typo), (err: Error) =>
    err instanceof TrainConfigError && err.message === `${typo}: unknown key "batchsize" (did you mean batch-size?)`);
  const camel = configFile('camel.yaml', 'batchSize: 8\n');
  assert.throws(() => parseArgs(TrainArgsSchema, {}, camel), /unknown key "batchSize"/);
});

test('a bad value names the flag, or the file and key', () => {
  assert.throws(() => parseArgs(TrainArgsSchema, { ...required, batchSize: 'many' }),
    (err: Error) => err.message.startsWith('--batch-size: ') && err.message.endsWith('(got "many")'));
  const path = configFile('bad.yaml', 'scheduler: step\n');
  assert.throws(() => parseArgs(TrainArgsSchema, required, path),
    (err: Error) => err.message === `${path}: scheduler: must be one of linear, cosine, constant (got "step")`);
  assert.throws(() => parseArgs(TrainArgsSchema, { ...required, evalEvery: 'weekly' }),
    (err: Error) => err.message === '--eval-every: must be "epoch" or a positive integer (got "weekly")');
});

test('missing required options are named', () => {
  assert.throws(() => parseArgs(TrainArgsSchema, { task: 'glue/mrpc', outputDir: 'o' }), /^TrainConfigError: --model: is required$/);
  assert.throws(() => parseArgs(TrainArgsSchema, { ...required, task: 'glue/xyz' }), /--task: must be one of glue\/cola, /);
});

test('invalid YAML names the file', () => {
  const path = configFile('broken.yaml', 'model: [unclosed\n');
  assert.throws(() => parseArgs(TrainArgsSchema, {}, path), (err: Error) => err.message.startsWith(`${path}: invalid YAML`));
  assert.throws(() => parseArgs(TrainArgsSchema, {}, join(dir, 'absent.yaml')), /absent.yaml: config file not found/);
});

test('conflicting options fail naming both', () => {
  const base = parseArgs(TrainArgsSchema, required);
  assert.throws(() => checkTrainArgs({ ...base, warmupRatio: 0.1, warmupSteps: 10 }), /--warmup-ratio and --warmup-steps conflict/);
  assert.throws(() => checkTrainArgs({ ...base, epochs: 2, maxSteps: 10 }), /--epochs and --max-steps conflict/);
  assert.throws(() => checkTrainArgs({ ...base, precision: 'fp16', device: 'cpu' }), /--precision fp16 needs --device cuda/);
  assert.doesNotThrow(() => checkTrainArgs(base));
});

test('flag names are kebab-case of the keys', () => {
  assert.equal(flagName('earlyStoppingPatience'), '--early-stopping-patience');
  assert.equal(flagName('lr'), '--lr');
});
