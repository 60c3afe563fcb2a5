// SQuAD evaluation, ported from the official scripts (evaluate-v1.1.py, evaluate-v2.0.py): answers are normalised
// (lower-cased; ASCII punctuation, the articles a/an/the and extra whitespace removed), then exact match and token F1
// are taken against every gold answer and the best kept. Scores are percentages, as the scripts print them.
import { MetricInputError } from './errors.js';

// Python's string.punctuation.
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
// Python's `\b(a|an|the)\b` with Unicode word characters (JS's \b is ASCII-only, so spell the boundary out).
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
// Python's str.split() separators: what str.isspace() accepts.
const PY_WHITESPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** The official normalize_answer. */
export function normalizeAnswer(text: string): string {
  const lower = text.toLowerCase();
  let withoutPunctuation = '';
  for (const ch of lower) if (!PUNCTUATION.has(ch)) withoutPunctuation += ch;
  return pythonSplit(withoutPunctuation.replace(ARTICLES, ' ')).join(' ');
}

export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/**
 * Token-overlap F1 of normalised answers. v2 (default): two empty answers (no-answer) score 1, one empty scores 0;
 * v1 scores any empty answer 0.
 */
export function tokenF1(prediction: string, gold: string, version: 'v1' | 'v2' = 'v2'): number {
  const predicted = pythonSplit(normalizeAnswer(prediction));
  const expected = pythonSplit(normalizeAnswer(gold));
  if (predicted.length === 0 || expected.length === 0) {
    return version === 'v2' && predicted.length === expected.length ? 1 : 0;
  }
  const counts = new Map<string, number>();
  for (const token of expected) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common++;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

/** What the evaluation needs of a question: its id and gold answer texts (empty: unanswerable). */
export interface SquadReference {
  id: string;
  answers: readonly string[];
}

export interface SquadV1Result {
  exact_match: number;
  f1: number;
}

/** evaluate-v1.1.py: a question with no prediction scores 0. */
export function squadV1(references: readonly SquadReference[], predictions: ReadonlyMap<string, string>): SquadV1Result {
  checkReferences(references);
  let exact = 0;
  let f1 = 0;
  for (const { id, answers } of references) {
    const prediction = predictions.get(id);
    if (prediction === undefined) continue;
    if (answers.length === 0) throw new MetricInputError(`question ${id} has no gold answers (SQuAD v1.1 needs at least one)`);
    exact += Math.max(...answers.map((gold) => exactMatch(prediction, gold)));
    f1 += Math.max(...answers.map((gold) => tokenF1(prediction, gold, 'v1')));
  }
  return { exact_match: (100 * exact) / references.length, f1: (100 * f1) / references.length };
}

export interface SquadV2Result {
  exact: number;
  f1: number;
  total: number;
  HasAns_exact?: number;
  HasAns_f1?: number;
  HasAns_total?: number;
  NoAns_exact?: number;
  NoAns_f1?: number;
  NoAns_total?: number;
  best_exact: number;
  best_exact_thresh: number;
  best_f1: number;
  best_f1_thresh: number;
}

/**
 * evaluate-v2.0.py. `noAnswerProbability` (default 0 for every question) is compared with `threshold` (default 1.0):
 * above it the prediction counts as "no answer". best_* are the scores at the best threshold over these probabilities.
 */
export function squadV2(references: readonly SquadReference[], predictions: ReadonlyMap<string, string>,
  options: { noAnswerProbability?: ReadonlyMap<string, number>; threshold?: number } = {}): SquadV2Result {
  checkReferences(references);
  const threshold = options.threshold ?? 1.0;
  const probability = (id: string) => options.noAnswerProbability?.get(id) ?? 0;
  const raw = new Map<string, { exact: number; f1: number; hasAnswer: boolean }>();
  for (const { id, answers } of references) {
    const prediction = predictions.get(id);
    if (prediction === undefined) throw new MetricInputError(`no prediction for question ${id}`);
    // Gold answers that normalise to nothing do not count; a question left with none is unanswerable.
    const golds = answers.filter((answer) => normalizeAnswer(answer) !== '');
    const candidates = golds.length > 0 ? golds : [''];
    raw.set(id, {
      exact: Math.max(...candidates.map((gold) => exactMatch(prediction, gold))),
      f1: Math.max(...candidates.map((gold) => tokenF1(prediction, gold))),
      hasAnswer: golds.length > 0,
    });
  }
  const thresholded = (key: 'exact' | 'f1') => new Map([...raw].map(([id, score]) => [id,
    probability(id) > threshold ? (score.hasAnswer ? 0 : 1) : score[key]]));
  const exact = thresholded('exact');
  const f1 = thresholded('f1');
  const ids = references.map((reference) => reference.id);
  const percent = (scores: Map<string, number>, subset: string[]) =>
    (100 * subset.reduce((sum, id) => sum + scores.get(id)!, 0)) / subset.length;
  const result: SquadV2Result = {
    exact: percent(exact, ids),
    f1: percent(f1, ids),
    total: ids.length,
    best_exact: 0, best_exact_thresh: 0, best_f1: 0, best_f1_thresh: 0,
  };
  const hasAnswer = ids.filter((id) => raw.get(id)!.hasAnswer);
  const noAnswer = ids.filter((id) => !raw.get(id)!.hasAnswer);
  if (hasAnswer.length > 0) {
    Object.assign(result, { HasAns_exact: percent(exact, hasAnswer), HasAns_f1: percent(f1, hasAnswer), HasAns_total: hasAnswer.length });
  }
  if (noAnswer.length > 0) {
    Object.assign(result, { NoAns_exact: percent(exact, noAnswer), NoAns_f1: percent(f1, noAnswer), NoAns_total: noAnswer.length });
  }
  for (const key of ['exact', 'f1'] as const) {
    const [best, bestAt] = bestThreshold(ids, predictions, raw, key, probability);
    result[`best_${key}`] = best;
    result[`best_${key}_thresh`] = bestAt;
  }
  return result;
}

/** find_best_thresh: sweep the no-answer probabilities upwards, answering "no answer" at and below each. */
function bestThreshold(ids: string[], predictions: ReadonlyMap<string, string>,
  raw: Map<string, { exact: number; f1: number; hasAnswer: boolean }>, key: 'exact' | 'f1',
  probability: (id: string) => number): [number, number] {
  let score = ids.filter((id) => !raw.get(id)!.hasAnswer).length;
  let best = score;
  let bestAt = 0;
  const byProbability = [...ids].sort((a, b) => probability(a) - probability(b));
  for (const id of byProbability) {
    const entry = raw.get(id)!;
    score += entry.hasAnswer ? entry[key] : predictions.get(id) ? -1 : 0;
    if (score > best) {
      best = score;
      bestAt = probability(id);
    }
  }
  return [(100 * best) / ids.length, bestAt];
}

function checkReferences(references: readonly SquadReference[]): void {
  if (references.length === 0) throw new MetricInputError('no questions to score');
}

function pythonSplit(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((token) => token !== '');
}
