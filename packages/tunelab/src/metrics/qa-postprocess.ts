// Start/end logits of every context window → one answer text per question, as HF's postprocess_qa_predictions
// (utils_qa.py): the n best starts × n best ends of each window, spans inside the context and at most
// maxAnswerLength tokens, the best score start + end over all windows; for SQuAD v2 the null answer (CLS) wins when
// its score beats the best span's by more than the threshold.
import type { QaFeatureInfo } from '../data/qa-features.js';
import { codePointToUtf16Map, sliceCodePoints } from '../tokenizers/offsets.js';
import { MetricInputError } from './errors.js';

export interface QaPostprocessOptions {
  /** SQuAD v2: allow the null answer. Default false. */
  version2?: boolean;
  /** Starts and ends considered per window, and answers kept per question. Default 20. */
  nBest?: number;
  /** Longest answer in tokens. Default 30. */
  maxAnswerLength?: number;
  /** v2: answer "" when null score − best span score > this. Default 0. */
  nullScoreDiffThreshold?: number;
}

export interface NBestAnswer {
  text: string;
  /** [start, end) of the answer in the context, in code points ([0, 0] for the null and "empty" answers). */
  start: number;
  end: number;
  startLogit: number;
  endLogit: number;
  probability: number;
}

export interface QaPostprocessResult {
  /** Question id → answer text ("" for no answer in v2). */
  predictions: Map<string, string>;
  nBest: Map<string, NBestAnswer[]>;
  /** v2: question id → null score − best span score. */
  scoreDiff: Map<string, number>;
}

interface Candidate {
  offsets: [number, number];
  score: number;
  startLogit: number;
  endLogit: number;
}

export function postprocessQaPredictions(
  examples: readonly { id: string; context: string }[],
  features: readonly QaFeatureInfo[],
  startLogits: readonly ArrayLike<number>[],
  endLogits: readonly ArrayLike<number>[],
  options: QaPostprocessOptions = {},
): QaPostprocessResult {
  if (startLogits.length !== features.length || endLogits.length !== features.length) {
    throw new MetricInputError(`${features.length} features but ${startLogits.length} start and ${endLogits.length} end logit rows`);
  }
  const nBest = options.nBest ?? 20;
  const maxAnswerLength = options.maxAnswerLength ?? 30;
  const featuresOf = new Map<string, number[]>(examples.map((example) => [example.id, []]));
  features.forEach((feature, i) => {
    const list = featuresOf.get(feature.exampleId);
    if (!list) throw new MetricInputError(`feature ${i} belongs to unknown example ${feature.exampleId}`);
    list.push(i);
  });
  const result: QaPostprocessResult = { predictions: new Map(), nBest: new Map(), scoreDiff: new Map() };
  for (const example of examples) {
    let nullCandidate: Candidate | null = null;
    const candidates: Candidate[] = [];
    for (const f of featuresOf.get(example.id)!) {
      const starts = startLogits[f];
      const ends = endLogits[f];
      const offsets = features[f].offsets;
      const nullScore = starts[0] + ends[0];
      if (nullCandidate === null || nullCandidate.score > nullScore) {
        nullCandidate = { offsets: [0, 0], score: nullScore, startLogit: starts[0], endLogit: ends[0] };
      }
      for (const s of topIndices(starts, nBest)) {
        for (const e of topIndices(ends, nBest)) {
          const startOffset = offsets[s];
          const endOffset = offsets[e];
          if (s >= offsets.length || e >= offsets.length || !startOffset || !endOffset) continue;
          if (e < s || e - s + 1 > maxAnswerLength) continue;
          candidates.push({ offsets: [startOffset[0], endOffset[1]], score: starts[s] + ends[e], startLogit: starts[s], endLogit: ends[e] });
        }
      }
    }
    if (options.version2 && nullCandidate) candidates.push(nullCandidate);
    const best = stableSortBy(candidates, (c) => -c.score).slice(0, nBest);
    if (options.version2 && nullCandidate && !best.some((c) => c.offsets[0] === 0 && c.offsets[1] === 0)) best.push(nullCandidate);
    const map = codePointToUtf16Map(example.context);
    let answers = best.map((c) => ({
      text: sliceCodePoints(example.context, c.offsets[0], c.offsets[1], map), start: c.offsets[0], end: c.offsets[1],
      score: c.score, startLogit: c.startLogit, endLogit: c.endLogit,
    }));
    if (answers.length === 0 || (answers.length === 1 && answers[0].text === '')) {
      answers = [{ text: 'empty', start: 0, end: 0, score: 0, startLogit: 0, endLogit: 0 }, ...answers];
    }
    const top = Math.max(...answers.map((a) => a.score));
    const weights = answers.map((a) => Math.exp(a.score - top));
    const total = weights.reduce((sum, w) => sum + w, 0);
    const ranked = answers.map(({ score, ...answer }, i): NBestAnswer => ({ ...answer, probability: weights[i] / total }));
    result.nBest.set(example.id, ranked);
    if (!options.version2) {
      result.predictions.set(example.id, ranked[0].text);
      continue;
    }
    const bestSpan = ranked.find((a) => a.text !== '') ?? ranked[0];
    const diff = nullCandidate!.score - bestSpan.startLogit - bestSpan.endLogit;
    result.scoreDiff.set(example.id, diff);
    result.predictions.set(example.id, diff > (options.nullScoreDiffThreshold ?? 0) ? '' : bestSpan.text);
  }
  return result;
}

/**
 * Per-feature logit rows from evaluation batches: each batch's [B, T] logits and its feature_index; rows keep the
 * batch's padding (post-processing ignores positions past a feature's offsets).
 */
export function rowsByFeature(featureCount: number,
  batches: readonly { featureIndex: Int32Array; logits: { data: Float32Array; shape: readonly number[] } }[]): Float32Array[] {
  const rows: Float32Array[] = new Array(featureCount);
  for (const { featureIndex, logits } of batches) {
    const width = logits.shape[1];
    featureIndex.forEach((feature, r) => { rows[feature] = logits.data.subarray(r * width, (r + 1) * width); });
  }
  for (let i = 0; i < featureCount; i++) if (!rows[i]) throw new MetricInputError(`no logits for feature ${i}`);
  return rows;
}

/** Indices of the n largest values, largest first (ties: lower index first). */
function topIndices(values: ArrayLike<number>, n: number): number[] {
  return stableSortBy(Array.from({ length: values.length }, (_, i) => i), (i) => -values[i]).slice(0, n);
}

function stableSortBy<T>(items: T[], key: (item: T) => number): T[] {
  return items.map((item, i) => ({ item, i, k: key(item) })).sort((a, b) => a.k - b.k || a.i - b.i).map(({ item }) => item);
}
