// Token classification (NER) data: CoNLL-style column files (token first, tag last, blank line between sentences,
// -DOCSTART- lines skipped) and JSON lines `{"tokens": [...], "tags": [...]}`. Tags are IOB1/IOB2/IOBES strings.
// Prediction input may have tokens only (one column; JSON lines without "tags"): a file is tagged or not, never mixed.
import { DataError } from './errors.js';
import { parseJson, readLines } from './text-file.js';
import type { NerDataset, NerExample } from './types.js';

const TAG = /^(O|[BIES]-\S+)$/;

export interface NerReadOptions {
  /** The training set's tag list: a tag outside it is an error. Default: the tags found, sorted. */
  labels?: string[];
  /** Accept a file of tokens only (prediction input); its examples have `tags: null`. */
  tagsOptional?: boolean;
}

/** Whether a file's sentences carry tags: decided by its first token line (or record), then held to. */
class Tagging {
  #tagged: boolean | null = null;
  constructor(private readonly file: string) {}

  check(tagged: boolean, where: string): void {
    this.#tagged ??= tagged;
    if (this.#tagged !== tagged) {
      throw new DataError(where, tagged ? `has tags, but ${this.file} began with tokens only` : `has no tag, but ${this.file} began with tagged tokens`);
    }
  }
}

export function readConll(file: string, options: NerReadOptions = {}): NerDataset {
  const lines = readLines(file);
  const examples: NerExample[] = [];
  const tagging = new Tagging(file);
  let tokens: string[] = [];
  let tags: string[] = [];
  let startLine = 0;
  let tagged = true;
  const flush = () => {
    if (tokens.length > 0) examples.push({ id: `${file}:${startLine}`, tokens, tags: tagged ? tags : null });
    tokens = [];
    tags = [];
  };
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const columns = line.trim().split(/\s+/);
    if (line.trim() === '') return flush();
    if (columns[0] === '-DOCSTART-') return flush();
    if (columns.length < 2 && !options.tagsOptional) {
      throw new DataError(where, `expected a token and a tag separated by whitespace, found "${line.trim()}"`);
    }
    tagged = columns.length >= 2;
    tagging.check(tagged, where);
    if (tokens.length === 0) startLine = i + 1;
    tokens.push(columns[0]);
    if (tagged) tags.push(checkTag(columns[columns.length - 1], where));
  });
  flush();
  return finish(file, examples, options);
}

export function readNerJsonl(file: string, options: NerReadOptions = {}): NerDataset {
  const examples: NerExample[] = [];
  const tagging = new Tagging(file);
  readLines(file).forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.trim() === '') return;
    const record = parseJson(line, () => where);
    const fields = typeof record === 'object' && record !== null ? (record as Record<string, unknown>) : {};
    const tokens = fields.tokens;
    const tags = fields.tags ?? fields.ner_tags;
    if (tags === undefined && options.tagsOptional && isStringArray(tokens)) {
      tagging.check(false, where);
      if (tokens.length > 0) examples.push({ id: where, tokens, tags: null });
      return;
    }
    if (!isStringArray(tokens) || !isStringArray(tags)) {
      throw new DataError(where, 'expected {"tokens": [strings], "tags": [strings]}');
    }
    if (tokens.length !== tags.length) {
      throw new DataError(where, `tokens and tags differ in length (${tokens.length} tokens, ${tags.length} tags)`);
    }
    tagging.check(true, where);
    if (tokens.length === 0) return;
    examples.push({ id: where, tokens, tags: tags.map((tag) => checkTag(tag, where)) });
  });
  return finish(file, examples, options);
}

function checkTag(tag: string, where: string): string {
  if (!TAG.test(tag)) throw new DataError(where, `tag "${tag}" is not O or B-/I-/E-/S-<type>`);
  return tag;
}

function finish(file: string, examples: NerExample[], options: NerReadOptions): NerDataset {
  if (examples.length === 0) throw new DataError(file, 'no sentences');
  const found = [...new Set(examples.flatMap((example) => example.tags ?? []))].sort();
  if (options.labels) {
    const known = new Set(options.labels);
    for (const example of examples) {
      const unknown = example.tags?.find((tag) => !known.has(tag));
      if (unknown !== undefined) {
        throw new DataError(example.id, `tag "${unknown}" is not among the training tags (${options.labels.join(', ')})`);
      }
    }
  }
  return { labels: options.labels ?? found, examples, source: file };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
