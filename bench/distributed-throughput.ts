// Training throughput (tokens/s) of 1 vs 2 CPU ranks on a small BERT classifier, fp32, AdamW, Gloo, and the
// two gradient-sync modes of DataParallel (all-reduce after backward vs overlapped through autograd hooks) —
// vs PyTorch-Python (the same BERT from bench/train-peer.py; 2 ranks through DistributedDataParallel).
// A rank of 1 uses all cores; 2 ranks split them (the launcher's OMP_NUM_THREADS).
// Each configuration runs --rounds times, interleaved, and keeps its best round (other load on the machine only
// ever slows a round down). --modes-only compares the two gradient-sync modes alone (each round: one of each).
//   node --conditions=development --import tsx bench/distributed-throughput.ts [--steps 6 --warmup 2 --seq 64 --batch 8 --rounds 2]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { distributed, optim } from '@tunelab/torch';
import { BertForSequenceClassification } from '../packages/tunelab/src/models/bert/modeling.js';
import { parseBertConfig } from '../packages/tunelab/src/models/bert/config.js';
import { createDataParallel, type DataParallel, type GradientSyncMode } from '../packages/tunelab/src/distributed/data-parallel.js';
import { rankFromEnv } from '../packages/tunelab/src/distributed/env.js';
import { launch } from '../packages/tunelab/src/distributed/launcher.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '6' }, warmup: { type: 'string', default: '2' }, seq: { type: 'string', default: '64' },
    batch: { type: 'string', default: '8' }, mode: { type: 'string', default: 'after-backward' },
    rounds: { type: 'string', default: '2' },
    'modes-only': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const [steps, warmup, seq, batch] = [values.steps, values.warmup, values.seq, values.batch].map(Number) as [number, number, number, number];

/** A 4-layer, 256-wide BERT (≈11M parameters, 7.8M of them word embeddings, as in BERT-base's proportions). */
const CONFIG = {
  vocab_size: 30522, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024,
  max_position_embeddings: 512, type_vocab_size: 2, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0,
  layer_norm_eps: 1e-12, initializer_range: 0.02, hidden_act: 'gelu', num_labels: 2,
};

interface Measured { tokensPerSecond: number; secondsPerStep: number }

/** One rank's training loop; returns the global tokens/s (timed steps only, after a barrier). */
function train(dp: DataParallel | null, rank: number): Measured {
  torch.manualSeed(42);
  const model = new BertForSequenceClassification(parseBertConfig(CONFIG, 'bench config')).initWeights();
  const params = model.parameters();
  const opt = new optim.AdamW(params, { lr: 5e-5 });
  torch.manualSeed(1000 + rank);
  const inputs = {
    input_ids: torch.keep(torch.randint(1, CONFIG.vocab_size, [batch, seq])),
    attention_mask: torch.keep(torch.ones([batch, seq], { dtype: 'int64' })),
    token_type_ids: torch.keep(torch.zeros([batch, seq], { dtype: 'int64' })),
    labels: torch.keep(torch.randint(0, 2, [batch])),
  };
  let start = 0;
  for (let step = 0; step < warmup + steps; step++) {
    if (step === warmup) {
      dp?.group.barrier();
      start = performance.now();
    }
    torch.scope(() => {
      model.forward(inputs, { train: true }).loss!.backward();
      dp?.allReduceGradients(params);
      opt.step();
      opt.zeroGrad();
    });
  }
  const seconds = (performance.now() - start) / 1000;
  const worldSize = dp?.worldSize ?? 1;
  return { tokensPerSecond: (worldSize * batch * seq * steps) / seconds, secondsPerStep: seconds / steps };
}

function rankMain(): void {
  const env = rankFromEnv()!;
  torch.setNumThreads(Number(process.env.OMP_NUM_THREADS ?? 1));
  const group = distributed.initProcessGroup({ backend: 'gloo', ...env, timeoutMs: 600_000 });
  const result = train(createDataParallel(group, { mode: values.mode as GradientSyncMode }), env.rank);
  if (env.rank === 0) console.log(`RESULT ${JSON.stringify(result)}`);
  group.destroy();
}

async function twoRanks(mode: GradientSyncMode, port: number): Promise<Measured> {
  let stdout = '';
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => { stdout += c.toString(); });
  const args = ['--steps', String(steps), '--warmup', String(warmup), '--seq', String(seq), '--batch', String(batch), '--mode', mode];
  await launch({
    nprocPerNode: 2, masterPort: port, stdout: sink,
    argv: [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...args],
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from rank 0:\n${stdout}`);
  return JSON.parse(line.slice(7)) as Measured;
}

function peer(world: number, configPath: string): Measured | null {
  const run = spawnSync(process.env.PYTHON ?? '/usr/bin/python3', [join(here, 'distributed-peer.py'), 'train', String(world), configPath,
    String(seq), String(batch), String(steps), String(warmup)], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`python peer (${world} ranks) failed: ${run.stderr.trim().split('\n').at(-1)}`);
    return null;
  }
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { tokens_per_second: number; seconds_per_step: number };
  return { tokensPerSecond: r.tokens_per_second, secondsPerStep: r.seconds_per_step };
}

function best(a: Measured | null, b: Measured | null): Measured | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.tokensPerSecond >= b.tokensPerSecond ? a : b;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-bench-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(CONFIG));
  let [one, oneThread, after, overlap, peerOne, peerTwo]: (Measured | null)[] = [null, null, null, null, null, null];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (values['modes-only']) {
      const a = await twoRanks('after-backward', 29643 + 2 * round);
      const o = await twoRanks('overlap', 29743 + 2 * round);
      ratios.push(o.tokensPerSecond / a.tokensPerSecond);
      console.log(`round ${round + 1}: after-backward ${a.tokensPerSecond.toFixed(0)}, overlapped ${o.tokensPerSecond.toFixed(0)} tokens/s`);
      continue;
    }
    torch.setNumThreads(availableParallelism());
    one = best(one, train(null, 0));
    torch.setNumThreads(1);
    oneThread = best(oneThread, train(null, 0));
    after = best(after, await twoRanks('after-backward', 29643 + 2 * round));
    overlap = best(overlap, await twoRanks('overlap', 29653 + 2 * round));
    peerOne = best(peerOne, peer(1, configPath));
    peerTwo = best(peerTwo, peer(2, configPath));
  }
  if (values['modes-only']) {
    const sorted = [...ratios].sort((x, y) => x - y);
    console.log(`overlapped / after-backward per round: ${ratios.map((r) => r.toFixed(3)).join(' ')}; median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)}`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  if (!one || !oneThread || !after || !overlap) throw new Error('a configuration produced no measurement');

  console.log(`BERT 4×256 (11M params) fp32 CPU, ${availableParallelism()} cores, batch ${batch} × ${seq} tokens per rank, ${steps} timed steps, best of ${rounds}`);
  const row = (name: string, m: Measured, peerValue: Measured | null) =>
    console.log(`  ${name.padEnd(40)} ${m.tokensPerSecond.toFixed(0).padStart(6)} tokens/s  ${m.secondsPerStep.toFixed(2)} s/step` +
      (peerValue ? `  (${(m.tokensPerSecond / peerValue.tokensPerSecond).toFixed(2)}× PyTorch: ${peerValue.tokensPerSecond.toFixed(0)})` : ''));
  row(`1 rank, ${availableParallelism()} threads`, one, peerOne);
  row('1 rank, 1 thread (a 2-rank rank\'s share)', oneThread, null);
  row('2 ranks, all-reduce after backward', after, peerTwo);
  row('2 ranks, overlapped (autograd hooks)', overlap, peerTwo);
  console.log(`  2 ranks / (2 × 1 rank, 1 thread) = ${(after.tokensPerSecond / (2 * oneThread.tokensPerSecond)).toFixed(2)} after-backward, ` +
    `${(overlap.tokensPerSecond / (2 * oneThread.tokensPerSecond)).toFixed(2)} overlapped (1.00 = communication is free)`);
  console.log(`  scaling 2 ranks / 1 rank: after-backward ${(after.tokensPerSecond / one.tokensPerSecond).toFixed(2)}×, ` +
    `overlapped ${(overlap.tokensPerSecond / one.tokensPerSecond).toFixed(2)}×` +
    (peerOne && peerTwo ? `, PyTorch DDP ${(peerTwo.tokensPerSecond / peerOne.tokensPerSecond).toFixed(2)}×` : ''));
  console.log(`  overlapped / after-backward: ${(overlap.tokensPerSecond / after.tokensPerSecond).toFixed(3)}`);
}

if (process.env.RANK !== undefined) rankMain();
else await main();
