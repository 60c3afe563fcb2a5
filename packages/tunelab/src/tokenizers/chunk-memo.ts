// A memo of the native tokenizer per whitespace-separated chunk, for corpora (Tokenizer.encodeIdsBatch).
//
// Why: the native batch encoder alone peaks at 36–42k lines/s on the 2-core CPU this project targets (18-word
// lines), under the ≥ 50k lines/s asked for masked-LM corpora. Real text repeats its words: looked up in a Map, a
// chunk seen before costs a hash lookup, and the native library encodes only the chunks not seen yet (all of them in
// one batch call, so it still does all the normalising and WordPiece work). bench/tokenize-corpus.ts measures both
// (64 MB, 2 cores): 161k vs 34k lines/s on the text of ../shared read once (91 % of chunks found in the memo), 179k vs
// 22k on synthetic sentences; on random letters where no word repeats (5 % found) it costs 0.6–0.8x the native path.
//
// Why it is exact: with a BERT normaliser (or none), a whitespace-splitting pre-tokenizer and a WordPiece model,
// encoding is compositional over the chunks between whitespace. The normaliser maps each character on its own
// (clean_text turns whitespace into ' ' and drops controls, CJK characters get spaces around them, NFD then accent
// marks removed, per-character lowercase); the pre-tokenizer splits at whitespace (removed) and at punctuation;
// WordPiece sees one word at a time. So encode(line) is the concatenation of encode(chunk) over the line's chunks,
// word ids shifted by the words before. Any other tokenizer (byte-level BPE marks a word's leading space, Metaspace
// and Unigram see the spaces too) is not, and keeps the native path: `chunkSeparator` decides from tokenizer.json.
import type { Encoding as NativeEncoding } from 'tokenizers';
import { TokenizerError } from './errors.js';
import { codePointLength } from './offsets.js';

/**
 * Runs of Unicode White_Space: what Rust's `char::is_whitespace` matches, which the BERT and WhitespaceSplit
 * pre-tokenizers and the regex `\s` of the Whitespace pre-tokenizer split on. Not JS `\s`: that also matches U+FEFF
 * (a format character, part of a word) and misses U+0085.
 */
const WHITE_SPACE = /[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
/**
 * The same after BertNormalizer's clean_text, which deletes control characters before it turns whitespace into
 * spaces: U+000B, U+000C and U+0085 are both, so they join the text around them instead of separating it.
 */
const WHITE_SPACE_AFTER_CLEAN_TEXT = /[\t\n\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const WHITE_SPACE_CHAR = new RegExp(WHITE_SPACE.source.slice(0, -1));
/** Characters BertNormalizer (handle_chinese_chars) pads with spaces: a normalised added token could then span chunks. */
const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b820}-\u{2ceaf}\u{2f800}-\u{2fa1f}]/u;

/**
 * Chunks remembered before the memo starts over: memory stays flat on any corpus (peak RSS 565 MB for 400k lines of
 * unique words, 503 MB for a quarter of them; 344 MB for 1 GB of synthetic sentences).
 */
export const MEMO_MAX_CHUNKS = 1 << 19;
/** Longer chunks (URLs, numbers, hashes: rarely repeated) are encoded every time and not remembered. */
export const MEMO_MAX_CHUNK_CHARS = 48;
/**
 * Unseen chunks go to the native encoder joined by spaces, this many to a text: one native Encoding per chunk costs
 * 2.7x the time of whole lines and balloons the RSS (measured on a corpus of unique words); many texts per call keep
 * the native thread pool busy.
 */
const CHUNKS_PER_NATIVE_TEXT = 64;

const NORMALIZERS = new Set(['BertNormalizer']);
const PRE_TOKENIZERS = new Set(['BertPreTokenizer', 'WhitespaceSplit', 'Whitespace']);

/** The parts of a tokenizer.json that decide whether it encodes chunk by chunk. */
export interface TokenizerJson {
  normalizer?: { type?: unknown; clean_text?: unknown } | null;
  pre_tokenizer?: { type?: unknown } | null;
  model?: { type?: unknown; max_input_chars_per_word?: unknown };
  added_tokens?: unknown;
}

/**
 * What separates the chunks a tokenizer encodes independently (a text's encoding is the concatenation of theirs),
 * or null when it does not: chunkwise are BertNormalizer or none, a BERT/whitespace pre-tokenizer, WordPiece, and
 * added tokens that cannot span whitespace.
 */
export function chunkSeparator(json: TokenizerJson): RegExp | null {
  const normalizer = json.normalizer ?? null;
  if (normalizer !== null && !NORMALIZERS.has(String(normalizer.type))) return null;
  if (!PRE_TOKENIZERS.has(String(json.pre_tokenizer?.type))) return null;
  // tokenizer.json files written by older transformers leave the model type out; only WordPiece has this field
  const model = json.model?.type ?? (json.model?.max_input_chars_per_word !== undefined ? 'WordPiece' : null);
  if (model !== 'WordPiece') return null;
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added) || !added.every((token) => staysInChunk(token, normalizer !== null))) return null;
  return normalizer !== null && normalizer.clean_text !== false ? WHITE_SPACE_AFTER_CLEAN_TEXT : WHITE_SPACE;
}

/** An added token is matched inside one chunk when it has no whitespace and strips none around it. */
function staysInChunk(token: unknown, normalizes: boolean): boolean {
  if (typeof token !== 'object' || token === null) return false;
  const { content, lstrip, rstrip, normalized } = token as Record<string, unknown>;
  if (typeof content !== 'string' || content === '' || lstrip === true || rstrip === true) return false;
  if (WHITE_SPACE_CHAR.test(content)) return false;
  return !(normalizes && normalized !== false && CJK.test(content));
}

export type EncodeChunks = (chunks: string[]) => Promise<NativeEncoding[]>;

/** A piece of the single-text template: a special token id, or the text's tokens. */
export type TemplatePiece = { kind: 'special'; id: number } | { kind: 'sequence' };

/** Encoded chunks, append-only: token ids and word ids (relative to the chunk) of entry e in [start[e], start[e+1]). */
class ChunkStore {
  readonly index = new Map<string, number>();
  size = 0;
  start = new Int32Array(1025);
  words = new Int32Array(1024);
  ids = new Int32Array(4096);
  wordIds = new Int32Array(4096);

  /** Adds the tokens [first, end) of an encoding as one chunk; word ids are made relative to the chunk's first word. */
  add(ids: readonly number[], wordIds: readonly (number | null | undefined)[], first: number, end: number): number {
    const entry = this.size++;
    const from = this.start[entry];
    const to = from + end - first;
    if (entry + 2 > this.start.length) this.start = grow(this.start, entry + 2);
    if (entry + 1 > this.words.length) this.words = grow(this.words, entry + 1);
    if (to > this.ids.length) {
      this.ids = grow(this.ids, to);
      this.wordIds = grow(this.wordIds, to);
    }
    const base = wordIds[first] ?? 0;
    let words = 0;
    for (let t = first; t < end; t++) {
      const word = wordIds[t];
      const relative = word === null || word === undefined ? -1 : word - base;
      this.ids[from + t - first] = ids[t];
      this.wordIds[from + t - first] = relative;
      if (relative >= words) words = relative + 1;
    }
    this.start[entry + 1] = to;
    this.words[entry] = words;
    return entry;
  }
}

function grow(array: Int32Array, atLeast: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(Math.max(atLeast, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** Ids and word ids (-1 at special tokens) of one text, as Tokenizer.encodeIdsBatch returns them. */
export interface EncodedIds {
  ids: Int32Array;
  wordIds: Int32Array;
}

export class ChunkMemo {
  private store = new ChunkStore();
  private lookups = 0;
  private hits = 0;

  /** `maxChunks`: how many chunks to remember before starting over (smaller in tests). */
  constructor(private readonly separator: RegExp, private readonly encodeChunks: EncodeChunks,
    private readonly maxChunks = MEMO_MAX_CHUNKS) {}

  /** Share of chunk lookups found in the memo since it was made (the benchmark reports it). */
  get hitRate(): number {
    return this.lookups === 0 ? 0 : this.hits / this.lookups;
  }

  async encode(texts: readonly string[], template: readonly TemplatePiece[]): Promise<EncodedIds[]> {
    // Entries are looked up now and read after the await: a store is append-only and replaced (never emptied) when
    // full, so what this call found stays valid whatever other calls do meanwhile.
    const store = this.store;
    const chunks: string[] = [];
    const textEnds = new Int32Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      for (const chunk of texts[i].split(this.separator)) if (chunk !== '') chunks.push(chunk);
      textEnds[i] = chunks.length;
    }
    // entry >= 0: in `store`; entry < 0: miss number -entry - 1
    const entries = new Int32Array(chunks.length);
    const misses = new Map<string, number>();
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      const entry = store.index.get(chunk);
      if (entry !== undefined) {
        entries[c] = entry;
        continue;
      }
      let miss = misses.get(chunk);
      if (miss === undefined) misses.set(chunk, miss = misses.size);
      entries[c] = -miss - 1;
    }
    this.lookups += chunks.length;
    this.hits += chunks.length - countMisses(entries);
    const missStore = await this.encodeMisses([...misses.keys()]);
    return this.assemble(texts.length, textEnds, entries, store, missStore, template);
  }

  /**
   * Encodes the unseen chunks in one native batch call and remembers them (short ones, while there is room). They go
   * joined by spaces, CHUNKS_PER_NATIVE_TEXT to a text, and each token returns to its chunk by its offset.
   */
  private async encodeMisses(misses: string[]): Promise<ChunkStore> {
    const encoded = new ChunkStore();
    if (misses.length === 0) return encoded;
    const groups: string[] = [];
    for (let m = 0; m < misses.length; m += CHUNKS_PER_NATIVE_TEXT) groups.push(misses.slice(m, m + CHUNKS_PER_NATIVE_TEXT).join(' '));
    const encodings = await this.encodeChunks(groups);
    encodings.forEach((encoding, g) => {
      const ids = encoding.getIds();
      const wordIds = encoding.getWordIds();
      const offsets = encoding.getOffsets();
      let token = 0;
      let chunkStart = 0; // in code points, as the offsets count
      for (let m = g * CHUNKS_PER_NATIVE_TEXT; m < Math.min(misses.length, (g + 1) * CHUNKS_PER_NATIVE_TEXT); m++) {
        const chunk = misses[m];
        const nextStart = chunkStart + codePointLength(chunk) + 1;
        const first = token;
        while (token < ids.length && offsets[token][0] < nextStart) token++;
        chunkStart = nextStart;
        encoded.add(ids, wordIds, first, token);
        if (chunk.length > MEMO_MAX_CHUNK_CHARS || this.store.index.has(chunk)) continue;
        if (this.store.size >= this.maxChunks) this.store = new ChunkStore();
        this.store.index.set(ownCopy(chunk), this.store.add(ids, wordIds, first, token));
      }
      if (token !== ids.length) throw new TokenizerError(`chunk memo: ${ids.length - token} tokens past the last chunk (offsets out of order)`);
    });
    return encoded;
  }

  private assemble(count: number, textEnds: Int32Array, entries: Int32Array, store: ChunkStore, missStore: ChunkStore,
    template: readonly TemplatePiece[]): EncodedIds[] {
    const specials = template.length - 1;
    const out: EncodedIds[] = new Array(count);
    let first = 0;
    for (let i = 0; i < count; i++) {
      const end = textEnds[i];
      let tokens = 0;
      for (let c = first; c < end; c++) {
        const entry = entries[c];
        const s = entry >= 0 ? store : missStore;
        const e = entry >= 0 ? entry : -entry - 1;
        tokens += s.start[e + 1] - s.start[e];
      }
      const ids = new Int32Array(tokens + specials);
      const wordIds = new Int32Array(tokens + specials);
      let at = 0;
      for (const piece of template) {
        if (piece.kind === 'special') {
          ids[at] = piece.id;
          wordIds[at++] = -1;
          continue;
        }
        let wordOffset = 0;
        for (let c = first; c < end; c++) {
          const entry = entries[c];
          const s = entry >= 0 ? store : missStore;
          const e = entry >= 0 ? entry : -entry - 1;
          for (let t = s.start[e]; t < s.start[e + 1]; t++) {
            const word = s.wordIds[t];
            ids[at] = s.ids[t];
            wordIds[at++] = word < 0 ? -1 : word + wordOffset;
          }
          wordOffset += s.words[e];
        }
      }
      out[i] = { ids, wordIds };
      first = end;
    }
    return out;
  }
}

function countMisses(entries: Int32Array): number {
  let misses = 0;
  for (let c = 0; c < entries.length; c++) if (entries[c] < 0) misses++;
  return misses;
}

/**
 * A copy of `text` that does not point into the string it was cut from. V8 keeps substrings of 13+ characters as
 * views of their parent (here a whole 1 MiB read of the corpus), which a memo key would keep alive.
 */
function ownCopy(text: string): string {
  return text.length < 13 ? text : (` ${text}`).slice(1);
}
