// Proves the NCCL path of @tunelab/torch on one GPU (a world of 1) and measures what the gradient all-reduce costs
// on a small training job: the same steps with no process group, and with the gradient reducer after backward and
// overlapped with it. A world of 1 still runs every NCCL collective (DataParallel skips them at world size 1,
// so this calls the reducer directly). Prints one line `NCCL_CHECK {json}`; exit 1 if a check fails.
//   node --conditions=development --import tsx scripts/gpu/nccl-check.ts [--backend nccl --device cuda --steps 30]
// (--backend gloo --device cpu runs the same script on a machine without a GPU.)
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { distributed, optim, type Device } from '@tunelab/torch';
import { BertForSequenceClassification, parseBertConfig } from '../../packages/tunelab/src/models/index.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'nccl' }, device: { type: 'string', default: 'cuda' },
    steps: { type: 'string', default: '30' }, warmup: { type: 'string', default: '5' },
    batch: { type: 'string', default: '32' }, seq: { type: 'string', default: '128' },
    port: { type: 'string', default: '29631' },
  },
});
const backend = values.backend as distributed.Backend;
const device = values.device as Device;
const [steps, warmup, batch, seq, port] = [values.steps, values.warmup, values.batch, values.seq, values.port].map(Number) as
  [number, number, number, number, number];

/** A 4-layer, 256-wide BERT classifier (≈11M parameters): several 25 MiB-capped buckets' worth of gradients. */
const CONFIG = {
  model_type: 'bert', vocab_size: 30522, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4,
  intermediate_size: 1024, max_position_embeddings: 512, type_vocab_size: 2, hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0, layer_norm_eps: 1e-12, initializer_range: 0.02, hidden_act: 'gelu', num_labels: 2,
};

type Sync = 'none' | 'after-backward' | 'overlap';
interface Timing { sync: Sync; secondsPerStep: number; finalLoss: number }

const checks: { name: string; ok: boolean; detail: string }[] = [];
function check(name: string, ok: boolean, detail = ''): void {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}

/** allReduce (sum, avg), broadcast, allGather and barrier give a world of 1's identities. */
function collectives(group: distributed.ProcessGroup): void {
  torch.scope(() => {
    const summed = torch.tensor([1.5, -2, 3], { dtype: 'float32', device });
    group.allReduce(summed);
    const averaged = torch.tensor([4, 8], { dtype: 'float32', device });
    group.allReduce(averaged, { op: 'avg' });
    const broadcast = torch.tensor([7, 9], { dtype: 'float32', device });
    group.broadcast(broadcast, { src: 0 });
    const gathered = group.allGather(torch.tensor([5], { dtype: 'float32', device })).map((t) => t.toArray());
    group.barrier();
    const got = JSON.stringify([summed.toArray(), averaged.toArray(), broadcast.toArray(), gathered]);
    check(`${backend} allReduce/broadcast/allGather/barrier on ${device} (world 1)`, got === '[[1.5,-2,3],[4,8],[7,9],[[5]]]', got);
  });
}

function makeModel() {
  torch.manualSeed(42);
  return BertForSequenceClassification.fromConfig(parseBertConfig(CONFIG, 'nccl-check config'), { device });
}

function makeInputs() {
  torch.manualSeed(7);
  return {
    input_ids: torch.keep(torch.randint(1, CONFIG.vocab_size, [batch, seq], { device })),
    attention_mask: torch.keep(torch.ones([batch, seq], { dtype: 'int64', device })),
    token_type_ids: torch.keep(torch.zeros([batch, seq], { dtype: 'int64', device })),
    labels: torch.keep(torch.randint(0, 2, [batch], { device })),
  };
}

/** The reducer's averaged gradients equal plain backward's (world 1: the average is the gradient itself). */
function reducerMatchesBackward(group: distributed.ProcessGroup, overlap: boolean): void {
  const model = makeModel();
  const params = model.parameters();
  const inputs = makeInputs();
  const flatGrads = () => torch.keep(torch.scope(() => torch.cat(params.map((p) => p.grad!.flatten()))));
  torch.scope(() => model.forward(inputs, { train: true }).loss!.backward());
  const reference = flatGrads();
  for (const p of params) p.grad = null;
  const reducer = group.gradientReducer(params, { bucketBytes: 25 * 1024 * 1024, overlap });
  torch.scope(() => model.forward(inputs, { train: true }).loss!.backward());
  reducer.averageGradients();
  const reduced = flatGrads();
  const diff = torch.scope(() => reduced.sub(reference).abs().max().item());
  check(`gradient reducer (overlap=${overlap}, ${reducer.bucketCount} buckets) = plain gradients`, diff <= 1e-6,
    `max |diff| ${diff.toExponential(1)} over ${reference.numel()} values`);
  reference.dispose();
  reduced.dispose();
  reducer.dispose();
  model.dispose();
  for (const t of Object.values(inputs)) t.dispose();
}

/** Seconds per training step (forward, backward, [gradient sync], AdamW) after `warmup` steps. */
function timeSteps(group: distributed.ProcessGroup | null, sync: Sync): Timing {
  const model = makeModel();
  const params = model.parameters();
  const optimizer = new optim.AdamW(params, { lr: 5e-5 });
  const inputs = makeInputs();
  const reducer = group && sync !== 'none'
    ? group.gradientReducer(params, { bucketBytes: 25 * 1024 * 1024, overlap: sync === 'overlap' }) : null;
  let start = 0;
  let loss = 0;
  for (let step = 0; step < warmup + steps; step++) {
    if (step === warmup) {
      if (device !== 'cpu') torch.cuda.synchronize();
      start = performance.now();
    }
    loss = torch.scope(() => {
      const out = model.forward(inputs, { train: true }).loss!;
      out.backward();
      reducer?.averageGradients();
      optimizer.step();
      optimizer.zeroGrad();
      return out.item(); // waits for the step, as a training loop logging its loss does
    });
  }
  const secondsPerStep = (performance.now() - start) / 1000 / steps;
  reducer?.dispose();
  model.dispose();
  for (const t of Object.values(inputs)) t.dispose();
  return { sync, secondsPerStep, finalLoss: loss };
}

function main(): void {
  const info = torch.buildInfo();
  const backends = distributed.availableBackends();
  console.log(`libtorch ${info.libtorch}, cuda ${info.cuda ?? 'none'} (available ${info.cudaAvailable}), backends [${backends.join(', ')}]`);
  if (!backends.includes(backend)) {
    check(`${backend} backend compiled in`, false, `this build has [${backends.join(', ')}]`);
    return;
  }
  if (device !== 'cpu' && !torch.cuda.isAvailable()) {
    check(`CUDA available for ${backend}`, false, 'torch.cuda.isAvailable() is false');
    return;
  }
  const joinStart = performance.now();
  const group = distributed.initProcessGroup({
    backend, rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 60_000,
  });
  const joinSeconds = (performance.now() - joinStart) / 1000;
  try {
    collectives(group);
    reducerMatchesBackward(group, false);
    reducerMatchesBackward(group, true);
    const timings = (['none', 'after-backward', 'overlap'] as Sync[]).map((sync) => timeSteps(sync === 'none' ? null : group, sync));
    const base = timings[0]!.secondsPerStep;
    for (const t of timings) {
      console.log(`${t.sync.padEnd(15)} ${(t.secondsPerStep * 1000).toFixed(2)} ms/step (×${(t.secondsPerStep / base).toFixed(3)}), final loss ${t.finalLoss.toFixed(4)}`);
    }
    const sameLoss = timings.every((t) => Math.abs(t.finalLoss - timings[0]!.finalLoss) <= 1e-3 * Math.max(1, Math.abs(timings[0]!.finalLoss)));
    check('same losses with and without the process group', sameLoss, timings.map((t) => t.finalLoss.toFixed(5)).join(' / '));
    const result = {
      backend, device, worldSize: 1, joinSeconds, steps, batch, seq,
      msPerStep: Object.fromEntries(timings.map((t) => [t.sync, t.secondsPerStep * 1000])),
      overheadAfterBackward: timings[1]!.secondsPerStep / base - 1,
      overheadOverlap: timings[2]!.secondsPerStep / base - 1,
      checks,
    };
    console.log(`NCCL_CHECK ${JSON.stringify(result)}`);
  } finally {
    group.destroy();
  }
}

main();
if (checks.some((c) => !c.ok)) process.exitCode = 1;
