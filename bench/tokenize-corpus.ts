// Corpus tokenization throughput for masked-LM pre-training: the file is streamed (1 MiB reads, 4096-line chunks) and
// each chunk goes through Tokenizer.encodeIdsBatch, as `tunelab train --task mlm` reads its corpus. For BERT-style
// tokenizers that is the chunk memo (src/tokenizers/chunk-memo.ts: words seen before come from a Map, the unseen
// ones go to the Rust tokenizer in one batch call). Peers in the same script, on the same stream:
// - native batch: the `tokenizers` npm package's encodeBatch on whole lines (what encodeIdsBatch did before the memo),
// - one `encode` call per line (on the first --per-line-lines lines),
// - Python's `tokenizers` encode_batch over the same 4096-line chunks, when `/usr/bin/python3 -c "import tokenizers"` works.
// Each measurement runs in its own process, so its peak RSS is its own; modes alternate over the repeats and medians
// are printed. Memory stays flat: the memo path runs on the whole file and on a quarter of it, and the peak RSS of
// both is printed. The memo's hit rate (share of whitespace-separated chunks found in it) is printed per corpus.
//
//   node --conditions=development --import tsx bench/tokenize-corpus.ts [--size-mb 64] [--repeats 3]
//        [--per-line-lines 20000] [--corpus both|synthetic|shared]
//
// Two corpora, written under /tmp at run time and removed at the end (--size-mb 1024 runs the 1 GB case):
// - synthetic: random bert-base-uncased whole words (a ~23k-word vocabulary), sentences of 8–30 words, one per line;
// - shared: the text of ../shared/data (SST-2, MRPC and STS-B sentences, SQuAD contexts; one per line), repeated to
//   the size asked. A repeat hits the memo for every word, so its first copy is also measured on its own: the rate
//   and hit rate of text seen once.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const BERT = resolve(import.meta.dirname, '../../shared/data/models/bert-base-uncased');
const DATA = resolve(import.meta.dirname, '../../shared/data');
const { values: flags } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '64' }, repeats: { type: 'string', default: '3' },
    'per-line-lines': { type: 'string', default: '20000' }, corpus: { type: 'string', default: 'both' },
    // internal: one measurement in a child process
    mode: { type: 'string' }, file: { type: 'string' }, 'max-lines': { type: 'string' },
  },
});

type Mode = 'memo' | 'native' | 'per-line';
interface Measurement {
  mode: string; lines: number; tokens: number; seconds: number; cpuSeconds: number; peakRssMb: number;
  hitRate: number | null;
}

if (flags.mode) {
  const measurement = await measure(flags.mode as Mode, flags.file!, flags['max-lines'] ? Number(flags['max-lines']) : Infinity);
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
} else {
  await main();
}

async function measure(mode: Mode, file: string, maxLines: number): Promise<Measurement> {
  const { AutoTokenizer } = await import('../packages/tunelab/src/tokenizers/auto.js');
  const { encodeChunks, streamLines, textFileChunks } = await import('../packages/tunelab/src/data/mlm.js');
  const tokenizer = await AutoTokenizer.fromPretrained(BERT);
  let lines = 0;
  let tokens = 0;
  const cpuStart = process.cpuUsage(); // every thread of the process (the tokenizer's pool too), from here on
  const start = performance.now();
  if (mode === 'memo') {
    // the path of `train --task mlm`: streamed chunks, encodeIdsBatch one chunk ahead
    for await (const { encodings } of encodeChunks(tokenizer, textFileChunks(file))) {
      for (const encoding of encodings) tokens += encoding.ids.length;
      lines += encodings.length;
      if (lines >= maxLines) break;
    }
  } else if (mode === 'native') {
    for await (const encodings of nativeBatches(textFileChunks(file))) {
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
  return {
    mode, lines, tokens, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024,
    hitRate: mode === 'memo' ? tokenizer.chunkMemoHitRate : null,
  };
}

/** The peer: whole lines through the native batch encoder (special tokens added by it), one chunk ahead. */
async function* nativeBatches(chunks: AsyncIterable<{ texts: string[] }>): AsyncGenerator<{ ids: Int32Array; wordIds: Int32Array }[]> {
  const { Tokenizer } = await import('tokenizers');
  const native = Tokenizer.fromFile(join(BERT, 'tokenizer.json'));
  const iterator = chunks[Symbol.asyncIterator]();
  const start = async () => {
    const next = await iterator.next();
    if (next.done) return null;
    return (await native.encodeBatch(next.value.texts)).map((encoding) => ({
      ids: Int32Array.from(encoding.getIds()),
      wordIds: Int32Array.from(encoding.getWordIds(), (word) => word ?? -1),
    }));
  };
  let pending = start();
  for (;;) {
    const current = await pending;
    if (current === null) return;
    pending = start();
    yield current;
  }
}

function child(mode: Mode, file: string, maxLines?: number): Measurement {
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
        line = line.rstrip('\\n')
        if not line.strip(): continue
        chunk.append(line); lines += 1
        if len(chunk) == 4096: flush(); chunk = []
if chunk: flush()
u = resource.getrusage(resource.RUSAGE_SELF)
print('{"mode": "python", "lines": %d, "tokens": %d, "seconds": %f, "cpuSeconds": %f, "peakRssMb": %f, "hitRate": null}' % (lines, tokens, time.perf_counter() - start, u.ru_utime + u.ru_stime - cpu0.ru_utime - cpu0.ru_stime, u.ru_maxrss / 1024))
`;
  const run = spawnSync('/usr/bin/python3', ['-c', script, join(BERT, 'tokenizer.json'), file, ...(maxLines ? [String(maxLines)] : [])], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim()) as Measurement;
}

/** Writes text blocks until `sizeMb` MB are written; returns the number of lines. */
function writeCorpus(path: string, sizeMb: number, nextBlock: () => string[]): number {
  const fd = openSync(path, 'w');
  let written = 0;
  let lines = 0;
  while (written < sizeMb * 1e6) {
    const block = nextBlock();
    written += writeSync(fd, `${block.join('\n')}\n`);
    lines += block.length;
  }
  closeSync(fd);
  return lines;
}

/** A deterministic synthetic corpus: sentences of bert-base-uncased whole words, 10,000 lines a block. */
function syntheticBlocks(): () => string[] {
  const words = readFileSync(join(BERT, 'vocab.txt'), 'utf8').split('\n').filter((w) => /^[a-z]{2,}$/.test(w));
  let state = 12345;
  const next = () => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state; };
  return () => Array.from({ length: 10_000 }, () => {
    const length = 8 + (next() % 23);
    return `${Array.from({ length }, () => words[next() % words.length]).join(' ')} .`;
  });
}

/** The text of ../shared/data, one sentence or SQuAD context per line (read in place, written only under /tmp). */
async function sharedText(): Promise<string[]> {
  const { readGlueTsv } = await import('../packages/tunelab/src/data/glue.js');
  const { readSquadJson } = await import('../packages/tunelab/src/data/squad.js');
  const lines: string[] = [];
  const glue = [['sst2', 'SST-2'], ['mrpc', 'MRPC'], ['stsb', 'STS-B']] as const;
  for (const [task, folder] of glue) {
    for (const split of ['train', 'dev']) {
      for (const example of readGlueTsv(task, join(DATA, 'glue', folder, `${split}.tsv`)).examples) {
        lines.push(example.text, ...(example.textPair !== undefined && example.textPair !== null ? [example.textPair] : []));
      }
    }
  }
  for (const version of ['v1.1', 'v2.0']) {
    lines.push(...new Set(readSquadJson(join(DATA, 'squad', `sample-${version}.json`)).examples.map((e) => e.context)));
  }
  return lines.map((line) => line.replace(/\s*\n\s*/g, ' ')).filter((line) => line.trim() !== '');
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

interface Corpus { name: string; file: string; lines: number; firstCopyLines?: number }

async function main(): Promise<void> {
  const sizeMb = Number(flags['size-mb']);
  const repeats = Number(flags.repeats);
  const perLineLines = Number(flags['per-line-lines']);
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-tokenize-bench-'));
  try {
    const corpora: Corpus[] = [];
    if (flags.corpus !== 'shared') {
      const file = join(dir, 'synthetic.txt');
      corpora.push({ name: 'synthetic', file, lines: writeCorpus(file, sizeMb, syntheticBlocks()) });
    }
    if (flags.corpus !== 'synthetic') {
      const file = join(dir, 'shared.txt');
      const text = await sharedText();
      corpora.push({ name: 'shared', file, lines: writeCorpus(file, sizeMb, () => text), firstCopyLines: text.length });
    }
    console.log(`${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    for (const corpus of corpora) {
      console.log(`corpus ${corpus.name}: ${sizeMb} MB, ${corpus.lines} lines` +
        (corpus.firstCopyLines ? ` (${corpus.firstCopyLines} distinct lines repeated)` : ''));
    }
    const results = new Map<string, Measurement[]>();
    const record = (key: string, m: Measurement | null) => { if (m) results.set(key, [...(results.get(key) ?? []), m]); };
    for (let r = 0; r < repeats; r++) {
      for (const corpus of corpora) {
        const key = (what: string) => `${corpus.name}/${what}`;
        record(key('memo'), child('memo', corpus.file));
        record(key('native'), child('native', corpus.file));
        record(key('per-line'), child('per-line', corpus.file, perLineLines));
        record(key('python'), python(corpus.file));
        record(key('quarter'), child('memo', corpus.file, Math.floor(corpus.lines / 4)));
        if (corpus.firstCopyLines) {
          record(key('memo first copy'), child('memo', corpus.file, corpus.firstCopyLines));
          record(key('native first copy'), child('native', corpus.file, corpus.firstCopyLines));
        }
      }
    }
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    for (const corpus of corpora) report(corpus, results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(corpus: Corpus, results: Map<string, Measurement[]>): void {
  const get = (what: string) => results.get(`${corpus.name}/${what}`) ?? [];
  const rate = (ms: Measurement[]) => median(ms.map((m) => m.lines / m.seconds));
  const rss = (ms: Measurement[]) => median(ms.map((m) => m.peakRssMb));
  // lines per CPU-second: what the code costs whatever else runs on the machine (the wall rate depends on the load)
  const row = (name: string, ms: Measurement[]) => {
    if (ms.length === 0) return;
    const hit = ms[0].hitRate === null ? '' : `  memo hits ${(100 * median(ms.map((m) => m.hitRate!))).toFixed(1)} %`;
    console.log(`  ${name.padEnd(38)} ${rate(ms).toFixed(0).padStart(8)} lines/s ` +
      `${(median(ms.map((m) => m.tokens / m.seconds)) / 1e3).toFixed(0).padStart(5)}k tokens/s ` +
      `${median(ms.map((m) => m.lines / m.cpuSeconds)).toFixed(0).padStart(8)} lines/CPU-s  peak RSS ` +
      `${rss(ms).toFixed(0).padStart(5)} MB  (${ms[0].lines} lines)${hit}`);
  };
  console.log(`\n${corpus.name} corpus (medians of ${get('memo').length})`);
  row('encodeIdsBatch, memo (whole file)', get('memo'));
  row('encodeIdsBatch, memo (first quarter)', get('quarter'));
  row('native encodeBatch (whole file)', get('native'));
  row('one encode() per line', get('per-line'));
  row('Python tokenizers encode_batch', get('python'));
  if (get('python').length === 0) console.log('  Python tokenizers: not installed (/usr/bin/python3 -c "import tokenizers" fails)');
  row('encodeIdsBatch, memo (first copy)', get('memo first copy'));
  row('native encodeBatch (first copy)', get('native first copy'));
  const ratio = (a: string, b: string) => (get(b).length > 0 ? `${(rate(get(a)) / rate(get(b))).toFixed(2)}x` : 'n/a');
  console.log(`  memo / native: ${ratio('memo', 'native')}` +
    (corpus.firstCopyLines ? ` (first copy ${ratio('memo first copy', 'native first copy')})` : '') +
    `; memo / per-line: ${ratio('memo', 'per-line')}; memo / Python: ${ratio('memo', 'python')}` +
    `; peak RSS whole / quarter file: ${(rss(get('memo')) / rss(get('quarter'))).toFixed(2)}`);
}
