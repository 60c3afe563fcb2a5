// Forward + backward + AdamW step of a BERT-base-shaped encoder stack (hidden 768, 12 heads, intermediate 3072)
// on the CPU through @tunelab/torch vs the same ops in PyTorch-Python (bench/torch-encoder.py, same libtorch and
// thread count), fp32 and bf16 autocast. The ratio is the binding's overhead (goal: <= 1.05).
//   node --conditions=development --import tsx bench/torch-encoder.ts [--layers 2] [--batch 8] [--seq 128] [--steps 3] [--warmup 1] [--threads 2]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { F, optim, type Tensor } from '@tunelab/torch';

const HIDDEN = 768, HEADS = 12, INTERMEDIATE = 3072;
const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '2' }, batch: { type: 'string', default: '8' }, seq: { type: 'string', default: '128' },
    steps: { type: 'string', default: '3' }, warmup: { type: 'string', default: '1' }, threads: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const [layers, batch, seq, steps, warmup, threads] = ['layers', 'batch', 'seq', 'steps', 'warmup', 'threads'].map((k) => Number(values[k as keyof typeof values]));

function makeLayer(): Tensor[] {
  const linear = (outF: number, inF: number) => [torch.randn([outF, inF]).mul_(0.02).requiresGrad_(), torch.zeros([outF], { requiresGrad: true })];
  const norm = () => [torch.ones([HIDDEN], { requiresGrad: true }), torch.zeros([HIDDEN], { requiresGrad: true })];
  return [...linear(HIDDEN, HIDDEN), ...linear(HIDDEN, HIDDEN), ...linear(HIDDEN, HIDDEN), ...linear(HIDDEN, HIDDEN), ...norm(),
    ...linear(INTERMEDIATE, HIDDEN), ...linear(HIDDEN, INTERMEDIATE), ...norm()];
}

function encoderLayer(x: Tensor, p: Tensor[], mask: Tensor): Tensor {
  const [wq, bq, wk, bk, wv, bv, wo, bo, g1, b1, wi, bi, wo2, bo2, g2, b2] = p;
  const [B, T, H] = x.shape;
  const heads = (t: Tensor) => t.view(B, T, HEADS, H / HEADS).transpose(1, 2);
  const q = heads(F.linear(x, wq, bq)), k = heads(F.linear(x, wk, bk)), v = heads(F.linear(x, wv, bv));
  const ctx = F.scaledDotProductAttention(q, k, v, { attnMask: mask, dropoutP: 0.1 }).transpose(1, 2).reshape(B, T, H);
  const h1 = F.layerNorm(F.dropout(F.linear(ctx, wo, bo), 0.1, true).add(x), [H], g1, b1, 1e-12);
  const inter = F.gelu(F.linear(h1, wi, bi));
  return F.layerNorm(F.dropout(F.linear(inter, wo2, bo2), 0.1, true).add(h1), [H], g2, b2, 1e-12);
}

interface Timing {
  /** Fastest step, wall clock (s). */
  seconds: number;
  /** Fastest step, CPU time of the whole process (s): less sensitive to other load on the machine. */
  cpu: number;
}

function run(bf16: boolean): Timing {
  torch.manualSeed(0);
  const params = Array.from({ length: layers }, makeLayer);
  const opt = new optim.AdamW(params.flat(), { lr: 1e-4 });
  const x = torch.randn([batch, seq, HIDDEN]);
  const mask = torch.zeros([batch, 1, 1, seq]);
  const step = () => torch.scope(() => {
    const loss = torch.autocast({ device: 'cpu', dtype: 'bfloat16', enabled: bf16 }, () => {
      let h = x;
      for (const p of params) h = encoderLayer(h, p, mask);
      return h.float().pow(2).mean();
    });
    loss.backward();
    opt.step();
    opt.zeroGrad();
    return loss.item();
  });
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [], cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now(), startCpu = process.cpuUsage();
    step();
    times.push((performance.now() - start) / 1000);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1e6);
  }
  for (const p of params.flat()) p.dispose();
  return { seconds: Math.min(...times), cpu: Math.min(...cpu) }; // the least disturbed step
}

const script = join(dirname(fileURLToPath(import.meta.url)), 'torch-encoder.py');
function runPeer(precision: 'fp32' | 'bf16'): Timing & { torch: string } {
  const peer = spawnSync(values.python!, [script, ...[layers, batch, seq, steps, warmup, threads].map(String), precision], { encoding: 'utf8' });
  if (peer.status !== 0) throw new Error(`python peer failed: ${peer.stderr}`);
  return JSON.parse(peer.stdout.trim().split('\n').pop()!);
}

torch.setNumThreads(threads);
// Interleaved, so that both sides see the same background load.
const ours: Record<string, Timing> = {}, theirs: Record<string, Timing> = {};
let peerTorch = '';
for (const precision of ['fp32', 'bf16'] as const) {
  ours[precision] = run(precision === 'bf16');
  const peer = runPeer(precision);
  theirs[precision] = peer;
  peerTorch = peer.torch;
}

console.log(`BERT-base encoder stack: ${layers} layers, batch ${batch}x${seq}, forward+backward+AdamW, ${threads} threads, ` +
  `fastest of ${steps} steps after ${warmup} warm-up (libtorch ${torch.buildInfo().libtorch}; python torch ${peerTorch})`);
console.log('precision  clock   @tunelab/torch   PyTorch-Python   ratio');
for (const precision of ['fp32', 'bf16'] as const) {
  for (const clock of ['seconds', 'cpu'] as const) {
    const a = ours[precision][clock], b = theirs[precision][clock];
    console.log(`${precision.padEnd(9)}  ${(clock === 'seconds' ? 'wall' : 'cpu').padEnd(5)}  ${a.toFixed(3).padStart(12)} s   ${b.toFixed(3).padStart(12)} s   ${(a / b).toFixed(3)}`);
  }
}
