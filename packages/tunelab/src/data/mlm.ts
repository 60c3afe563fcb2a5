// Masked-LM data as HF's run_mlm prepares it: a corpus (plain text, one document per line; CSV/JSONL with a text
// column; or Hub parquet rows) tokenized in batches by the native tokenizer while the file streams, then either one
// example per line (--line-by-line) or all texts joined and cut into --max-seq-length blocks (group_texts). Masking
// is DataCollatorForLanguageModeling's: --mlm-probability of the maskable tokens (never special tokens or padding),
// of which 80 % become [MASK], 10 % a random token and 10 % stay; with --whole-word-masking a word's sub-tokens are
// chosen together (DataCollatorForWholeWordMask). Masks are drawn from (seed, epoch, batch, rank), so a resumed run
// sees the same masks as an uninterrupted one.
import { open } from 'node:fs/promises';
import type { Batch } from './collate.js';
import { DataError } from './errors.js';
import { IGNORE_INDEX, type Feature, type FeatureSet } from './features.js';
import { Rng } from './rng.js';
import { firstInvalidUtf8 } from './text-file.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

/** Lines tokenized per native batch call. */
export const CORPUS_CHUNK_LINES = 4096;
/** A line longer than this (characters) is not text meant to be read line by line (a binary or minified file). */
export const MAX_LINE_CHARS = 1 << 20;
const READ_CHUNK_BYTES = 1 << 20;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Lines of a text file with their 1-based numbers. */
export interface LineChunk {
  lines: string[];
  /** Line number of lines[0]. */
  firstLine: number;
}

/**
 * Streams a UTF-8 text file in chunks of `chunkLines` lines, reading 1 MiB at a time (memory stays flat whatever the
 * file size). A NUL byte or invalid UTF-8 (a binary file), or a line longer than MAX_LINE_CHARS, is a DataError
 * naming the line.
 */
export async function* streamLines(file: string, chunkLines = CORPUS_CHUNK_LINES): AsyncGenerator<LineChunk> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${code})`);
  }
  try {
    if ((await handle.stat()).isDirectory()) throw new DataError(file, 'is a folder, not a file');
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let pending: Buffer = Buffer.alloc(0);
    let nextLine = 1;
    let lines: string[] = [];
    let firstLine = 1;
    // Whole lines are decoded a read at a time (one strict UTF-8 decode, one split); errors find their line after.
    const take = (bytes: Buffer): void => {
      const nul = bytes.indexOf(0);
      if (nul !== -1) throw new DataError(`${file}:${nextLine + countNewlines(bytes, nul)}`, 'has a NUL byte: a binary file, not text');
      let text: string;
      try {
        text = strictUtf8.decode(bytes);
      } catch {
        throw new DataError(`${file}:${nextLine + countNewlines(bytes, firstInvalidUtf8(bytes))}`, 'is not UTF-8 text (a binary file?)');
      }
      if (nextLine === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const split = text.split('\n');
      if (split.at(-1) === '') split.pop(); // the final newline ends the last line
      for (const line of split) {
        if (line.length > MAX_LINE_CHARS) tooLong(file, nextLine);
        if (lines.length === 0) firstLine = nextLine;
        lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
        nextLine++;
      }
    };
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const data = pending.length > 0 ? Buffer.concat([pending, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      const end = data.lastIndexOf(10) + 1;
      if (end > 0) take(data.subarray(0, end));
      if (data.length - end > MAX_LINE_CHARS * 4) tooLong(file, nextLine);
      pending = Buffer.from(data.subarray(end)); // copy: `buffer` is reused by the next read
      while (lines.length >= chunkLines) {
        yield { lines: lines.slice(0, chunkLines), firstLine };
        lines = lines.slice(chunkLines);
        firstLine += chunkLines;
      }
    }
    if (pending.length > 0) take(pending);
    while (lines.length > 0) {
      yield { lines: lines.slice(0, chunkLines), firstLine };
      lines = lines.slice(chunkLines);
      firstLine += chunkLines;
    }
  } finally {
    await handle.close();
  }
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 10) count++;
  return count;
}

function tooLong(file: string, line: number): never {
  throw new DataError(`${file}:${line}`, `line longer than ${MAX_LINE_CHARS} characters (not line-oriented text)`);
}

/** How a corpus becomes examples: one per line, or joined and cut into blocks (run_mlm's group_texts). */
export interface CorpusOptions {
  maxSeqLength: number;
  lineByLine: boolean;
  /** Keep only this many examples (blocks or lines), like --max-train-samples. */
  maxSamples?: number;
}

/**
 * MLM features: token ids (special tokens included) and, per feature, the word index of each token (-1 for
 * special tokens) for whole-word masking.
 */
export interface MlmFeatureSet extends FeatureSet {
  wordIds: Int32Array[];
}

/** Texts with where they come from (`file:line`), in chunks, from any source (a file stream or rows in memory). */
export type TextChunks = AsyncIterable<{ texts: string[]; where: (i: number) => string }>;

/** The lines of a plain text file as text chunks; blank lines are skipped (as run_mlm does). */
export async function* textFileChunks(file: string): TextChunks {
  for await (const { lines, firstLine } of streamLines(file)) {
    const kept: string[] = [];
    const numbers: number[] = [];
    lines.forEach((line, i) => {
      if (line.trim() !== '') { kept.push(line); numbers.push(firstLine + i); }
    });
    yield { texts: kept, where: (i) => `${file}:${numbers[i]}` };
  }
}

/** Texts already in memory (CSV/JSONL columns, Hub rows), chunked for the native batch tokenizer. */
export async function* memoryChunks(texts: { text: string; where: string }[]): TextChunks {
  for (let start = 0; start < texts.length; start += CORPUS_CHUNK_LINES) {
    const chunk = texts.slice(start, start + CORPUS_CHUNK_LINES).filter((t) => t.text.trim() !== '');
    yield { texts: chunk.map((t) => t.text), where: (i) => chunk[i].where };
  }
}

/** A chunk of texts and its encodings (ids, and word ids with -1 at special tokens). */
export interface EncodedChunk {
  chunk: { texts: string[]; where: (i: number) => string };
  encodings: { ids: Int32Array; wordIds: Int32Array }[];
}

/**
 * Encodes chunks with the tokenizer's batch API, one chunk ahead: the native tokenizer works on the next chunk (on
 * its own threads) while the caller handles this one.
 */
export async function* encodeChunks(tokenizer: Tokenizer, chunks: TextChunks): AsyncGenerator<EncodedChunk> {
  const iterator = chunks[Symbol.asyncIterator]();
  const start = async (): Promise<EncodedChunk | null> => {
    const next = await iterator.next();
    return next.done ? null : { chunk: next.value, encodings: await tokenizer.encodeIdsBatch(next.value.texts) };
  };
  let pending = start();
  for (;;) {
    const current = await pending;
    if (current === null) return;
    pending = start();
    pending.catch(() => undefined); // surfaced when awaited; not an unhandled rejection if the caller stops early
    yield current;
  }
}

/**
 * Tokenizes a corpus into MLM features, chunk by chunk with the tokenizer's batch API. Grouped: every text encoded
 * with its special tokens ([CLS] … [SEP]), concatenated, cut into blocks of maxSeqLength, the remainder dropped (HF
 * group_texts). Line by line: one feature per text; a text longer than a block is an error (it would be cut).
 */
export async function mlmFeatures(tokenizer: Tokenizer, chunks: TextChunks, source: string,
  options: CorpusOptions): Promise<MlmFeatureSet> {
  const features: Feature[] = [];
  const wordIds: Int32Array[] = [];
  const blockIds = new Int32Array(options.maxSeqLength);
  const blockWords = new Int32Array(options.maxSeqLength);
  let filled = 0;
  let wordOffset = 0;
  const full = () => options.maxSamples !== undefined && features.length >= options.maxSamples;
  const zeros = new Map<number, Int32Array>(); // one shared all-zero token_type_ids per length (never written)
  const emit = (ids: Int32Array, words: Int32Array) => {
    if (!zeros.has(ids.length)) zeros.set(ids.length, new Int32Array(ids.length));
    features.push({ input_ids: ids, token_type_ids: zeros.get(ids.length)! });
    wordIds.push(words);
  };
  let texts = 0;
  for await (const { chunk, encodings } of encodeChunks(tokenizer, chunks)) {
    if (full()) break;
    texts += chunk.texts.length;
    for (let i = 0; i < encodings.length && !full(); i++) {
      const { ids, wordIds: words } = encodings[i];
      if (options.lineByLine) {
        if (ids.length > options.maxSeqLength) {
          throw new DataError(chunk.where(i), `${ids.length} tokens, longer than a block of --max-seq-length ` +
            `${options.maxSeqLength} (--line-by-line keeps each line whole: raise --max-seq-length, or drop --line-by-line)`);
        }
        emit(ids, words);
        continue;
      }
      // Word ids keep counting across texts, so words of different lines never merge into one.
      let maxWord = -1;
      for (let t = 0; t < ids.length; t++) {
        const word = words[t];
        blockIds[filled] = ids[t];
        blockWords[filled] = word < 0 ? -1 : wordOffset + word;
        if (word > maxWord) maxWord = word;
        if (++filled === options.maxSeqLength) {
          emit(blockIds.slice(), blockWords.slice());
          filled = 0;
          if (full()) break;
        }
      }
      wordOffset += maxWord + 1;
    }
  }
  if (texts === 0) throw new DataError(source, 'no text (an empty corpus)');
  if (features.length === 0) {
    throw new DataError(source, `fewer tokens (${filled}) than one block of --max-seq-length ${options.maxSeqLength}: ` +
      'give more text, a smaller --max-seq-length, or --line-by-line');
  }
  return { labelKind: 'none', features, wordIds };
}

export interface MaskingOptions {
  mlmProbability: number;
  wholeWordMasking: boolean;
  maskTokenId: number;
  vocabSize: number;
  /** Token ids never masked (the tokenizer's special tokens: [CLS], [SEP], [PAD], …). */
  specialIds: ReadonlySet<number>;
}

/**
 * Masks a padded batch in place of a copy: `labels` [B × T] hold the original id at chosen positions, IGNORE_INDEX
 * elsewhere; chosen input ids become [MASK] (80 %), a random token (10 %) or stay (10 %). Padding (attention 0) and
 * special tokens are never chosen. `wordIds` (per feature) groups sub-tokens for whole-word masking.
 */
export function maskBatch(batch: Batch, wordIds: readonly Int32Array[], rng: Rng, options: MaskingOptions): Batch {
  const [b, t] = batch.size;
  const inputIds = batch.input_ids.slice();
  const labels = new Int32Array(b * t).fill(IGNORE_INDEX);
  for (let r = 0; r < b; r++) {
    const words = wordIds[batch.feature_index[r]];
    const maskable = (pos: number) => batch.attention_mask[r * t + pos] === 1 && !options.specialIds.has(batch.input_ids[r * t + pos]);
    const chosen = options.wholeWordMasking
      ? chooseWholeWords(words, t, maskable, rng, options.mlmProbability)
      : chooseTokens(t, maskable, rng, options.mlmProbability);
    for (const pos of chosen) {
      const at = r * t + pos;
      labels[at] = batch.input_ids[at];
      // HF's order of draws: bernoulli(0.8) for [MASK], then bernoulli(0.5) of the rest for a random token.
      if (rng.float() < 0.8) inputIds[at] = options.maskTokenId;
      else if (rng.float() < 0.5) inputIds[at] = rng.below(options.vocabSize);
    }
  }
  return { ...batch, input_ids: inputIds, labels };
}

/** Each maskable position independently with probability p (DataCollatorForLanguageModeling). */
function chooseTokens(length: number, maskable: (pos: number) => boolean, rng: Rng, p: number): number[] {
  const chosen: number[] = [];
  for (let pos = 0; pos < length; pos++) {
    // One draw per position, maskable or not, so a row's masks do not depend on where its specials are.
    const draw = rng.float();
    if (maskable(pos) && draw < p) chosen.push(pos);
  }
  return chosen;
}

/**
 * DataCollatorForWholeWordMask: words in random order are taken whole until round(p × maskable tokens) tokens
 * (at least 1) are covered; a word that would overshoot is skipped.
 */
function chooseWholeWords(words: Int32Array, length: number, maskable: (pos: number) => boolean, rng: Rng, p: number): number[] {
  const groups = new Map<number, number[]>();
  let candidates = 0;
  for (let pos = 0; pos < Math.min(length, words.length); pos++) {
    if (!maskable(pos) || words[pos] < 0) continue;
    const group = groups.get(words[pos]);
    if (group) group.push(pos);
    else groups.set(words[pos], [pos]);
    candidates++;
  }
  if (candidates === 0) return [];
  const target = Math.max(1, Math.round(candidates * p));
  const chosen: number[] = [];
  for (const group of rng.shuffle([...groups.values()])) {
    if (chosen.length >= target) break;
    if (chosen.length + group.length > target) continue;
    chosen.push(...group);
  }
  return chosen.sort((a, c) => a - c);
}

/** The random stream of one training batch: the same (seed, epoch, batch index, rank) gives the same masks. */
export function maskingRng(seed: number, epoch: number, batchIndex: number, rank = 0): Rng {
  return new Rng(seed, ((epoch * 1_000_003 + batchIndex) * 64 + rank) % Number.MAX_SAFE_INTEGER);
}

/** The tokenizer's special token ids (never masked). */
export function specialTokenIds(tokenizer: Tokenizer): Set<number> {
  const ids = new Set<number>();
  for (const special of Object.values(tokenizer.specialTokens)) if (special) ids.add(special.id);
  const unk = tokenizer.specialTokens.unk;
  if (unk) ids.delete(unk.id); // [UNK] stands for text: run_mlm masks it like any word
  return ids;
}
