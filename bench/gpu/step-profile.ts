// Where a BERT-base training step's time goes on a GPU: tunelab vs PyTorch + transformers (bench/gpu/step_profile.py)
// on the same card, same config, same batch. Each phase (forward, backward, clip, AdamW) is timed between two
// synchronizations, with the host time to queue it; then free-running steps with one synchronization at the end,
// as a training loop that reads its loss only when it logs. Ratios are PyTorch time / tunelab time (> 1: we are faster).
//   node --conditions=development --import tsx bench/gpu/step-profile.ts --config DIR/config.json
//        [--device cuda --precision bf16 --batch 32 --seq 128 --steps 20 --warmup 5 --python python3]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { nn, optim, type Device, type Tensor } from '@tunelab/torch';
import { BertForSequenceClassification, parseBertConfig } from '../../packages/tunelab/src/models/index.js';
import { withAutocast, type Precision } from '../../packages/tunelab/src/train/precision.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' }, device: { type: 'string', default: 'cuda' }, precision: { type: 'string', default: 'bf16' },
    batch: { type: 'string', default: '32' }, seq: { type: 'string', default: '128' },
    steps: { type: 'string', default: '20' }, warmup: { type: 'string', default: '5' }, python: { type: 'string', default: 'python3' },
    fused: { type: 'boolean', default: true },
  },
});
if (!values.config) throw new Error('--config: the path of a BERT config.json is required');
const device = values.device as Device;
const precision = values.precision as Precision;
const [batch, seq, steps, warmup] = [values.batch, values.seq, values.steps, values.warmup].map(Number) as [number, number, number, number];
const PHASES = ['forward', 'backward', 'clip', 'optimizer'] as const;
type Phase = (typeof PHASES)[number];
export interface Profile {
  /** Per phase: milliseconds between synchronizations, and host milliseconds until the call returned. */
  phases: Record<Phase, { ms: number; hostMs: number }>;
  /** Free-running steps: one synchronization after all of them. */
  msPerStep: number;
  loss: number;
}

/** Row i attends to its first 48 + (37·i mod 80) tokens (the Python peer builds the same batch). */
function makeInputs(vocabSize: number): Record<string, Tensor> {
  const ids = Int32Array.from({ length: batch * seq }, (_, k) => 1 + ((k * 7919) % (vocabSize - 1)));
  const mask = Int32Array.from({ length: batch * seq }, (_, k) => (k % seq < Math.min(seq, 48 + ((37 * Math.floor(k / seq)) % 80)) ? 1 : 0));
  const long = (data: Int32Array, shape: number[]) => torch.keep(torch.fromTypedArray(data, shape, { dtype: 'int64', device }));
  return {
    input_ids: long(ids, [batch, seq]), attention_mask: long(mask, [batch, seq]),
    token_type_ids: long(new Int32Array(batch * seq), [batch, seq]),
    labels: long(Int32Array.from({ length: batch }, (_, i) => i % 2), [batch]),
  };
}

function sync(): void {
  if (device !== 'cpu') torch.cuda.synchronize();
}

function profile(): Profile {
  const config = parseBertConfig({ ...JSON.parse(readFileSync(values.config!, 'utf8')), num_labels: 2 }, values.config!);
  torch.manualSeed(42);
  const model = BertForSequenceClassification.fromConfig(config, { device });
  const params = model.parameters();
  const optimizer = new optim.AdamW(params, { lr: 2e-5, weightDecay: 0.01, fused: values.fused && optim.AdamW.fusedAvailable(device) });
  const inputs = makeInputs(config.vocab_size);
  const totals: Record<Phase, { ms: number; hostMs: number }> = Object.fromEntries(PHASES.map((p) => [p, { ms: 0, hostMs: 0 }])) as never;
  const timed = <T>(phase: Phase, counted: boolean, fn: () => T): T => {
    const start = performance.now();
    const result = fn();
    const queued = performance.now();
    sync();
    if (counted) {
      totals[phase].hostMs += queued - start;
      totals[phase].ms += performance.now() - start;
    }
    return result;
  };
  let loss = 0;
  for (let step = 0; step < warmup + steps; step++) {
    const counted = step >= warmup;
    torch.scope(() => {
      const out = timed('forward', counted, () => withAutocast(precision, device, () => model.forward(inputs, { train: true })).loss!.float());
      timed('backward', counted, () => out.backward());
      timed('clip', counted, () => nn.utils.clipGradNorm(params, 1.0));
      timed('optimizer', counted, () => { optimizer.step(); optimizer.zeroGrad(); });
      loss = out.item();
    });
  }
  for (const phase of PHASES) for (const key of ['ms', 'hostMs'] as const) totals[phase][key] /= steps;

  sync();
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    torch.scope(() => {
      const out = withAutocast(precision, device, () => model.forward(inputs, { train: true })).loss!.float();
      out.backward();
      nn.utils.clipGradNorm(params, 1.0);
      optimizer.step();
      optimizer.zeroGrad();
    });
  }
  sync();
  const msPerStep = (performance.now() - start) / steps;
  model.dispose();
  return { phases: totals, msPerStep, loss };
}

function peer(): Profile | string {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'step_profile.py');
  const args = [script, values.config!, device, precision, ...[batch, seq, steps, warmup].map(String)];
  const run = spawnSync(values.python!, args, { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } });
  const line = run.stdout?.split('\n').find((l) => l.startsWith('STEP_PROFILE '));
  return line ? JSON.parse(line.slice('STEP_PROFILE '.length)) as Profile : `peer failed: ${(run.stderr || run.error?.message || '').trim().split('\n').at(-1)}`;
}

const ours = profile();
const theirs = peer();
const f = (ms: number) => ms.toFixed(2).padStart(8);
console.log(`BERT step profile: ${device}, ${precision}, batch ${batch} × ${seq}, ${steps} steps after ${warmup} (tunelab ${torch.buildInfo().libtorch})`);
console.log('phase        tunelab ms (host)    PyTorch ms (host)    PyTorch / tunelab');
for (const phase of PHASES) {
  const a = ours.phases[phase];
  const b = typeof theirs === 'string' ? null : theirs.phases[phase];
  console.log(`${phase.padEnd(10)} ${f(a.ms)} (${f(a.hostMs)})  ${b ? `${f(b.ms)} (${f(b.hostMs)})  ${(b.ms / a.ms).toFixed(2)}` : '–'}`);
}
const peerStep = typeof theirs === 'string' ? null : theirs.msPerStep;
console.log(`free-running ${f(ours.msPerStep)} ms/step       ${peerStep === null ? '–' : `${f(peerStep)} ms/step       ${(peerStep / ours.msPerStep).toFixed(2)}`}`);
if (typeof theirs === 'string') console.log(theirs);
console.log(`STEP_PROFILE_RESULT ${JSON.stringify({ device, precision, batch, seq, steps, tunelab: ours, pytorch: theirs })}`);
