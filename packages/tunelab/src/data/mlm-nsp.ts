// BERT's original pre-training data (HF's TextDatasetForNextSentencePrediction): a text file of documents separated
// by blank lines, one sentence per line. Each example is [CLS] A [SEP] B [SEP] where A is a run of sentences of a
// document and B either continues it (next_sentence_label 0) or, half of the time, comes from another document (1).
// Sequences are filled to --max-seq-length (10 % shorter, short_seq_probability); pairs are truncated from a random
// end of the longer side. Drawn from the seed, so the same data gives the same examples.
import { DataError } from './errors.js';
import type { Feature } from './features.js';
import { streamLines, type MlmFeatureSet } from './mlm.js';
import { Rng } from './rng.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

const SHORT_SEQ_PROBABILITY = 0.1;
const NSP_PROBABILITY = 0.5;

/** A tokenized sentence: ids and word index per token (words numbered within the document). */
interface Segment { ids: number[]; words: number[] }

export interface NspOptions {
  maxSeqLength: number;
  seed: number;
  maxSamples?: number;
}

export async function nspFeatures(tokenizer: Tokenizer, file: string, options: NspOptions): Promise<MlmFeatureSet> {
  const documents = await readDocuments(tokenizer, file);
  if (documents.length === 0) throw new DataError(file, 'no text (an empty corpus)');
  if (documents.length < 2) {
    throw new DataError(file, 'has one document: --task pretraining needs several (separated by blank lines) to draw random next sentences');
  }
  const rng = new Rng(options.seed, 0x6e7370);
  const features: Feature[] = [];
  const wordIds: Int32Array[] = [];
  const maxTokens = options.maxSeqLength - 3;
  for (let d = 0; d < documents.length; d++) {
    for (const example of documentExamples(documents, d, maxTokens, rng)) {
      if (options.maxSamples !== undefined && features.length >= options.maxSamples) break;
      const [a, b] = example.pair;
      const ids = [tokenizer.clsTokenId, ...a.ids, tokenizer.sepTokenId, ...b.ids, tokenizer.sepTokenId];
      const words = [-1, ...a.words, -1, ...b.words.map((w) => w + 1_000_000), -1];
      const types = new Int32Array(ids.length);
      types.fill(1, a.ids.length + 2);
      features.push({ input_ids: Int32Array.from(ids), token_type_ids: types, label: example.isRandomNext ? 1 : 0 });
      wordIds.push(Int32Array.from(words));
    }
  }
  return { labelKind: 'class', features, wordIds };
}

async function readDocuments(tokenizer: Tokenizer, file: string): Promise<Segment[][]> {
  const documents: Segment[][] = [[]];
  let wordOffset = 0; // words are numbered through a document, so whole-word masking never joins two sentences' words
  for await (const { lines } of streamLines(file)) {
    const texts = lines.map((line) => line.trim());
    const encodings = await tokenizer.encodeBatch(texts.map((t) => t || ' '), { addSpecialTokens: false });
    texts.forEach((text, i) => {
      if (text === '') {
        if (documents.at(-1)!.length > 0) documents.push([]);
        return;
      }
      const { input_ids: ids, word_ids: words } = encodings[i];
      if (ids.length === 0) return;
      const offset = wordOffset;
      wordOffset += Math.max(0, ...words.map((w) => (w ?? 0) + 1));
      documents.at(-1)!.push({ ids, words: words.map((w) => offset + (w ?? 0)) });
    });
  }
  if (documents.at(-1)!.length === 0) documents.pop();
  return documents;
}

interface PairExample { pair: [Segment, Segment]; isRandomNext: boolean }

/** HF's create_examples_from_document. */
function* documentExamples(documents: Segment[][], d: number, maxTokens: number, rng: Rng): Generator<PairExample> {
  const document = documents[d];
  const target = rng.float() < SHORT_SEQ_PROBABILITY ? 2 + rng.below(Math.max(1, maxTokens - 1)) : maxTokens;
  let chunk: Segment[] = [];
  let length = 0;
  for (let i = 0; i < document.length; i++) {
    chunk.push(document[i]);
    length += document[i].ids.length;
    if (i !== document.length - 1 && length < target) continue;
    const aEnd = chunk.length >= 2 ? 1 + rng.below(chunk.length - 1) : 1;
    const a = joined(chunk.slice(0, aEnd));
    let b: Segment;
    const isRandomNext = chunk.length === 1 || rng.float() < NSP_PROBABILITY;
    if (isRandomNext) {
      let other = d;
      for (let tries = 0; tries < 10 && other === d; tries++) other = rng.below(documents.length);
      if (other === d) other = (d + 1) % documents.length;
      const randomDoc = documents[other];
      const parts: Segment[] = [];
      let bLength = 0;
      for (let j = rng.below(randomDoc.length); j < randomDoc.length && bLength < target - a.ids.length; j++) {
        parts.push(randomDoc[j]);
        bLength += randomDoc[j].ids.length;
      }
      b = joined(parts);
      i -= chunk.length - aEnd; // the unused sentences start the next example
    } else {
      b = joined(chunk.slice(aEnd));
    }
    truncatePair(a, b, maxTokens, rng);
    if (a.ids.length >= 1 && b.ids.length >= 1) yield { pair: [a, b], isRandomNext };
    chunk = [];
    length = 0;
  }
}

function joined(segments: Segment[]): Segment {
  return { ids: segments.flatMap((s) => s.ids), words: segments.flatMap((s) => s.words) };
}

/** Drops tokens from a random end of the longer side until the pair fits. */
function truncatePair(a: Segment, b: Segment, maxTokens: number, rng: Rng): void {
  while (a.ids.length + b.ids.length > maxTokens) {
    const longer = a.ids.length > b.ids.length ? a : b;
    if (rng.float() < 0.5) { longer.ids.shift(); longer.words.shift(); } else { longer.ids.pop(); longer.words.pop(); }
  }
}
