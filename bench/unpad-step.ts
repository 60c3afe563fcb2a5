// Unpadded tokens (ForwardOptions.unpad, models/unpad.ts) against the padded encoder: the trainer's step (forward,
// backward, clip, AdamW) on CPU for BERT-mini (bench/bert-mini.ts) fine-tuned on MRPC's train set, batch 32, fp32
// and bf16 autocast, with length-grouped dynamic padding and padded to 128. Same batches, same seeds; the two runs
// alternate (the first of the pair swaps every repeat) and repeats give medians: this machine is shared and noisy.
// Prints seconds per step, the speed-up, and the speed-up by the batch's padding share (what a default threshold
// would key on).
//
//   OMP_WAIT_POLICY=passive node --conditions=development --import tsx bench/unpad-step.ts [--steps 16] [--repeats 3]
//        [--threads 2] [--precision fp32,bf16] [--padding grouped,pad128[,grouped32]]
//
// --steps N times N batches spread evenly over the epoch, after 2 warm-up steps. pad128 is padToMultipleOf 128, capped
// (data/collate.ts) at the set's longest row rounded up to 8: T 104 for MRPC, as in bench/train-throughput.ts.
// OMP_WAIT_POLICY=passive (read when libtorch loads, so it is set on the command line): OpenMP threads that spin at
// barriers on a shared CPU made steps up to 10× slower.
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { trainBatches, type Batch } from '../packages/tunelab/src/data/collate.js';
import { sequenceClassificationFeatures } from '../packages/tunelab/src/data/features.js';
import { readGlueTsv } from '../packages/tunelab/src/data/glue.js';
import { AutoConfig } from '../packages/tunelab/src/models/auto.js';
import type { BertConfig } from '../packages/tunelab/src/models/bert/config.js';
import { BertForSequenceClassification } from '../packages/tunelab/src/models/bert/modeling.js';
import { AutoTokenizer } from '../packages/tunelab/src/tokenizers/auto.js';
import { train } from '../packages/tunelab/src/train/trainer.js';
import { paddingShare } from '../packages/tunelab/src/train/unpad.js';
import { BERT_BASE_UNCASED, BERT_MINI_CONFIG, SHARED, benchTrainerOptions, spreadOverEpoch } from './bert-mini.js';

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '16' }, repeats: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' },
    precision: { type: 'string', default: 'fp32,bf16' }, padding: { type: 'string', default: 'grouped,pad128' },
  },
});
const WARMUP = 2;
torch.setNumThreads(Number(flags.threads));

const tokenizer = await AutoTokenizer.fromPretrained(BERT_BASE_UNCASED);
const dataset = readGlueTsv('mrpc', join(SHARED, 'data/glue/MRPC/train.tsv'));
const features = await sequenceClassificationFeatures(tokenizer, dataset, { maxLength: 128 });
const config = AutoConfig.forModel('bert', BERT_MINI_CONFIG) as BertConfig;
const work = mkdtempSync(join(tmpdir(), 'tunelab-unpad-step-'));

/** How the batches are padded; grouped32 (length-grouped, widths rounded up to 32) gives padding shares in between. */
const PADDINGS = {
  grouped: { groupByLength: true }, pad128: { groupByLength: false, padToMultipleOf: 128 },
  grouped32: { groupByLength: true, padToMultipleOf: 32 },
} as const;

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
/** The share of all the batches' positions that are padding. */
const overallPaddingShare = (batches: Batch[]) =>
  sum(batches.map((b) => paddingShare(b) * b.attention_mask.length)) / sum(batches.map((b) => b.attention_mask.length));

/** Seconds of each timed step (between the trainer's progress calls: on CPU every step has finished by then). */
async function stepSeconds(batches: Batch[], unpad: boolean, precision: 'fp32' | 'bf16'): Promise<number[]> {
  torch.manualSeed(42);
  const model = BertForSequenceClassification.fromConfig(config, { numLabels: 2 });
  const times: number[] = [];
  let last = 0;
  await train({
    model, trainBatches: () => batches, saveModel: () => {},
    onProgress: (info) => {
      const now = performance.now();
      if (info.step > WARMUP) times.push((now - last) / 1000);
      last = now;
    },
    // 0: every batch with padding runs unpadded (the trainer's --unpad on); null: none does.
    options: benchTrainerOptions(work, { lr: 5e-5, warmupRatio: 0.1, precision, unpadMinPadding: unpad ? 0 : null }),
  });
  model.dispose();
  return times;
}

const cell = (cells: (string | number)[]) => cells.map((c) => String(c).padStart(12)).join(' ');
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** Padded and unpadded runs of one configuration, alternating; per-run step times. */
async function measure(precision: 'fp32' | 'bf16', batches: Batch[]): Promise<{ padded: number[][]; unpad: number[][] }> {
  const runs = { padded: [] as number[][], unpad: [] as number[][] };
  for (let r = 0; r < Number(flags.repeats); r++) {
    for (const unpad of r % 2 === 0 ? [false, true] : [true, false]) {
      runs[unpad ? 'unpad' : 'padded'].push(await stepSeconds(batches, unpad, precision));
    }
  }
  return runs;
}

/** Per-batch speed-ups by padding share, pooled over the padding modes of a precision. */
const BUCKETS = [[0, 0.1], [0.1, 0.3], [0.3, 0.5], [0.5, 1]] as const;
const rows = [cell(['precision', 'batches', 'width', 'padding', 'padded s/step', 'unpad s/step', 'speed-up'])];
const bucketRows = [cell(['precision', 'pad share', 'batches', 'speed-up'])];
console.log(`load average at start: ${load()}; OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(unset)'}`);
for (const precision of flags.precision.split(',') as ('fp32' | 'bf16')[]) {
  const perBatch: { share: number; speedUp: number }[] = [];
  for (const padding of flags.padding.split(',') as (keyof typeof PADDINGS)[]) {
    if (!PADDINGS[padding]) throw new Error(`--padding ${padding}: one of ${Object.keys(PADDINGS).join(', ')}`);
    const epoch = trainBatches(features, { batchSize: 32, seed: 42, epoch: 0, padId: tokenizer.padTokenId, ...PADDINGS[padding] });
    const batches = spreadOverEpoch(epoch, Number(flags.steps), WARMUP);
    const timed = batches.slice(WARMUP);
    const runs = await measure(precision, batches);
    const perStep = (run: number[]) => sum(run) / timed.length;
    const [padded, unpad] = [median(runs.padded.map(perStep)), median(runs.unpad.map(perStep))];
    const widths = timed.map((b) => b.size[1]);
    const width = Math.min(...widths) === Math.max(...widths) ? `T ${widths[0]}` : `T ${Math.min(...widths)}–${Math.max(...widths)}`;
    rows.push(cell([precision, padding, width, `${(overallPaddingShare(timed) * 100).toFixed(0)} %`, padded.toFixed(3), unpad.toFixed(3),
      `${(padded / unpad).toFixed(2)}×`]));
    console.log(`${precision} ${padding}: padded ${runs.padded.map((run) => perStep(run).toFixed(3)).join(', ')}; ` +
      `unpadded ${runs.unpad.map((run) => perStep(run).toFixed(3)).join(', ')} s/step`);
    timed.forEach((b, i) => perBatch.push({
      share: paddingShare(b), speedUp: median(runs.padded.map((run) => run[i]!)) / median(runs.unpad.map((run) => run[i]!)),
    }));
  }
  for (const [low, high] of BUCKETS) {
    const inBucket = perBatch.filter((b) => b.share >= low && (b.share < high || high === 1));
    if (inBucket.length > 0) {
      bucketRows.push(cell([precision, `${low * 100}–${high * 100} %`, inBucket.length, `${median(inBucket.map((b) => b.speedUp)).toFixed(2)}×`]));
    }
  }
}
console.log(`\nBERT-mini sequence classifier on MRPC train, batch 32, ${flags.threads} threads, libtorch ${torch.buildInfo().libtorch}; ` +
  `${flags.steps} batches spread over the epoch after ${WARMUP} warm-up steps, median of ${flags.repeats} alternating repeats; ` +
  'padding = share of the timed positions that are padding; speed-up = padded s/step ÷ unpadded s/step. ' +
  `Load average at end: ${load()}\n`);
console.log(rows.join('\n'));
console.log('\nper batch, by its padding share (median of the per-batch speed-ups):');
console.log(bucketRows.join('\n'));
