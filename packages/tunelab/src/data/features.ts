// Examples → model features (token ids + targets), as HF's run_glue and run_ner preprocess them. Features are plain
// typed arrays; `collate` pads a batch of them.
import type { EncodeOptions, Encoding, Tokenizer } from '../tokenizers/tokenizer.js';
import { TokenizerError } from '../tokenizers/errors.js';
import { DataError } from './errors.js';
import type { NerDataset, NerExample, TextDataset, TextExample } from './types.js';

/** Label ignored by the loss (PyTorch's cross-entropy ignore_index). */
export const IGNORE_INDEX = -100;

export interface Feature {
  input_ids: Int32Array;
  token_type_ids: Int32Array;
  /** Sequence classification: class id; regression: the score. */
  label?: number;
  /** Token classification: a label id per token, IGNORE_INDEX on special tokens and non-first sub-tokens. */
  token_labels?: Int32Array;
  /** Question answering (training): answer start/end token, or the CLS index when the window lacks the answer. */
  start_position?: number;
  end_position?: number;
}

/** What the features' targets are, which decides the batch's `labels` type. */
export type LabelKind = 'class' | 'score' | 'tokens' | 'span' | 'none';

export interface FeatureSet {
  labelKind: LabelKind;
  features: Feature[];
}

/** Examples are tokenized this many at a time (the native tokenizer runs each chunk in parallel). */
export const ENCODE_CHUNK = 4096;

export interface SequenceFeatureOptions {
  /** Longest sequence, special tokens included (run_glue's max_seq_length, default 128). */
  maxLength?: number;
}

/** Sentence / sentence-pair classification or regression features: truncation 'longest_first', as run_glue. */
export async function sequenceClassificationFeatures(tokenizer: Tokenizer, dataset: TextDataset,
  options: SequenceFeatureOptions = {}): Promise<FeatureSet> {
  const labeled = dataset.examples.filter((example) => example.label !== null).length;
  if (labeled !== 0 && labeled !== dataset.examples.length) {
    const first = dataset.examples.find((example) => example.label === null)!;
    throw new DataError(first.id, 'unlabeled example in a labeled data set');
  }
  const encodeOptions: EncodeOptions = { maxLength: options.maxLength ?? 128, truncation: 'longest_first' };
  const features: Feature[] = [];
  const encode = (chunk: TextExample[]) => tokenizer.encodeBatch(
    chunk.map((example) => (example.textPair === undefined ? example.text : [example.text, example.textPair] as const)),
    encodeOptions);
  await forEachEncoded(dataset.examples, encode, (example, encoding) => {
    features.push({ ...idsOf(encoding), ...(example.label !== null ? { label: example.label } : {}) });
  });
  const labelKind = labeled === 0 ? 'none' : dataset.kind === 'regression' ? 'score' : 'class';
  return { labelKind, features };
}

/**
 * In `token_labels` of an untagged sentence (prediction input): the first sub-token of a word, where a prediction is
 * read. Such a set's labelKind is 'none', so no batch ever carries these as labels.
 */
export const UNTAGGED_WORD = -1;

/**
 * Token classification features, as run_ner (label_all_tokens false): the first sub-token of each word carries the
 * word's tag id (UNTAGGED_WORD without tags), the rest and special tokens IGNORE_INDEX; words cut by truncation lose
 * their labels.
 */
export async function tokenClassificationFeatures(tokenizer: Tokenizer, dataset: NerDataset,
  options: SequenceFeatureOptions = {}): Promise<FeatureSet> {
  const tagIds = new Map(dataset.labels.map((tag, id) => [tag, id]));
  const tagIdOf = (tag: string, where: string): number => {
    const id = tagIds.get(tag);
    if (id === undefined) throw new DataError(where, `tag "${tag}" is not in the label list`);
    return id;
  };
  const encodeOptions: EncodeOptions = { maxLength: options.maxLength ?? 128, truncation: 'longest_first' };
  const features: Feature[] = [];
  const encode = (chunk: NerExample[]) => tokenizer.encodeWordsBatch(chunk.map((example) => example.tokens), encodeOptions);
  await forEachEncoded(dataset.examples, encode, (example, encoding) => {
    const labels = new Int32Array(encoding.input_ids.length).fill(IGNORE_INDEX);
    let previous: number | null = null;
    encoding.word_ids.forEach((word, t) => {
      if (word !== null && word !== previous) labels[t] = example.tags ? tagIdOf(example.tags[word], example.id) : UNTAGGED_WORD;
      previous = word;
    });
    features.push({ ...idsOf(encoding), token_labels: labels });
  });
  return { labelKind: dataset.examples.every((example) => example.tags === null) ? 'none' : 'tokens', features };
}

export function idsOf(encoding: Encoding): { input_ids: Int32Array; token_type_ids: Int32Array } {
  return { input_ids: Int32Array.from(encoding.input_ids), token_type_ids: Int32Array.from(encoding.token_type_ids) };
}

/**
 * Tokenizes examples a chunk at a time and hands each (example, encoding) to `use`, in order. When the tokenizer
 * rejects a chunk (an input cannot fit maxLength), the examples are retried one by one to name the culprit.
 */
export async function forEachEncoded<E extends { id: string }>(examples: readonly E[],
  encode: (chunk: E[]) => Promise<Encoding[]>, use: (example: E, encoding: Encoding) => void): Promise<void> {
  for (let start = 0; start < examples.length; start += ENCODE_CHUNK) {
    const chunk = examples.slice(start, start + ENCODE_CHUNK);
    let encodings: Encoding[];
    try {
      encodings = await encode(chunk);
    } catch (err) {
      if (!(err instanceof TokenizerError)) throw err;
      for (const example of chunk) {
        try {
          await encode([example]);
        } catch (single) {
          if (single instanceof TokenizerError) throw new DataError(example.id, single.message);
          throw single;
        }
      }
      throw err;
    }
    encodings.forEach((encoding, i) => use(chunk[i], encoding));
  }
}
