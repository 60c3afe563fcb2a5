// Entity-level NER scores as seqeval computes them (and HF's `evaluate.load("seqeval")` reports them).
// Default mode is conlleval's lenient chunking, which reads IOB1, IOB2 and IOBES alike (an I- after O starts an
// entity). Strict mode follows one scheme's rules exactly: an entity that breaks them (IOB2's I-PER without B-PER)
// is not an entity at all.
import { checkPaired } from './classification.js';
import { MetricInputError } from './errors.js';

export type TaggingScheme = 'IOB1' | 'IOB2' | 'IOBES';

export interface SeqevalOptions {
  mode?: 'default' | 'strict';
  /** Required for strict mode. */
  scheme?: TaggingScheme;
}

/** An entity: its type and token span [start, end] (inclusive, as seqeval's get_entities). */
export interface Entity {
  type: string;
  start: number;
  end: number;
}

export interface TypeScores {
  precision: number;
  recall: number;
  f1: number;
  /** Gold entities of the type. */
  number: number;
}

export interface SeqevalResult {
  overall_precision: number;
  overall_recall: number;
  overall_f1: number;
  /** Token accuracy. */
  overall_accuracy: number;
  /** Per entity type, over types in the references or the predictions. */
  types: Record<string, TypeScores>;
}

export function getEntities(tags: readonly string[], options: SeqevalOptions = {}): Entity[] {
  for (const tag of tags) {
    if (!/^(O|[BIES](-.*)?)$/.test(tag)) throw new MetricInputError(`tag "${tag}" is not O or B-/I-/E-/S-<type>`);
  }
  if (options.mode === 'strict') {
    if (!options.scheme) throw new MetricInputError('strict mode needs a scheme (IOB1, IOB2 or IOBES)');
    return strictEntities(tags, options.scheme);
  }
  return lenientEntities(tags);
}

export function seqeval(predictions: readonly (readonly string[])[], references: readonly (readonly string[])[],
  options: SeqevalOptions = {}): SeqevalResult {
  checkPaired(predictions, references);
  const predicted = new Set<string>();
  const gold = new Set<string>();
  let tokens = 0;
  let correctTokens = 0;
  references.forEach((reference, s) => {
    const prediction = predictions[s];
    if (prediction.length !== reference.length) {
      throw new MetricInputError(`sentence ${s}: ${prediction.length} predicted tags for ${reference.length} tokens`);
    }
    for (let t = 0; t < reference.length; t++) if (prediction[t] === reference[t]) correctTokens++;
    tokens += reference.length;
    for (const e of getEntities(prediction, options)) predicted.add(`${s}\t${e.type}\t${e.start}\t${e.end}`);
    for (const e of getEntities(reference, options)) gold.add(`${s}\t${e.type}\t${e.start}\t${e.end}`);
  });
  const typeOf = (key: string) => key.split('\t')[1];
  const types: Record<string, TypeScores> = {};
  for (const type of [...new Set([...predicted, ...gold].map(typeOf))].sort()) {
    const p = [...predicted].filter((key) => typeOf(key) === type);
    const g = new Set([...gold].filter((key) => typeOf(key) === type));
    types[type] = { ...prf(p.filter((key) => g.has(key)).length, p.length, g.size), number: g.size };
  }
  const overall = prf([...predicted].filter((key) => gold.has(key)).length, predicted.size, gold.size);
  return {
    overall_precision: overall.precision,
    overall_recall: overall.recall,
    overall_f1: overall.f1,
    overall_accuracy: tokens === 0 ? 0 : correctTokens / tokens,
    types,
  };
}

function prf(correct: number, predicted: number, gold: number): { precision: number; recall: number; f1: number } {
  const precision = predicted > 0 ? correct / predicted : 0;
  const recall = gold > 0 ? correct / gold : 0;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** Prefix letter and entity type of a tag ('O' → ['O', '_'], 'B' → ['B', '_']). */
function split(tag: string): [string, string] {
  return [tag[0], tag.slice(1).replace(/^-/, '') || '_'];
}

/** seqeval's get_entities (conlleval's chunk boundaries). */
function lenientEntities(tags: readonly string[]): Entity[] {
  const entities: Entity[] = [];
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  [...tags, 'O'].forEach((chunk, i) => {
    const [tag, type] = split(chunk);
    if (chunkEnds(prevTag, tag, prevType, type)) entities.push({ type: prevType, start: begin, end: i - 1 });
    if (chunkStarts(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  });
  return entities;
}

function chunkEnds(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevType !== type;
}

function chunkStarts(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && prevType !== type;
}

// Strict mode: seqeval's scheme automata. A pattern is (previous prefixes, current prefixes, type condition).
type Condition = 'any' | 'same' | 'diff';
type Pattern = [string, string, Condition];
interface SchemeRules {
  allowed: string;
  start: Pattern[];
  inside: Pattern[];
  end: Pattern[];
}

const ANY = 'IOBES';
const SCHEMES: Record<TaggingScheme, SchemeRules> = {
  IOB1: {
    allowed: 'IOB',
    start: [['O', 'I', 'any'], ['I', 'I', 'diff'], ['B', 'I', 'any'], ['I', 'B', 'same'], ['B', 'B', 'same']],
    inside: [['B', 'I', 'same'], ['I', 'I', 'same']],
    end: [['I', 'I', 'diff'], ['I', 'O', 'any'], ['I', 'B', 'any'], ['B', 'O', 'any'], ['B', 'I', 'diff'], ['B', 'B', 'same']],
  },
  IOB2: {
    allowed: 'IOB',
    start: [[ANY, 'B', 'any']],
    inside: [['B', 'I', 'same'], ['I', 'I', 'same']],
    end: [['I', 'O', 'any'], ['I', 'I', 'diff'], ['I', 'B', 'any'], ['B', 'O', 'any'], ['B', 'I', 'diff'], ['B', 'B', 'any']],
  },
  IOBES: {
    allowed: 'IOBES',
    start: [[ANY, 'B', 'any'], [ANY, 'S', 'any']],
    inside: [['B', 'I', 'same'], ['B', 'E', 'same'], ['I', 'I', 'same'], ['I', 'E', 'same']],
    end: [['S', ANY, 'any'], ['E', ANY, 'any']],
  },
};

function matches(patterns: Pattern[], prev: string, current: string): boolean {
  const [prevPrefix, prevType] = split(prev);
  const [prefix, type] = split(current);
  return patterns.some(([p, c, condition]) => p.includes(prevPrefix) && c.includes(prefix) &&
    (condition === 'any' || (condition === 'same') === (prevType === type)));
}

/** seqeval's Tokens.entities; the span end is made inclusive. */
function strictEntities(tags: readonly string[], scheme: TaggingScheme): Entity[] {
  const rules = SCHEMES[scheme];
  for (const tag of tags) {
    if (!rules.allowed.includes(tag[0])) throw new MetricInputError(`tag "${tag}" is not allowed in ${scheme}`);
  }
  const tokens = [...tags, 'O'];
  const entities: Entity[] = [];
  let prev = 'O';
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    if (matches(rules.start, prev, token)) {
      let end = i + 1;
      let last = token;
      while (end < tokens.length && matches(rules.inside, last, tokens[end])) last = tokens[end++];
      if (end >= tokens.length) end = tokens.length - 2;
      if (matches(rules.end, tokens[end - 1], tokens[end])) entities.push({ type: split(token)[1], start: i, end: end - 1 });
      i = end;
    } else {
      i++;
    }
    prev = tokens[i - 1];
  }
  return entities;
}
