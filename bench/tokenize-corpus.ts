// Corpus tokenization throughput for masked-LM pre-training: the file is streamed (1 MiB reads, 4096-line chunks) and
// each chunk goes through the Rust tokenizer's batch API (`tokenizers` npm package, Tokenizer.encodeIdsBatch), as
// `tunelab train --task mlm` reads its corpus. Peers in the same script: the non-batched path (one `encode` call
// per line), and Python's `tokenizers` (encode_batch over the same chunks) when `/usr/bin/python3 -c "import
// tokenizers"` works. Each measurement runs in its own process, so its peak RSS is its own; modes alternate over
// the repeats and medians are printed. Memory stays flat: the batched stream is run on the whole file and on a
// quarter of it, and the peak RSS of both is printed.
//
//   node --conditions=development --import tsx bench/tokenize-corpus.ts [--size-mb 64] [--repeats 3] [--per-line-lines 20000]
//
// The synthetic corpus (random bert-base-uncased words, sentences of 8–30 words, one per line) is written under /tmp
// at run time and removed at the end. --size-mb 1024 runs the 1 GB case.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const BERT = resolve(import.meta.dirname, '../../shared/data/models/bert-base-uncased');
const { values: flags } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '64' }, repeats: { type: 'string', default: '3' },
    'per-line-lines': { type: 'string', default: '20000' },
    // internal: one measurement in a child process
    mode: { type: 'string' }, file: { type: 'string' }, 'max-lines': { type: 'string' },
  },
});

interface Measurement { mode: string; lines: number; tokens: number; seconds: number; cpuSeconds: number; peakRssMb: number }

if (flags.mode) {
  const measurement = await measure(flags.mode, flags.file!, flags['max-lines'] ? Number(flags['max-lines']) : Infinity);
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
} else {
  await main();
}

async function measure(mode: string, file: string, maxLines: number): Promise<Measurement> {
  const { AutoTokenizer } = await import('../packages/tunelab/src/tokenizers/auto.js');
  const { encodeChunks, streamLines, textFileChunks } = await import('../packages/tunelab/src/data/mlm.js');
  const tokenizer = await AutoTokenizer.fromPretrained(BERT);
  let lines = 0;
  let tokens = 0;
  const cpuStart = process.cpuUsage(); // every thread of the process (the tokenizer's pool too), from here on
  const start = performance.now();
  if (mode === 'batched') {
    // the path of `train --task mlm`: streamed chunks, the batch encoder one chunk ahead
    for await (const { encodings } of encodeChunks(tokenizer, textFileChunks(file))) {
      for (const encoding of encodings) tokens += encoding.ids.length;
      lines += encodings.length;
      if (lines >= maxLines) break;
    }
  } else {
    for await (const chunk of streamLines(file)) {
      const texts = chunk.lines.slice(0, Math.max(0, maxLines - lines));
      if (texts.length === 0) break;
      for (const text of texts) tokens += (await tokenizer.encode(text)).input_ids.length;
      lines += texts.length;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { mode, lines, tokens, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

function child(mode: string, file: string, maxLines?: number): Measurement {
  const args = ['--conditions=development', '--import', 'tsx', import.meta.filename, '--mode', mode, '--file', file,
    ...(maxLines !== undefined ? ['--max-lines', String(maxLines)] : [])];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`${mode} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Measurement;
}

function python(file: string, maxLines?: number): Measurement | null {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import tokenizers'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const script = `
import sys, time, resource
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1]); limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
lines = tokens = 0; chunk = []; start = time.perf_counter(); cpu0 = resource.getrusage(resource.RUSAGE_SELF)
def flush():
    global tokens
    tokens += sum(len(e.ids) for e in tok.encode_batch(chunk))
with open(sys.argv[2], encoding='utf-8') as f:
    for line in f:
        if limit is not None and lines >= limit: break
        chunk.append(line.rstrip('\\n')); lines += 1
        if len(chunk) == 4096: flush(); chunk = []
if chunk: flush()
u = resource.getrusage(resource.RUSAGE_SELF)
print('{"mode": "python", "lines": %d, "tokens": %d, "seconds": %f, "cpuSeconds": %f, "peakRssMb": %f}' % (lines, tokens, time.perf_counter() - start, u.ru_utime + u.ru_stime - cpu0.ru_utime - cpu0.ru_stime, u.ru_maxrss / 1024))
`;
  const run = spawnSync('/usr/bin/python3', ['-c', script, join(BERT, 'tokenizer.json'), file, ...(maxLines ? [String(maxLines)] : [])], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim()) as Measurement;
}

/** A deterministic synthetic corpus of `sizeMb` MB: sentences of bert-base-uncased whole words, one per line. */
function writeCorpus(path: string, sizeMb: number): number {
  const words = readFileSync(join(BERT, 'vocab.txt'), 'utf8').split('\n').filter((w) => /^[a-z]{2,}$/.test(w));
  let state = 12345;
  const next = () => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state; };
  const fd = openSync(path, 'w');
  let written = 0;
  let lines = 0;
  while (written < sizeMb * 1e6) {
    const block: string[] = [];
    for (let i = 0; i < 10_000; i++, lines++) {
      const length = 8 + (next() % 23);
      block.push(`${Array.from({ length }, () => words[next() % words.length]).join(' ')} .`);
    }
    const text = `${block.join('\n')}\n`;
    written += writeSync(fd, text);
  }
  closeSync(fd);
  return lines;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

async function main(): Promise<void> {
  const sizeMb = Number(flags['size-mb']);
  const repeats = Number(flags.repeats);
  const perLineLines = Number(flags['per-line-lines']);
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-tokenize-bench-'));
  try {
    const file = join(dir, 'corpus.txt');
    const lines = writeCorpus(file, sizeMb);
    console.log(`corpus: ${sizeMb} MB, ${lines} lines (${file}); ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const results: Record<string, Measurement[]> = { batched: [], quarter: [], 'per-line': [], python: [] };
    for (let r = 0; r < repeats; r++) {
      results.batched.push(child('batched', file));
      results['per-line'].push(child('per-line', file, perLineLines));
      const peer = python(file);
      if (peer) results.python.push(peer);
      results.quarter.push(child('batched', file, Math.floor(lines / 4)));
    }
    const rate = (ms: Measurement[]) => median(ms.map((m) => m.lines / m.seconds));
    const rss = (ms: Measurement[]) => median(ms.map((m) => m.peakRssMb));
    // lines per CPU-second: what the code costs whatever else runs on the machine (the wall rate depends on the load)
    const row = (name: string, ms: Measurement[]) => console.log(`${name.padEnd(40)} ${rate(ms).toFixed(0).padStart(8)} lines/s ` +
      `${(median(ms.map((m) => m.tokens / m.seconds)) / 1e3).toFixed(0).padStart(5)}k tokens/s ` +
      `${median(ms.map((m) => m.lines / m.cpuSeconds)).toFixed(0).padStart(8)} lines/CPU-s  peak RSS ${rss(ms).toFixed(0).padStart(5)} MB  (${ms[0].lines} lines)`);
    row('tunelab stream + batch (whole file)', results.batched);
    row('tunelab stream + batch (first quarter)', results.quarter);
    row('tunelab one encode() per line', results['per-line']);
    if (results.python.length > 0) row('Python tokenizers encode_batch', results.python);
    console.log(`batched / per-line: ${(rate(results.batched) / rate(results['per-line'])).toFixed(1)}x` +
      (results.python.length > 0 ? `; batched / Python: ${(rate(results.batched) / rate(results.python)).toFixed(2)}x` : '; Python tokenizers not installed') +
      `; peak RSS whole / quarter file: ${(rss(results.batched) / rss(results.quarter)).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
