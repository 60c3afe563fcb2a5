// Masked-LM training step on CPU: the trainer (train/trainer.ts) on a small BERT (bench/pretrain-gain.ts's default:
// 2 layers, hidden 128, vocab 8000) with run_mlm's masking rate (15 % of the tokens labelled), decoding only the
// labelled tokens (what the trainer asks for: `outputs: []`) against decoding every token (the same model with the
// option dropped: the step before models/heads.ts maskedLMLogitsAndLoss). Same batches, same seeds; the two runs
// alternate, repeats give medians (the machine is shared and noisy).
//
//   OMP_WAIT_POLICY=passive node --conditions=development --import tsx bench/mlm-step.ts [--steps 10] [--repeats 3]
//        [--threads 2] [--precision fp32,bf16] [--batch-size 64] [--seq 64] [--vocab 8000] [--hidden 128] [--layers 2]
//
// OMP_WAIT_POLICY=passive (read when libtorch loads, so it is set on the command line): on a CPU shared with other
// processes, OpenMP threads that spin at barriers while their peer waits for a core made steps up to 10× slower.
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import type { Batch } from '../packages/tunelab/src/data/collate.js';
import { AutoConfig } from '../packages/tunelab/src/models/auto.js';
import type { BertConfig } from '../packages/tunelab/src/models/bert/config.js';
import { BertForMaskedLM } from '../packages/tunelab/src/models/bert/pretraining.js';
import type { MaskedLMInputs, MaskedLMOutput } from '../packages/tunelab/src/models/heads.js';
import type { ForwardOptions } from '../packages/tunelab/src/models/modules.js';
import { train } from '../packages/tunelab/src/train/trainer.js';
import { benchTrainerOptions } from './bert-mini.js';

const { values: flags } = parseArgs({
  options: {
    steps: { type: 'string', default: '10' }, repeats: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' },
    precision: { type: 'string', default: 'fp32,bf16' }, 'batch-size': { type: 'string', default: '64' },
    seq: { type: 'string', default: '64' }, vocab: { type: 'string', default: '8000' },
    hidden: { type: 'string', default: '128' }, layers: { type: 'string', default: '2' },
  },
});
const WARMUP = 2;
const [STEPS, BATCH, SEQ, VOCAB, HIDDEN] = [flags.steps, flags['batch-size'], flags.seq, flags.vocab, flags.hidden].map(Number) as
  [number, number, number, number, number];
torch.setNumThreads(Number(flags.threads));
const work = mkdtempSync(join(tmpdir(), 'tunelab-mlm-step-'));

/** The step before: every token decoded, whatever the caller reads. */
class DecodeEveryToken extends BertForMaskedLM {
  override forward(inputs: MaskedLMInputs, options: ForwardOptions = {}): MaskedLMOutput {
    return super.forward(inputs, { train: options.train });
  }
}

/** Full blocks (group_texts) of seeded ids, 15 % of the tokens labelled. */
function batches(count: number): Batch[] {
  let state = 12345;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: count }, (_, i) => {
    const n = BATCH * SEQ;
    const input_ids = Int32Array.from({ length: n }, () => 5 + Math.floor(random() * (VOCAB - 5)));
    const labels = input_ids.map((id) => (random() < 0.15 ? id : -100));
    return {
      size: [BATCH, SEQ], input_ids, attention_mask: new Int32Array(n).fill(1), token_type_ids: new Int32Array(n), labels,
      feature_index: Int32Array.from({ length: BATCH }, (_, b) => i * BATCH + b),
    };
  });
}

const config = AutoConfig.forModel('bert', {
  vocab_size: VOCAB, hidden_size: HIDDEN, num_hidden_layers: Number(flags.layers), num_attention_heads: Math.max(1, HIDDEN / 64),
  intermediate_size: HIDDEN * 4, max_position_embeddings: 128,
}) as BertConfig;
const data = batches(WARMUP + STEPS);

/** Seconds per step of STEPS trainer steps after WARMUP. */
async function secondsPerStep(decodeEveryToken: boolean, precision: 'fp32' | 'bf16'): Promise<number> {
  torch.manualSeed(42);
  const model = decodeEveryToken ? new DecodeEveryToken(config) : new BertForMaskedLM(config);
  let started = 0;
  await train({
    model, trainBatches: () => data, saveModel: () => {},
    onProgress: (info) => { if (info.step === WARMUP) started = performance.now(); },
    options: benchTrainerOptions(work, { lr: 1e-3, warmupRatio: 0.06, precision }),
  });
  model.dispose();
  return (performance.now() - started) / 1000 / STEPS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')}; OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? '(unset)'}`);
const rows = [['precision', 'every token s/step', 'labelled only s/step', 'speed-up'].map((c) => c.padStart(20)).join(' ')];
for (const precision of flags.precision.split(',') as ('fp32' | 'bf16')[]) {
  const times = { every: [] as number[], labelled: [] as number[] };
  for (let r = 0; r < Number(flags.repeats); r++) {
    // Alternate which runs first, so a drift in the machine's load hits both.
    for (const every of r % 2 === 0 ? [true, false] : [false, true]) {
      times[every ? 'every' : 'labelled'].push(await secondsPerStep(every, precision));
    }
  }
  const [every, labelled] = [median(times.every), median(times.labelled)];
  rows.push([precision, every.toFixed(3), labelled.toFixed(3), `${(every / labelled).toFixed(2)}×`].map((c) => c.padStart(20)).join(' '));
  console.log(`${precision}: every token ${times.every.map((t) => t.toFixed(3)).join(', ')}; labelled only ${times.labelled.map((t) => t.toFixed(3)).join(', ')} s/step`);
}
console.log(`\nBERT ${flags.layers} layers, hidden ${HIDDEN}, vocab ${VOCAB}; batch ${BATCH} × ${SEQ} tokens, 15 % labelled; ` +
  `${flags.threads} threads; ${STEPS} timed steps after ${WARMUP}, median of ${flags.repeats} alternating repeats; ` +
  `load average at end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log(rows.join('\n'));
