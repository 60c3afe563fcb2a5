// The premise of fine-tuning, measured: a small BERT pre-trained with masked LM on unlabelled text, then fine-tuned
// on MRPC, against the same BERT fine-tuned from scratch — same seeds, same hyperparameters, same tokenizer. The text
// is read from ../shared/data (SST-2 and STS-B sentences, MRPC train sentences, SQuAD contexts; labels unused; MRPC
// dev sentences are left out), never copied into the repository. Everything runs through the CLI
// (`tunelab train --task mlm`, then `--task glue/mrpc`), as a user would.
//
//   node --conditions=development --import tsx bench/pretrain-gain.ts [--pretrain-steps 5000] [--seeds 1,2,3]
//        [--epochs 5] [--precision bf16] [--threads 2] [--hidden 128] [--layers 2] [--vocab 8000]
//        [--max-seq-length 64] [--pretrain-lr 1e-3] [--finetune-lr 3e-5] [--finetune-batch-size 32]
//        [--finetune-max-seq-length 128]
//
// Pre-training reads blocks of --max-seq-length tokens; fine-tuning reads MRPC pairs up to --finetune-max-seq-length
// (with this 8,000-word vocabulary, 64 tokens cut the second sentence of many pairs). The defaults are the settings
// that showed the gain within 15 min on the shared 2-core CPU (docs/training.md).
//
// Prints dev accuracy and F1 per seed, their mean and spread (sample standard deviation), and the time taken.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer } from '../packages/tunelab/src/tokenizers/tokenizer.js';
import { trainWordPiece } from '../packages/tunelab/src/tokenizers/wordpiece-trainer.js';

const { values: flags } = parseArgs({
  options: {
    'pretrain-steps': { type: 'string', default: '5000' }, seeds: { type: 'string', default: '1,2,3' },
    epochs: { type: 'string', default: '5' }, precision: { type: 'string', default: 'bf16' },
    threads: { type: 'string', default: '2' }, hidden: { type: 'string', default: '128' },
    layers: { type: 'string', default: '2' }, vocab: { type: 'string', default: '8000' },
    'max-seq-length': { type: 'string', default: '64' }, 'pretrain-lr': { type: 'string', default: '1e-3' },
    'finetune-lr': { type: 'string', default: '3e-5' }, 'finetune-batch-size': { type: 'string', default: '32' },
    'finetune-max-seq-length': { type: 'string', default: '128' },
  },
});
const REPO = resolve(import.meta.dirname, '..');
const DATA = resolve(REPO, '../shared/data');
const MAIN = join(REPO, 'packages/tunelab/src/cli/main.ts');
const seeds = flags.seeds.split(',').map(Number);
const work = mkdtempSync(join(tmpdir(), 'tunelab-pretrain-gain-'));
const common = ['--threads', flags.threads, '--precision', flags.precision, '--no-track', '--save-every', '1000000', '--json'];

function tsvColumns(file: string, columns: number[]): string[] {
  if (!existsSync(file)) return []; // a GPU machine carries only part of ../shared (scripts/gpu/prepare.sh)
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split('\n').slice(1);
  return lines.flatMap((line) => { const cells = line.split('\t'); return columns.map((c) => cells[c]); })
    .filter((text): text is string => text !== undefined && text.trim() !== '');
}

function squadContexts(file: string): string[] {
  if (!existsSync(file)) return [];
  const json = JSON.parse(readFileSync(file, 'utf8')) as { data: { paragraphs: { context: string }[] }[] };
  return json.data.flatMap((article) => article.paragraphs.map((p) => p.context.replace(/\s+/g, ' ')));
}

/** Unlabelled text, one document per line. */
function corpusLines(): string[] {
  const dev = new Set(tsvColumns(join(DATA, 'glue/MRPC/dev.tsv'), [3, 4]));
  return [
    ...tsvColumns(join(DATA, 'glue/SST-2/train.tsv'), [0]),
    ...tsvColumns(join(DATA, 'glue/MRPC/train.tsv'), [3, 4]).filter((s) => !dev.has(s)),
    ...tsvColumns(join(DATA, 'glue/STS-B/train.tsv'), [7, 8]),
    ...squadContexts(join(DATA, 'squad/sample-v1.1.json')), ...squadContexts(join(DATA, 'squad/sample-v2.0.json')),
  ];
}
const sources = ['glue/SST-2/train.tsv', 'glue/MRPC/train.tsv', 'glue/STS-B/train.tsv', 'squad/sample-v1.1.json', 'squad/sample-v2.0.json'];

function cli(args: string[]): { metrics: Record<string, number>; seconds: number } {
  const start = performance.now();
  const run = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', MAIN, ...args],
    // OMP_WAIT_POLICY=passive: on a CPU shared with other processes, libtorch's OpenMP threads otherwise spin at every
    // barrier while their peer waits to be scheduled — measured 10× slower steps at load average 5 on 2 cores.
    { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 28, env: { OMP_WAIT_POLICY: 'passive', ...process.env, TUNELAB_HOME: work } });
  if (run.status !== 0) throw new Error(`tunelab ${args.join(' ')} failed:\n${run.stderr}`);
  const out = args[args.indexOf('--output-dir') + 1];
  return { metrics: JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, number>, seconds: (performance.now() - start) / 1000 };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));

const started = performance.now();
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other processes share the CPU)`);
const lines = corpusLines();
const corpus = join(work, 'corpus.txt');
writeFileSync(corpus, `${lines.join('\n')}\n`);
const vocab = trainWordPiece(lines, { vocabSize: Number(flags.vocab) });
const modelDir = join(work, 'model-config');
mkdirSync(modelDir, { recursive: true });
await (await Tokenizer.fromWordPieceVocab(vocab, { lowercase: true, modelMaxLength: 128 })).savePretrained(modelDir);
const hidden = Number(flags.hidden);
writeFileSync(join(modelDir, 'config.json'), JSON.stringify({
  model_type: 'bert', architectures: ['BertForMaskedLM'], vocab_size: vocab.length, hidden_size: hidden,
  num_hidden_layers: Number(flags.layers), num_attention_heads: Math.max(1, hidden / 64), intermediate_size: hidden * 4,
  max_position_embeddings: 128, type_vocab_size: 2, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1, layer_norm_eps: 1e-12, initializer_range: 0.02, pad_token_id: 0,
}));
console.log(`unlabelled text from ${sources.filter((s) => existsSync(join(DATA, s))).join(', ')}`);
console.log(`corpus: ${lines.length} lines, ${(readFileSync(corpus).length / 1e6).toFixed(1)} MB; WordPiece vocabulary ${vocab.length}; ` +
  `BERT ${flags.layers} layers, hidden ${hidden}`);
console.log(`settings: pre-training ${flags['pretrain-steps']} steps, batch 64 × ${flags['max-seq-length']}, lr ${flags['pretrain-lr']}; ` +
  `MRPC ${flags.epochs} epochs, batch ${flags['finetune-batch-size']}, lr ${flags['finetune-lr']}, max length ` +
  `${flags['finetune-max-seq-length']}; ${flags.precision}, ${flags.threads} threads, seeds ${flags.seeds}`);

const pretrained = join(work, 'pretrained');
const pre = cli(['train', '--model', modelDir, '--task', 'mlm', '--from-scratch', '--train-file', corpus,
  '--max-steps', flags['pretrain-steps'], '--batch-size', '64', '--lr', flags['pretrain-lr'], '--warmup-ratio', '0.06', '--seed', '0',
  '--log-every', '100', '--max-seq-length', flags['max-seq-length'], ...common, '--output-dir', pretrained]);
console.log(`pre-training: ${flags['pretrain-steps']} steps of 64 × ${flags['max-seq-length']} tokens in ${pre.seconds.toFixed(0)} s`);

const finetune = (seed: number, from: 'pretrained' | 'scratch') => cli(['train', '--task', 'glue/mrpc',
  ...(from === 'pretrained' ? ['--model', pretrained] : ['--model', modelDir, '--from-scratch']),
  '--train-file', join(DATA, 'glue/MRPC/train.tsv'), '--validation-file', join(DATA, 'glue/MRPC/dev.tsv'),
  '--epochs', flags.epochs, '--batch-size', flags['finetune-batch-size'], '--lr', flags['finetune-lr'],
  '--max-seq-length', flags['finetune-max-seq-length'], '--warmup-ratio', '0.1', '--seed', String(seed),
  ...common, '--output-dir', join(work, `mrpc-${from}-${seed}`)]);

const results: Record<'pretrained' | 'scratch', { accuracy: number; f1: number; seconds: number }[]> = { pretrained: [], scratch: [] };
for (const seed of seeds) {
  for (const from of ['pretrained', 'scratch'] as const) {
    const { metrics, seconds } = finetune(seed, from);
    results[from].push({ accuracy: metrics.eval_accuracy, f1: metrics.eval_f1, seconds });
    console.log(`seed ${seed} ${from.padEnd(10)} accuracy ${metrics.eval_accuracy.toFixed(4)}  F1 ${metrics.eval_f1.toFixed(4)}  (${seconds.toFixed(0)} s)`);
  }
}
console.log('\nMRPC dev, mean ± sample std over seeds', seeds.join(', '));
for (const from of ['pretrained', 'scratch'] as const) {
  const rows = results[from];
  console.log(`${from.padEnd(10)} accuracy ${mean(rows.map((r) => r.accuracy)).toFixed(4)} ± ${std(rows.map((r) => r.accuracy)).toFixed(4)}` +
    `   F1 ${mean(rows.map((r) => r.f1)).toFixed(4)} ± ${std(rows.map((r) => r.f1)).toFixed(4)}`);
}
const gain = mean(results.pretrained.map((r) => r.accuracy)) - mean(results.scratch.map((r) => r.accuracy));
console.log(`gain from pre-training: ${(gain * 100).toFixed(1)} accuracy points; total ${((performance.now() - started) / 60000).toFixed(1)} min; ` +
  `load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`(work folder ${work})`);
