// Training throughput on CPU: BERT-mini (4 layers, hidden 256, 4 heads, intermediate 1024, bert-base-uncased
// vocabulary) fine-tuned on MRPC's train set, batch 32, fp32 and bf16, padded to 128 and with dynamic padding +
// length grouping — tunelab's trainer against the same training in PyTorch-Python (bench/train-peer.py) on the same
// libtorch, with the very same batches. Prints real tokens/s, seconds per step and per epoch, and the ratios.
//
//   node --conditions=development --import tsx bench/train-throughput.ts [--steps 24] [--threads 2] [--full]
//        [--precision fp32,bf16] [--padding pad128,grouped] [--separate-qkv] [--repeats 3] [--pad-to-multiple-of 1,8]
//        [--unpad auto|on|off] [--profile]
//
// --steps N times N batches spread evenly over the epoch (both sides, same batches) and extrapolates the epoch;
// --full runs every batch of the epoch. The first 2 steps of each run are warm-up and not timed. --separate-qkv runs
// tunelab with three query/key/value GEMMs instead of the fused one (an A/B of models/modules.ts fusedProjections).
// --repeats N runs each configuration N times, tunelab and PyTorch alternating (the first of the pair swaps every
// repeat), and prints the medians of seconds per step: this machine is shared and noisy. --pad-to-multiple-of rounds
// the grouped batches' lengths up (both sides get the same batches): fewer distinct shapes, each of which costs its
// first step extra (oneDNN builds a kernel per GEMM shape), for more padding; run with --full to see it over an epoch.
// --unpad is tunelab's flag (train/unpad.ts; default auto: on the CPU, batches with >= 25 % padding run on their real
// tokens only — the padded-to-128 batches here); PyTorch always runs the padded batches it is given. --profile prints
// tunelab's epoch profile (train/profile.ts) of each run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { trainBatches, type Batch } from '../packages/tunelab/src/data/collate.js';
import { sequenceClassificationFeatures } from '../packages/tunelab/src/data/features.js';
import { readGlueTsv } from '../packages/tunelab/src/data/glue.js';
import { AutoConfig, AutoModelForSequenceClassification } from '../packages/tunelab/src/models/auto.js';
import { fusedProjections } from '../packages/tunelab/src/models/modules.js';
import { AutoTokenizer } from '../packages/tunelab/src/tokenizers/auto.js';
import { formatProfile } from '../packages/tunelab/src/train/profile.js';
import { train } from '../packages/tunelab/src/train/trainer.js';
import { resolveUnpad, type UnpadMode } from '../packages/tunelab/src/train/unpad.js';
import { BERT_BASE_UNCASED, BERT_MINI_CONFIG, SHARED, benchTrainerOptions, spreadOverEpoch } from './bert-mini.js';

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '24' }, threads: { type: 'string', default: '2' }, full: { type: 'boolean', default: false },
    precision: { type: 'string', default: 'fp32,bf16' }, padding: { type: 'string', default: 'pad128,grouped' },
    'separate-qkv': { type: 'boolean', default: false }, repeats: { type: 'string', default: '1' },
    'pad-to-multiple-of': { type: 'string', default: '1' }, unpad: { type: 'string', default: 'auto' },
    profile: { type: 'boolean', default: false },
  },
});
const THREADS = Number(flags.threads);
const WARMUP = 2;

torch.setNumThreads(THREADS);
fusedProjections.enabled = !flags['separate-qkv'];
const UNPAD = resolveUnpad(flags.unpad as UnpadMode, 'cpu', false);
const tokenizer = await AutoTokenizer.fromPretrained(BERT_BASE_UNCASED);
const dataset = readGlueTsv('mrpc', join(SHARED, 'data/glue/MRPC/train.tsv'));
const features = await sequenceClassificationFeatures(tokenizer, dataset, { maxLength: 128 });
const work = mkdtempSync(join(tmpdir(), 'tunelab-bench-'));
writeFileSync(join(work, 'config.json'), JSON.stringify({ ...BERT_MINI_CONFIG, model_type: 'bert' }));

interface Measured { seconds: number; steps: number; realTokens: number; paddedTokens: number }

/** The timed batches: warm-up ones first, then N spread evenly over the epoch (or all of it). */
const pick = (epoch: Batch[]): Batch[] => (flags.full ? epoch : spreadOverEpoch(epoch, Number(flags.steps), WARMUP));

const realTokens = (batches: Batch[]) => batches.reduce((s, b) => s + b.attention_mask.reduce((a, v) => a + v, 0), 0);

async function runTunelab(batches: Batch[], precision: 'fp32' | 'bf16'): Promise<Measured> {
  torch.manualSeed(42);
  const config = AutoConfig.forModel('bert', BERT_MINI_CONFIG);
  const model = AutoModelForSequenceClassification.fromConfig(config, { numLabels: 2 });
  let started = 0;
  const result = await train({
    model, trainBatches: () => batches, saveModel: () => {},
    onProgress: (info) => { if (info.step === WARMUP) started = performance.now(); },
    options: benchTrainerOptions(work, { lr: 5e-5, warmupRatio: 0.1, precision, profile: flags.profile, unpadMinPadding: UNPAD.minPadding }),
  });
  const timed = batches.slice(WARMUP);
  if (result.profile) console.log(formatProfile(result.profile));
  model.dispose();
  return { seconds: (performance.now() - started) / 1000, steps: timed.length, realTokens: realTokens(timed), paddedTokens: timed.reduce((s, b) => s + b.input_ids.length, 0) };
}

/** Writes the batches for train-peer.py (int32 words: count, then B, T, ids, mask, types, labels per batch). */
function writeBatches(batches: Batch[], file: string): void {
  const words: number[] = [batches.length];
  for (const b of batches) {
    words.push(b.size[0], b.size[1], ...b.input_ids, ...b.attention_mask, ...b.token_type_ids, ...(b.labels as Int32Array));
  }
  writeFileSync(file, Buffer.from(Int32Array.from(words).buffer));
}

function runPython(batches: Batch[], precision: 'fp32' | 'bf16'): Measured {
  writeBatches(batches, join(work, 'all.bin'));
  const result = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'train-peer.py'), join(work, 'all.bin'),
    join(work, 'config.json'), precision, String(THREADS), String(WARMUP)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`train-peer.py failed: ${result.stderr}`);
  const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { seconds: number; steps: number; real_tokens: number; padded_tokens: number };
  return { seconds: out.seconds, steps: out.steps, realTokens: out.real_tokens, paddedTokens: out.padded_tokens };
}

/** The run with the median seconds (the runs time the same batches). */
function medianRun(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)];
}

const rows: string[] = [];
const line = (cells: (string | number)[]) => cells.map((c) => String(c).padStart(11)).join(' ');
rows.push(line(['precision', 'batches', 'impl', 's/step', 'real tok/s', 's/epoch', 'speed ratio']));
for (const precision of flags.precision.split(',') as ('fp32' | 'bf16')[]) {
  const paddings = flags.padding.split(',').flatMap((padding) => padding === 'grouped'
    ? flags['pad-to-multiple-of'].split(',').map((multiple) => ({ name: multiple === '1' ? 'grouped' : `grouped/${multiple}`, multiple: Number(multiple) }))
    : [{ name: padding, multiple: 128 }]);
  for (const padding of paddings) {
    const epoch = trainBatches(features, {
      batchSize: 32, seed: 42, epoch: 0, padId: tokenizer.padTokenId,
      groupByLength: padding.name !== 'pad128', padToMultipleOf: padding.multiple,
    });
    const batches = pick(epoch);
    const runs: { ours: Measured; peer: Measured }[] = [];
    for (let r = 0; r < Number(flags.repeats); r++) {
      if (r % 2 === 0) {
        const ours = await runTunelab(batches, precision);
        runs.push({ ours, peer: runPython(batches, precision) });
      } else {
        const peer = runPython(batches, precision);
        runs.push({ ours: await runTunelab(batches, precision), peer });
      }
    }
    const ours = medianRun(runs.map((run) => run.ours));
    const peer = medianRun(runs.map((run) => run.peer));
    for (const [impl, m] of [['tunelab', ours], ['pytorch', peer]] as const) {
      const perStep = m.seconds / m.steps;
      rows.push(line([precision, padding.name, impl, perStep.toFixed(3), (m.realTokens / m.seconds).toFixed(0),
        (perStep * epoch.length).toFixed(1), impl === 'tunelab' ? `${(peer.seconds / peer.steps / perStep).toFixed(2)}×` : '']));
    }
    console.log(rows.slice(-2).join('\n'));
  }
}
console.log(`\nBERT-mini on MRPC train (${features.features.length} examples, ${Math.ceil(features.features.length / 32)} steps/epoch), ` +
  `batch 32, ${THREADS} threads, libtorch ${torch.buildInfo().libtorch}; ${flags.full ? 'whole epoch' : `${flags.steps} batches spread over the epoch`}, ` +
  `median of ${flags.repeats} alternating repeat(s) ` +
  `(epoch time extrapolated from s/step); tunelab --unpad ${flags.unpad}. speed ratio = PyTorch s/step ÷ tunelab s/step (> 1: tunelab faster).\n`);
console.log(rows.join('\n'));
