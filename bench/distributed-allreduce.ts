// All-reduce bandwidth between 2 CPU ranks over Gloo (loopback TCP) for a BERT-base-sized gradient (~110M floats):
// one flat tensor (the raw collective, vs torch.distributed in Python on the same machine), and the bucketed gradient
// sync of DataParallel (25 MiB buckets over BERT-base's 201 parameter shapes: flatten + all-reduce + average + write back).
//   node --conditions=development --import tsx bench/distributed-allreduce.ts [--repeats 3]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { distributed, type Tensor } from '@tunelab/torch';
import { createDataParallel } from '../packages/tunelab/src/distributed/data-parallel.js';
import { rankFromEnv } from '../packages/tunelab/src/distributed/env.js';
import { launch } from '../packages/tunelab/src/distributed/launcher.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { repeats: { type: 'string', default: '3' } } });
const repeats = Number(values.repeats);

/** BERT-base (uncased) + a 2-label classifier: every parameter's shape, in model order. */
function bertBaseShapes(): number[][] {
  const h = 768;
  const layer = [[h, h], [h], [h, h], [h], [h, h], [h], [h, h], [h], [h], [h], [3072, h], [3072], [h, 3072], [h], [h], [h]];
  return [[30522, h], [512, h], [2, h], [h], [h], ...Array.from({ length: 12 }, () => layer).flat(), [h, h], [h], [2, h], [2]];
}

function timed(fn: () => void): number {
  fn(); // warm-up: connections, buffers, allocations
  const start = performance.now();
  for (let i = 0; i < repeats; i++) fn();
  return (performance.now() - start) / 1000 / repeats;
}

function rankMain(): void {
  const env = rankFromEnv()!;
  torch.setNumThreads(1);
  const group = distributed.initProcessGroup({ backend: 'gloo', ...env, timeoutMs: 600_000 });
  const shapes = bertBaseShapes();
  const numel = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

  const flat = torch.ones([numel]);
  const flatSeconds = timed(() => group.allReduce(flat));
  flat.dispose();

  const params: Tensor[] = shapes.map((s) => torch.zeros(s, { requiresGrad: true }));
  for (const p of params) p.grad = torch.onesLike(p);
  const dp = createDataParallel(group, { mode: 'after-backward' });
  const bucketedSeconds = timed(() => dp.allReduceGradients(params));
  const buckets = Math.ceil((numel * 4) / dp.bucketBytes);
  if (env.rank === 0) console.log(`RESULT ${JSON.stringify({ numel, params: params.length, flatSeconds, bucketedSeconds, buckets })}`);
  dp.dispose();
  group.destroy();
}

async function main(): Promise<void> {
  let stdout = '';
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => { stdout += c.toString(); });
  await launch({
    nprocPerNode: 2, masterPort: 29641, stdout: sink,
    argv: [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), '--repeats', String(repeats)],
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from rank 0:\n${stdout}`);
  const r = JSON.parse(line.slice(7)) as { numel: number; params: number; flatSeconds: number; bucketedSeconds: number; buckets: number };
  const bytes = r.numel * 4;
  const gbps = (seconds: number) => bytes / seconds / 1e9;

  const peer = spawnSync(process.env.PYTHON ?? '/usr/bin/python3', [join(here, 'distributed-peer.py'), 'allreduce', String(r.numel), String(repeats)], { encoding: 'utf8' });
  const peerSeconds = peer.status === 0 ? (JSON.parse(peer.stdout.trim().split('\n').at(-1)!) as { seconds: number }).seconds : NaN;
  if (peer.status !== 0) console.error(`python peer failed: ${peer.stderr}`);

  console.log(`all-reduce of ${(r.numel / 1e6).toFixed(1)}M float32 (${(bytes / 1e9).toFixed(2)} GB), 2 ranks, Gloo over loopback, ${repeats} repeats`);
  const row = (name: string, seconds: number) =>
    console.log(`  ${name.padEnd(46)} ${seconds.toFixed(3)} s  ${gbps(seconds).toFixed(2)} GB/s  ` +
      `(${(peerSeconds / seconds).toFixed(2)}× torch.distributed)`);
  row('tunelab allReduce, one flat tensor', r.flatSeconds);
  row(`DataParallel sync, ${r.params} grads in ~${r.buckets} buckets`, r.bucketedSeconds);
  console.log(`  ${'torch.distributed.all_reduce, one flat tensor'.padEnd(46)} ${peerSeconds.toFixed(3)} s  ${gbps(peerSeconds).toFixed(2)} GB/s`);
  console.log('  (GB/s = payload bytes / time, which for 2 ranks is also the ring bus bandwidth; the DataParallel row also');
  console.log('   copies every gradient into its bucket and back, averaged; × = torch.distributed time / this time)');
}

if (process.env.RANK !== undefined) rankMain();
else await main();
