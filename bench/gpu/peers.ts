// GPU training speed against its peers, in one script, on the same card: BERT-base from scratch, batch 32, on
//   mrpc:  one epoch of MRPC train (3,668 pairs, max length 128)
//   squad: --squad-steps steps of SQuAD v1.1 features (max length 384, doc stride 128; the sample file repeated
//          until it fills them: real SQuAD is not on the GPU machine)
// for tunelab (bf16, its defaults on CUDA: length grouping, --pad-to-multiple-of 64, --cuda-graphs auto), the HF
// Trainer with run_glue/run_qa defaults (fp32, padded to max length), and the HF Trainer tuned (bf16,
// group_by_length, fused AdamW) — bench/gpu/hf_peers.py. Prints seconds per epoch, features/s, peak CUDA memory and
// the ratios, then `GPU_PEERS_RESULT {json}` (scripts/gpu/report.py reads it); with --profile, a last tunelab run
// prints its epoch profile (device syncs per part: slower, so it is not the timed run).
//
//   node --conditions=development --import tsx bench/gpu/peers.ts --model DIR --mrpc-train TSV --squad FILE
//        [--tasks mrpc,squad] [--impls tunelab,hf-defaults,hf-tuned] [--device cuda] [--squad-steps 150]
//        [--work /tmp/tunelab-peers] [--profile] [--tunelab-args "…"] [--warmup] [--quick]
// impl tunelab-eager: tunelab with --cuda-graphs off (the step and the evaluation run eagerly).
// --warmup: a short tunelab run first, untimed, so the first timed process does not pay for a cold machine (the
// driver's and the file system's caches), which the processes after it would not.
// --quick (rehearsals on a CPU): 8 MRPC pairs, 2 SQuAD steps of batch 2 at length 128, tunelab only by default.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    model: { type: 'string' }, 'mrpc-train': { type: 'string' }, squad: { type: 'string' },
    tasks: { type: 'string', default: 'mrpc,squad' }, impls: { type: 'string' }, device: { type: 'string', default: 'cuda' },
    'squad-steps': { type: 'string', default: '150' }, work: { type: 'string', default: '/tmp/tunelab-peers' },
    profile: { type: 'boolean', default: false }, 'tunelab-args': { type: 'string', default: '' }, quick: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '240' }, warmup: { type: 'boolean', default: false },
  },
});
const REPO = resolve(import.meta.dirname, '../..');
const quick = flags.quick;
const batch = quick ? 2 : 32;
const squadSteps = quick ? 2 : Number(flags['squad-steps']);
const impls = (flags.impls ?? (quick ? 'tunelab' : 'tunelab,hf-defaults,hf-tuned')).split(',');
const work = resolve(flags.work);
mkdirSync(work, { recursive: true });
const required = (name: 'model' | 'mrpc-train' | 'squad') => {
  const value = flags[name];
  if (!value) throw new Error(`bench/gpu/peers.ts: --${name} is required`);
  return resolve(value);
};

interface Measured {
  impl: string;
  task: string;
  secondsPerEpoch: number | null;
  featuresPerSecond: number | null;
  peakMemoryGiB: number | null;
  error?: string;
}

/** SQuAD's sample, repeated (ids made unique) until it has at least `questions` questions. */
function enlargedSquad(source: string, questions: number): string {
  const data = JSON.parse(readFileSync(source, 'utf8')) as { data: { paragraphs: { qas: { id: string }[] }[] }[] };
  const count = data.data.reduce((n, a) => n + a.paragraphs.reduce((m, p) => m + p.qas.length, 0), 0);
  const copies = Math.max(1, Math.ceil(questions / count));
  const articles = Array.from({ length: copies }, (_, copy) => data.data.map((article) => ({
    ...article, paragraphs: article.paragraphs.map((p) => ({ ...p, qas: p.qas.map((qa) => ({ ...qa, id: `${qa.id}-${copy}` })) })),
  }))).flat();
  const file = join(work, `squad-x${copies}.json`);
  writeFileSync(file, JSON.stringify({ version: '1.1', data: articles }));
  return file;
}

function run(command: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(command, args, {
    cwd: REPO, encoding: 'utf8', timeout: Number(flags.timeout) * 1000, maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
  });
  process.stderr.write(result.stderr.split('\n').filter((l) => /error|Error|PEAK|profile|^\S+.*%/.test(l)).slice(-30).join('\n'));
  return { stdout: result.stdout ?? '', stderr: result.stderr ?? '', status: result.status };
}

function tunelabArgs(task: string, data: string, outputDir: string, extra: string[]): string[] {
  const common = ['--model', required('model'), '--from-scratch', '--device', flags.device!, '--precision', flags.device === 'cuda' ? 'bf16' : 'fp32',
    '--batch-size', String(batch), '--seed', '42', '--weight-decay', '0.01', '--warmup-ratio', '0.1', '--save-every', '100000',
    '--log-every', '50', '--no-track', '--json', '--output-dir', outputDir, ...flags['tunelab-args']!.split(' ').filter(Boolean), ...extra];
  return task === 'mrpc'
    ? ['train', '--task', 'glue/mrpc', '--train-file', data, '--max-seq-length', '128', '--lr', '2e-5', '--epochs', '1', ...(quick ? ['--max-train-samples', '8'] : []), ...common]
    : ['train', '--task', 'squad', '--train-file', data, '--max-seq-length', quick ? '128' : '384', '--doc-stride', quick ? '32' : '128',
      '--lr', '3e-5', '--max-steps', String(squadSteps), ...common];
}

function runTunelab(task: string, data: string, extra: string[] = [], impl = 'tunelab'): Measured & { stdout: string } {
  const outputDir = join(work, `tunelab-${task}-${Date.now()}`);
  const { stdout, stderr, status } = run(process.execPath, ['--conditions=development', '--import', 'tsx',
    'packages/tunelab/src/cli/main.ts', ...tunelabArgs(task, data, outputDir, extra)]);
  const result = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((v) => v.type === 'result').at(-1);
  const metrics = (result?.metrics ?? null) as Record<string, number> | null;
  if (status !== 0 || !metrics) {
    return { impl, task, secondsPerEpoch: null, featuresPerSecond: null, peakMemoryGiB: null, stdout, error: `exit ${status}: ${stderr.trim().split('\n').at(-1)}` };
  }
  const epochs = metrics.epoch || 1;
  return {
    impl, task, stdout, secondsPerEpoch: metrics.train_runtime_s / epochs, featuresPerSecond: metrics.train_samples_per_second,
    peakMemoryGiB: metrics.peak_cuda_memory_bytes !== undefined ? metrics.peak_cuda_memory_bytes / 2 ** 30 : null,
  };
}

function runHf(preset: 'defaults' | 'tuned', task: string, data: string): Measured {
  const args = [join(REPO, 'bench/gpu/hf_peers.py'), required('model'), data, '--task', task, '--preset', preset,
    '--batch-size', String(batch), '--device', flags.device!,
    ...(task === 'squad' ? ['--max-steps', String(squadSteps), ...(quick ? ['--max-seq-length', '128', '--doc-stride', '32'] : [])] : [])];
  const { stdout, stderr, status } = run('python3', args);
  const line = stdout.split('\n').filter((l) => l.startsWith('{"peer"')).at(-1);
  if (status !== 0 || !line) {
    return { impl: `hf-${preset}`, task, secondsPerEpoch: null, featuresPerSecond: null, peakMemoryGiB: null, error: `exit ${status}: ${stderr.trim().split('\n').at(-1)}` };
  }
  const peer = JSON.parse(line) as { seconds_per_epoch: number; features_per_second: number; peak_memory_bytes: number | null };
  return {
    impl: `hf-${preset}`, task, secondsPerEpoch: peer.seconds_per_epoch, featuresPerSecond: peer.features_per_second,
    peakMemoryGiB: peer.peak_memory_bytes === null ? null : peer.peak_memory_bytes / 2 ** 30,
  };
}

const fmt = (v: number | null, digits = 2) => (v === null ? '—' : v.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);
/** The table so far, and its JSON line (report.py reads the last one). */
function printTable(): void {
  console.log(`\nBERT-base from scratch, batch ${batch}, ${flags.device}; speed ratio = tunelab features/s ÷ peer features/s, memory ratio = tunelab ÷ peer`);
  console.log(['task', 'impl', 's/epoch', 'features/s', 'peak GiB', 'speed vs peer', 'memory vs peer'].map((c) => c.padStart(16)).join(''));
  for (const row of results) {
    const ours = results.find((r) => r.task === row.task && r.impl === 'tunelab');
    const isPeer = row.impl !== 'tunelab';
    console.log([row.task, row.impl, fmt(row.secondsPerEpoch), fmt(row.featuresPerSecond, 0), fmt(row.peakMemoryGiB),
      isPeer ? ratio(ours?.featuresPerSecond ?? null, row.featuresPerSecond) : '', isPeer ? ratio(ours?.peakMemoryGiB ?? null, row.peakMemoryGiB) : '',
    ].map((c) => String(c).padStart(16)).join('') + (row.error ? `  (${row.error})` : ''));
  }
  for (const [task, text] of Object.entries(profiles)) console.log(`\n${task}: ${text}`);
  console.log(`GPU_PEERS_RESULT ${JSON.stringify({ device: flags.device, batch, squadSteps, results, profiles })}`);
}

const results: Measured[] = [];
const profiles: Record<string, string> = {};
if (flags.warmup) {
  const warm = runTunelab('mrpc', required('mrpc-train'), ['--max-train-samples', String(batch * 20)], 'warm-up');
  console.log(`warm-up (untimed): ${warm.error ?? `${fmt(warm.secondsPerEpoch)} s`}`);
}
for (const task of flags.tasks!.split(',')) {
  const data = task === 'mrpc' ? required('mrpc-train') : enlargedSquad(required('squad'), squadSteps * batch);
  for (const impl of impls) {
    const measured = impl === 'tunelab' ? runTunelab(task, data)
      : impl === 'tunelab-eager' ? runTunelab(task, data, ['--cuda-graphs', 'off'], impl)
      : runHf(impl === 'hf-tuned' ? 'tuned' : 'defaults', task, data);
    const { stdout: _stdout, ...row } = measured as Measured & { stdout?: string };
    results.push(row);
    console.log(`${task} ${impl}: ${JSON.stringify(row)}`);
    // Why a tunelab run did not capture its step (--cuda-graphs), when it says so.
    for (const line of (measured as { stdout?: string }).stdout?.split('\n') ?? []) if (line.includes('CUDA graphs')) console.log(`${task} ${impl}: ${line}`);
  }
  if (flags.profile) {
    const { stdout } = runTunelab(task, data, ['--profile']);
    profiles[task] = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type?: string; text?: string })
      .filter((v) => v.type === 'message' && v.text?.startsWith('profile (')).map((v) => v.text!).at(-1) ?? '(no profile printed)';
  }
  if (task !== flags.tasks!.split(',').at(-1)) printTable(); // what is measured so far survives a run cut short
}
printTable();
