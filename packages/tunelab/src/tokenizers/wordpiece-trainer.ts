// Trains a BERT WordPiece vocabulary from text, as HF tokenizers' WordPieceTrainer does (the npm binding does not
// expose it): BERT-normalise and pre-tokenize, start from characters ("##"-prefixed inside words), then repeatedly
// merge the most frequent adjacent pair until the vocabulary is full. Deterministic: ties go to the smaller pair.
import { bertNormalizer, bertPreTokenizer } from 'tokenizers';
import { TokenizerError } from './errors.js';

export interface WordPieceTrainingOptions {
  vocabSize: number;
  /** Pairs seen fewer times are not merged. Default 2 (as HF's BertWordPieceTokenizer.train). */
  minFrequency?: number;
  /** First in the vocabulary, in this order. Default [PAD], [UNK], [CLS], [SEP], [MASK]. */
  specialTokens?: string[];
  /** At most this many distinct characters (the most frequent); others are dropped. Default 1000. */
  limitAlphabet?: number;
  lowercase?: boolean;
  stripAccents?: boolean;
  handleChineseChars?: boolean;
}

const PREFIX = '##';

/** The vocabulary, in id order (write it as vocab.txt, or pass it to Tokenizer.fromWordPieceVocab). */
export function trainWordPiece(texts: Iterable<string>, options: WordPieceTrainingOptions): string[] {
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < 1) {
    throw new TokenizerError(`vocabSize must be a positive integer (got ${options.vocabSize})`);
  }
  const wordCounts = countWords(texts, options);
  const vocab: string[] = [...(options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'])];
  const ids = new Map<string, number>();
  const add = (token: string) => {
    let id = ids.get(token);
    if (id === undefined) {
      id = vocab.length;
      ids.set(token, id);
      vocab.push(token);
    }
    return id;
  };
  vocab.forEach((token, id) => ids.set(token, id));
  const alphabet = chooseAlphabet(wordCounts, options.limitAlphabet ?? 1000);
  for (const ch of alphabet) add(ch);
  const words = [...wordCounts].map(([word, count]) => ({
    symbols: [...word].filter((ch) => alphabet.has(ch)).map((ch, i) => add(i === 0 ? ch : PREFIX + ch)),
    count,
  }));
  new PairMerger(words, vocab, add).run(options.vocabSize, options.minFrequency ?? 2);
  return vocab;
}

function countWords(texts: Iterable<string>, options: WordPieceTrainingOptions): Map<string, number> {
  const lowercase = options.lowercase ?? true;
  const normalizer = bertNormalizer({
    cleanText: true, lowercase, stripAccents: options.stripAccents ?? lowercase,
    handleChineseChars: options.handleChineseChars ?? true,
  });
  const preTokenizer = bertPreTokenizer();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const [word] of preTokenizer.preTokenizeString(normalizer.normalizeString(text))) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  // Sorted so that the result does not depend on the order of the texts.
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The `limit` most frequent characters (ties by code point), kept in code-point order. */
function chooseAlphabet(wordCounts: Map<string, number>, limit: number): Set<string> {
  const frequency = new Map<string, number>();
  for (const [word, count] of wordCounts) for (const ch of word) frequency.set(ch, (frequency.get(ch) ?? 0) + count);
  const byCode = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;
  const kept = [...frequency].sort(([a, fa], [b, fb]) => fb - fa || byCode(a, b)).slice(0, limit).map(([ch]) => ch);
  return new Set(kept.sort(byCode));
}

interface Word {
  symbols: number[];
  count: number;
}

/** Counts adjacent symbol pairs over all words and merges the most frequent one at a time. */
class PairMerger {
  private readonly counts = new Map<number, number>();
  private readonly where = new Map<number, Set<number>>();
  private readonly heap: [count: number, pair: number][] = [];

  constructor(private readonly words: Word[], private readonly vocab: string[], private readonly add: (token: string) => number) {
    words.forEach((word, w) => this.countPairs(word, w, +1));
  }

  run(vocabSize: number, minFrequency: number): void {
    while (this.vocab.length < vocabSize) {
      const best = this.popBest();
      if (best === null || best[0] < minFrequency) return;
      const [left, right] = unpair(best[1]);
      const merged = this.add(this.vocab[left] + this.vocab[right].slice(PREFIX.length));
      for (const w of [...(this.where.get(best[1]) ?? [])]) this.mergeIn(w, left, right, merged);
    }
  }

  private mergeIn(w: number, left: number, right: number, merged: number): void {
    const word = this.words[w];
    this.countPairs(word, w, -1);
    const symbols: number[] = [];
    for (let i = 0; i < word.symbols.length; i++) {
      if (word.symbols[i] === left && word.symbols[i + 1] === right) {
        symbols.push(merged);
        i++;
      } else {
        symbols.push(word.symbols[i]);
      }
    }
    word.symbols = symbols;
    this.countPairs(word, w, +1);
  }

  private countPairs(word: Word, w: number, sign: 1 | -1): void {
    for (let i = 0; i + 1 < word.symbols.length; i++) {
      const key = pair(word.symbols[i], word.symbols[i + 1]);
      const count = (this.counts.get(key) ?? 0) + sign * word.count;
      this.counts.set(key, count);
      if (sign > 0) {
        let set = this.where.get(key);
        if (!set) this.where.set(key, (set = new Set()));
        set.add(w);
        this.push([count, key]);
      } else if (count <= 0) {
        this.counts.delete(key);
        this.where.delete(key);
      }
    }
    if (sign < 0) {
      // Words that no longer hold a pair leave its index lazily: mergeIn re-checks symbols, so staleness is harmless.
      for (let i = 0; i + 1 < word.symbols.length; i++) {
        const key = pair(word.symbols[i], word.symbols[i + 1]);
        const count = this.counts.get(key);
        if (count !== undefined) this.push([count, key]);
      }
    }
  }

  /** The pair with the highest current count (entries whose count changed since being pushed are skipped). */
  private popBest(): [number, number] | null {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      const last = this.heap.pop()!;
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.siftDown(0);
      }
      if (this.counts.get(top[1]) === top[0]) {
        this.counts.delete(top[1]);
        return top;
      }
    }
    return null;
  }

  private before(a: [number, number], b: [number, number]): boolean {
    if (a[0] !== b[0]) return a[0] > b[0];
    const [al, ar] = unpair(a[1]);
    const [bl, br] = unpair(b[1]);
    const x = this.vocab[al] + ' ' + this.vocab[ar];
    const y = this.vocab[bl] + ' ' + this.vocab[br];
    return x < y;
  }

  private push(entry: [number, number]): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && this.before(heap[l], heap[top])) top = l;
      if (r < heap.length && this.before(heap[r], heap[top])) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  }
}

const PAIR_BASE = 2 ** 24;

function pair(left: number, right: number): number {
  return left * PAIR_BASE + right;
}

function unpair(key: number): [number, number] {
  return [Math.floor(key / PAIR_BASE), key % PAIR_BASE];
}
