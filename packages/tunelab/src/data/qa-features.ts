// Extractive QA features, as HF's run_qa.py: question + context with truncation 'only_second' and overlapping context
// windows (doc stride). Training features point at the answer's tokens, or at [CLS] when a window does not contain
// the whole answer (prepare_train_features); evaluation features keep each window's context offsets and example id
// so predictions map back to text (prepare_validation_features).
import type { EncodeOptions, Encoding, Offset, Tokenizer } from '../tokenizers/tokenizer.js';
import { codePointLength } from '../tokenizers/offsets.js';
import { forEachEncoded, idsOf, type Feature, type FeatureSet } from './features.js';
import type { QaDataset, QaExample } from './types.js';

export interface QaFeatureOptions {
  /** run_qa's max_seq_length. Default 384. */
  maxLength?: number;
  /** run_qa's doc_stride: context tokens shared by consecutive windows. Default 128. */
  docStride?: number;
}

/** Per evaluation feature: the example it comes from and, for context tokens only, their offsets in the context. */
export interface QaFeatureInfo {
  exampleId: string;
  /** [start, end) code points of the context for context tokens; null for question and special tokens. */
  offsets: (Offset | null)[];
}

export interface QaEvalFeatures {
  set: FeatureSet;
  info: QaFeatureInfo[];
}

/** Python's str.lstrip(): Unicode whitespace as str.isspace() defines it. */
const LEADING_PY_WHITESPACE = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

export async function qaTrainFeatures(tokenizer: Tokenizer, dataset: QaDataset, options: QaFeatureOptions = {}):
  Promise<FeatureSet> {
  const cls = tokenizer.specialTokens.cls?.id ?? null;
  const features: Feature[] = [];
  await forEachEncoded(dataset.examples, encoder(tokenizer, options), (example, encoding) => {
    for (const window of [encoding, ...encoding.overflowing]) {
      const [start_position, end_position] = answerTokens(window, example, cls);
      features.push({ ...idsOf(window), start_position, end_position });
    }
  });
  return { labelKind: 'span', features };
}

export async function qaEvalFeatures(tokenizer: Tokenizer, dataset: QaDataset, options: QaFeatureOptions = {}):
  Promise<QaEvalFeatures> {
  const features: Feature[] = [];
  const info: QaFeatureInfo[] = [];
  await forEachEncoded(dataset.examples, encoder(tokenizer, options), (example, encoding) => {
    for (const window of [encoding, ...encoding.overflowing]) {
      features.push(idsOf(window));
      info.push({
        exampleId: example.id,
        offsets: window.offsets.map((offset, t) => (window.sequence_ids[t] === 1 ? offset : null)),
      });
    }
  });
  return { set: { labelKind: 'none', features }, info };
}

function encoder(tokenizer: Tokenizer, options: QaFeatureOptions): (chunk: QaExample[]) => Promise<Encoding[]> {
  const encodeOptions: EncodeOptions = {
    maxLength: options.maxLength ?? 384,
    truncation: 'only_second',
    stride: options.docStride ?? 128,
    returnOverflowing: true,
  };
  return (chunk) => tokenizer.encodeBatch(
    chunk.map((example) => [example.question.replace(LEADING_PY_WHITESPACE, ''), example.context] as const),
    encodeOptions);
}

/**
 * The answer's first and last token in this window, or the CLS index twice when the question has no answer or the
 * window does not contain all of it. The first gold answer is the target, as in run_qa.
 */
function answerTokens(window: Encoding, example: QaExample, clsId: number | null): [number, number] {
  const clsIndex = clsId === null ? 0 : Math.max(0, window.input_ids.indexOf(clsId));
  if (example.answers.length === 0) return [clsIndex, clsIndex];
  const { text, answerStart } = example.answers[0];
  const startChar = answerStart;
  const endChar = answerStart + codePointLength(text);
  const context = window.sequence_ids;
  const offsets = window.offsets;
  let first = context.indexOf(1);
  let last = context.lastIndexOf(1);
  if (first < 0 || !(offsets[first][0] <= startChar && offsets[last][1] >= endChar)) return [clsIndex, clsIndex];
  // run_qa lets this loop run past the context into [SEP] (offsets [0, 0]) when the answer starts at the window's
  // last token, giving the [SEP] index; stopping at the context's end gives the answer's token instead.
  const lastContext = last;
  while (first <= lastContext && offsets[first][0] <= startChar) first++;
  while (offsets[last][1] >= endChar) last--;
  return [first - 1, last + 1];
}
