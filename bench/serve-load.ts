// Serving throughput on CPU: `tunelab serve`'s stack (HTTP + dynamic batching + libtorch) on a BERT-mini-sized
// sentence-pair classifier (4 layers, hidden 256, random weights, bert-base-uncased's vocabulary), loaded by a
// bounded closed-loop generator on loopback with MRPC dev pairs: req/s and p50/p99 latency at concurrency 1, 8, 64,
// with dynamic batching (--max-batch-size 32, --max-wait-ms 5) and without (--max-batch-size 1), and the peer: the
// same model exported to ONNX (export/onnx-export.ts) run by onnxruntime-node behind the very same HTTP/batching stack.
// Each server is its own process; configurations alternate over --repeats rounds, and medians are printed.
//
//   node --conditions=development --import tsx bench/serve-load.ts [--threads 1] [--repeats 3] [--seconds 4]
//        [--concurrency 1,8,64] [--no-onnx] [--precision fp32|bf16] [--max-batch-size 32] [--unpad auto|off]
//
// --threads: libtorch's and onnxruntime's threads per server (default 1: on a 2-core machine the load generator needs
// the other core). scripts/gpu/run.sh's `serve` stage runs it with --threads 8 on a 16-core machine.
// Goals (issue 13): batched ≥ 3× the req/s of unbatched at concurrency 64; batched p99 ≤ 2× p50 at concurrency 8.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as torch from '@tunelab/torch';
import { AutoConfig, AutoModelForSequenceClassification } from '../packages/tunelab/src/models/auto.js';
import { LOOPBACK_HOSTS } from '../packages/tunelab/src/server/middleware/host-check/index.js';
import { createServingApp } from '../packages/tunelab/src/serving/app.js';
import { loadServingModel, type ServingModel } from '../packages/tunelab/src/serving/model.js';
import { startServing } from '../packages/tunelab/src/serving/serve.js';
import { BERT_BASE_UNCASED, BERT_MINI_CONFIG, SHARED } from './bert-mini.js';

const { values: flags } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' }, repeats: { type: 'string', default: '3' }, seconds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '1,8,64' }, 'no-onnx': { type: 'boolean', default: false },
    // internal: this script as one server process
    role: { type: 'string', default: 'load' }, engine: { type: 'string', default: 'torch' }, model: { type: 'string' },
    'onnx-dir': { type: 'string' },
    'max-batch-size': { type: 'string', default: '32' },
    precision: { type: 'string', default: 'fp32' },
    unpad: { type: 'string', default: 'auto' },
  },
});
const THREADS = Number(flags.threads);
const PRECISION = flags.precision === 'bf16' ? 'bf16' : 'fp32'; // tunelab's servers; the ONNX peer is fp32
/** tunelab serve's --unpad (train/unpad.ts): auto runs a batch with >= 25 % padding on its real tokens only. */
const UNPAD = flags.unpad === 'off' ? 'off' : 'auto';
/** --max-batch-size of the batched servers (the load generator's flag; a server process gets its own). */
const BATCHED_SIZE = Number(flags['max-batch-size']);
const MAX_WAIT_MS = 5;


// ---- one server process: prints its URL, serves until killed ----

async function runServer(): Promise<void> {
  torch.setNumThreads(THREADS);
  const modelDir = flags.model!;
  const maxBatchSize = Number(flags['max-batch-size']);
  if (flags.engine === 'torch') {
    const server = await startServing({ modelDir, port: 0, device: 'cpu', precision: PRECISION, unpad: UNPAD, maxBatchSize, maxWaitMs: MAX_WAIT_MS });
    console.log(`URL ${server.url}`);
    return;
  }
  const model = await onnxServingModel(modelDir, flags['onnx-dir']!);
  const serving = createServingApp({ model, token: null, allowedHosts: LOOPBACK_HOSTS, maxBatchSize, maxWaitMs: MAX_WAIT_MS });
  const { serve } = await import('@hono/node-server');
  const server = serve({ fetch: serving.app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => console.log(`URL http://127.0.0.1:${info.port}`));
  void server;
}

/**
 * ONNX peer: the tunelab model's head (tokenization, answers) with onnxruntime-node running the exported graph on
 * the same threads. Needs H3's export (export/onnx-export.ts) and onnxruntime-node.
 */
async function onnxServingModel(modelDir: string, onnxDir: string): Promise<ServingModel> {
  const ort = await import('onnxruntime-node');
  const base = await loadServingModel({ modelDir, device: 'cpu', precision: 'fp32' });
  const session = await ort.InferenceSession.create(join(onnxDir, 'onnx', 'model.onnx'), {
    intraOpNumThreads: THREADS, interOpNumThreads: 1, executionProviders: ['cpu'],
  });
  const { collate } = await import('../packages/tunelab/src/data/collate.js');
  return {
    ...base,
    async run(features) {
      const batch = collate({ labelKind: 'none', features }, features.map((_, i) => i), { padId: 0 });
      const [b, t] = batch.size;
      const tensor = (data: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), [b, t]);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const name of session.inputNames) feeds[name] = tensor(batch[name as 'input_ids' | 'attention_mask' | 'token_type_ids']);
      const logits = (await session.run(feeds)).logits;
      const data = logits.data as Float32Array;
      const width = data.length / b;
      return Array.from({ length: b }, (_, r) => ({ logits: { data: data.subarray(r * width, (r + 1) * width), shape: [width] } }));
    },
  };
}

// ---- the load generator ----

interface Server { name: string; url: string; child: ChildProcess }

function startServer(name: string, modelDir: string, onnxDir: string, engine: string, maxBatchSize: number): Promise<Server> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', import.meta.filename, '--role', 'server',
    '--engine', engine, '--model', modelDir, '--onnx-dir', onnxDir, '--max-batch-size', String(maxBatchSize), '--threads', String(THREADS),
    '--precision', PRECISION, '--unpad', UNPAD],
  // OpenBLAS keeps its own thread pool (all cores, spinning after each GEMM) beside libtorch's: pin both to --threads.
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, OPENBLAS_NUM_THREADS: String(THREADS), OMP_NUM_THREADS: String(THREADS) } });
  process.once('exit', () => child.kill('SIGTERM'));
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /URL (\S+)/.exec(out);
      if (match) resolvePromise({ name, url: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`${name} server exited (${code}): ${out}`)));
  });
}

function mrpcBodies(): string[] {
  const lines = readFileSync(join(SHARED, 'data/glue/MRPC/dev.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const cells = line.split('\t');
    return JSON.stringify({ text: cells[3], text_pair: cells[4] });
  });
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolvePromise(res.statusCode) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface LoadResult { reqPerSecond: number; p50: number; p99: number; requests: number; failures: number }

/** `concurrency` clients, each sending its next request when the last is answered, for `seconds` (after a warm-up). */
async function load(server: Server, concurrency: number, seconds: number, bodies: string[]): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL('/v1/predict', server.url);
  let next = 0;
  let failures = 0;
  const client = async (until: number, latencies: number[] | null) => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await post(agent, url, bodies[next++ % bodies.length]);
        latencies?.push(performance.now() - started);
      } catch (error) {
        if (latencies) failures++;
        if (failures > 100) throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => client(performance.now() + 500, null)));
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => client(started + seconds * 1000, latencies)));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { reqPerSecond: latencies.length / elapsed, p50: quantile(0.5), p99: quantile(0.99), requests: latencies.length, failures };
}


async function runLoad(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tunelab-serve-bench-'));
  const modelDir = join(work, 'model');
  torch.manualSeed(42);
  const model = AutoModelForSequenceClassification.fromConfig(AutoConfig.forModel('bert', BERT_MINI_CONFIG), { numLabels: 2 });
  model.savePretrained(modelDir);
  model.dispose();
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) copyFileSync(join(BERT_BASE_UNCASED, file), join(modelDir, file));

  // The peer: the same weights exported by `tunelab export` (export/onnx-export.ts), run by onnxruntime-node.
  let onnx = !flags['no-onnx'];
  const onnxDir = join(work, 'onnx-model');
  if (onnx) {
    try {
      const { exportModel } = await import('../packages/tunelab/src/export/onnx-export.js');
      await exportModel({ model: modelDir, output: onnxDir });
    } catch (error) {
      console.log(`ONNX peer skipped: ${(error as Error).message}`);
      onnx = false;
    }
  }
  const configs: [name: string, engine: string, maxBatchSize: number][] = [
    ['tunelab batched', 'torch', BATCHED_SIZE], ['tunelab unbatched', 'torch', 1],
    ...(onnx ? [['onnx batched', 'onnx', BATCHED_SIZE], ['onnx unbatched', 'onnx', 1]] as [string, string, number][] : []),
  ];
  const servers: Server[] = [];
  for (const [name, engine, size] of configs) servers.push(await startServer(name, modelDir, onnxDir, engine, size));
  const bodies = mrpcBodies();
  const levels = flags.concurrency.split(',').map(Number);
  const seconds = Number(flags.seconds);
  const results = new Map<string, LoadResult[]>();
  try {
    for (let round = 0; round < Number(flags.repeats); round++) {
      for (const concurrency of levels) {
        // alternate the servers within each round (reversed every other round) so drifts hit all of them alike
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) {
          const result = await load(server, concurrency, seconds, bodies);
          const key = `${server.name}@${concurrency}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          console.log(`round ${round + 1} ${key}: ${result.reqPerSecond.toFixed(1)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms (${result.requests} requests${result.failures ? `, ${result.failures} failed` : ''})`);
        }
      }
    }
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
  }
  const summary = (name: string, concurrency: number) => {
    const runs = results.get(`${name}@${concurrency}`)!;
    return { reqPerSecond: median(runs.map((r) => r.reqPerSecond)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) };
  };
  const line = (cells: (string | number)[]) => cells.map((c, i) => String(c)[i === 0 ? 'padEnd' : 'padStart'](i === 0 ? 18 : 11)).join(' ');
  console.log(`\nBERT-mini pair classifier (random weights), MRPC dev pairs, ${THREADS} threads, CPU, tunelab ${PRECISION}, libtorch ${torch.buildInfo().libtorch}; ` +
    `${flags.repeats} alternating rounds of ${seconds} s per cell, medians. batched: --max-batch-size ${BATCHED_SIZE} --max-wait-ms ${MAX_WAIT_MS}; unbatched: --max-batch-size 1; --unpad ${UNPAD}.`);
  console.log(line(['server', 'clients', 'req/s', 'p50 ms', 'p99 ms', 'p99/p50', 'vs unbatch', ...(onnx ? ['vs onnx'] : [])]));
  for (const concurrency of levels) {
    const unbatched = summary('tunelab unbatched', concurrency);
    for (const [name] of configs) {
      const s = summary(name, concurrency);
      const peer = onnx ? summary(name.replace('tunelab', 'onnx'), concurrency) : null;
      const vsOnnx = name.startsWith('tunelab') && peer ? `${(s.reqPerSecond / peer.reqPerSecond).toFixed(2)}×` : '';
      console.log(line([name, concurrency, s.reqPerSecond.toFixed(1), s.p50.toFixed(1), s.p99.toFixed(1), (s.p99 / s.p50).toFixed(2),
        name === 'tunelab batched' ? `${(s.reqPerSecond / unbatched.reqPerSecond).toFixed(2)}×` : '', ...(onnx ? [vsOnnx] : [])]));
    }
  }
  const at64 = levels.includes(64) ? summary('tunelab batched', 64).reqPerSecond / summary('tunelab unbatched', 64).reqPerSecond : NaN;
  const at8 = levels.includes(8) ? summary('tunelab batched', 8) : null;
  console.log(`\ngoal: batched ≥ 3× unbatched req/s at 64 clients: ${at64.toFixed(2)}× ${at64 >= 3 ? 'met' : 'NOT met'}; ` +
    `batched p99 ≤ 2× p50 at 8 clients: ${at8 ? (at8.p99 / at8.p50).toFixed(2) : 'n/a'}× ${at8 && at8.p99 <= 2 * at8.p50 ? 'met' : 'NOT met'}.`);
  console.log('vs onnx: tunelab req/s ÷ onnxruntime-node req/s behind the same HTTP + batching stack (> 1: tunelab faster).');
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (flags.role === 'server') await runServer();
else await runLoad();
