// SQuAD v1.1 / v2.0: the official JSON files, or the Hub's rajpurkar/squad(_v2) parquet files. Every answer is checked
// against its context (answer_start counts code points, as Python does), so a shifted offset fails here, naming the
// question, instead of training on the wrong span.
import { codePointLength, sliceCodePoints } from '../tokenizers/offsets.js';
import { resolveDatasetFiles, type HubOptions } from '../hub/resolve.js';
import { DataError } from './errors.js';
import { readParquetShards, type ParquetRow } from './parquet.js';
import { readJsonFile } from './text-file.js';
import type { QaAnswer, QaDataset, QaExample } from './types.js';

/** Reads a SQuAD-format JSON file (`{ version, data: [{ title, paragraphs: [{ context, qas }] }] }`). */
export function readSquadJson(file: string): QaDataset {
  const root = readJsonFile(file);
  const articles = isObject(root) ? root.data : undefined;
  if (!Array.isArray(articles)) throw new DataError(file, 'expected an object with a "data" array (SQuAD format)');
  const examples: QaExample[] = [];
  const seen = new Set<string>();
  let hasImpossible = false;
  articles.forEach((article, a) => {
    const paragraphs = isObject(article) ? article.paragraphs : undefined;
    if (!Array.isArray(paragraphs)) throw new DataError(`${file}: data[${a}]`, 'expected a "paragraphs" array');
    const title = isObject(article) && typeof article.title === 'string' ? article.title : '';
    paragraphs.forEach((paragraph, p) => {
      const path = `data[${a}].paragraphs[${p}]`;
      if (!isObject(paragraph) || typeof paragraph.context !== 'string' || !Array.isArray(paragraph.qas)) {
        throw new DataError(`${file}: ${path}`, 'expected "context" text and a "qas" array');
      }
      const context = paragraph.context;
      paragraph.qas.forEach((qa, q) => {
        const example = readQuestion(file, `${path}.qas[${q}]`, qa, title, context);
        if (seen.has(example.id)) throw new DataError(`${file}: question ${example.id}`, 'duplicate question id');
        seen.add(example.id);
        if (isObject(qa) && qa.is_impossible === true) hasImpossible = true;
        examples.push(example);
      });
    });
  });
  if (examples.length === 0) throw new DataError(file, 'no questions');
  const declared = isObject(root) && typeof root.version === 'string' ? root.version : '';
  return { version: hasImpossible || declared.startsWith('v2') ? '2.0' : '1.1', examples, source: file };
}

/** Rows of rajpurkar/squad or rajpurkar/squad_v2 parquet files (`answers: { text: [], answer_start: [] }`). */
export function squadFromRows(rows: { row: ParquetRow; where: string }[], source: string): QaDataset {
  let unanswerable = false;
  const examples = rows.map(({ row, where }): QaExample => {
    for (const key of ['id', 'context', 'question'] as const) {
      if (typeof row[key] !== 'string') throw new DataError(where, `column "${key}" is missing or not text`);
    }
    const raw = row.answers;
    const texts = isObject(raw) ? raw.text : undefined;
    const starts = isObject(raw) ? raw.answer_start : undefined;
    if (!Array.isArray(texts) || !Array.isArray(starts) || texts.length !== starts.length) {
      throw new DataError(where, 'column "answers" must be { text: [...], answer_start: [...] } of equal lengths');
    }
    const id = row.id as string;
    const context = row.context as string;
    const answers = texts.map((text, i) => checkAnswer(`${source}: question ${id}`, context, text, starts[i]));
    if (answers.length === 0) unanswerable = true;
    return { id, title: typeof row.title === 'string' ? row.title : '', context, question: row.question as string, answers };
  });
  if (examples.length === 0) throw new DataError(source, 'no questions');
  return { version: unanswerable ? '2.0' : '1.1', examples, source };
}

export type SquadSource = { file: string } | { hub: HubOptions & { repo?: string; config?: string } };

/** A SQuAD split from a JSON file, or from the Hub (default rajpurkar/squad, config plain_text; split train/validation). */
export async function loadSquad(source: SquadSource, split = 'validation'): Promise<QaDataset> {
  if ('file' in source) return readSquadJson(source.file);
  const repo = source.hub.repo ?? 'rajpurkar/squad';
  const config = source.hub.config ?? (repo.endsWith('squad_v2') ? 'squad_v2' : 'plain_text');
  const files = await resolveDatasetFiles(repo, { ...source.hub, config, split });
  return squadFromRows(await readParquetShards(files), `${repo}/${config}/${split}`);
}

function readQuestion(file: string, path: string, qa: unknown, title: string, context: string): QaExample {
  if (!isObject(qa) || typeof qa.id !== 'string' || typeof qa.question !== 'string' || !Array.isArray(qa.answers)) {
    throw new DataError(`${file}: ${path}`, 'expected "id" and "question" text and an "answers" array');
  }
  const where = `${file}: question ${qa.id}`;
  if (qa.is_impossible === true && qa.answers.length > 0) {
    throw new DataError(where, `is_impossible is true but it has ${qa.answers.length} answers`);
  }
  if (qa.is_impossible === false && qa.answers.length === 0) {
    throw new DataError(where, 'is_impossible is false but it has no answers (an unanswerable question has is_impossible: true)');
  }
  const answers = qa.answers.map((answer) => {
    if (!isObject(answer)) throw new DataError(where, 'an answer is not an object { text, answer_start }');
    return checkAnswer(where, context, answer.text, answer.answer_start);
  });
  return { id: qa.id, title, context, question: qa.question, answers };
}

function checkAnswer(where: string, context: string, text: unknown, start: unknown): QaAnswer {
  if (typeof text !== 'string' || text === '') throw new DataError(where, `answer text must be non-empty text (got ${JSON.stringify(text)})`);
  const answerStart = typeof start === 'bigint' ? Number(start) : start;
  if (typeof answerStart !== 'number' || !Number.isInteger(answerStart) || answerStart < 0) {
    throw new DataError(where, `answer_start must be an integer >= 0 (got ${JSON.stringify(String(start))})`);
  }
  const found = sliceCodePoints(context, answerStart, answerStart + codePointLength(text));
  if (found !== text) {
    throw new DataError(where, `answer ${JSON.stringify(text)} is not at answer_start ${answerStart} of the context ` +
      `(found ${JSON.stringify(found)})`);
  }
  return { text, answerStart };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
