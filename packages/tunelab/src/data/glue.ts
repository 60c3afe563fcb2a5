// GLUE: the nine tasks as distributed (TSV files, one folder per task) and as the Hub's nyu-mll/glue (parquet).
// The TSVs are split on tabs only: GLUE text has stray quotes (MRPC: `" The foodservice …`) that CSV quoting
// would swallow. Label ids follow nyu-mll/glue, so a model trained on either source predicts the same ids.
import path from 'node:path';
import { resolveDatasetFiles, type HubOptions } from '../hub/resolve.js';
import { DataError } from './errors.js';
import { readParquetShards, type ParquetRow } from './parquet.js';
import { readLines } from './text-file.js';
import type { TextDataset, TextExample } from './types.js';

export const GLUE_TASK_NAMES = ['cola', 'sst2', 'mrpc', 'stsb', 'qqp', 'mnli', 'qnli', 'rte', 'wnli'] as const;
export type GlueTask = (typeof GLUE_TASK_NAMES)[number];

export interface GlueTaskSpec {
  /** Folder name in the GLUE distribution. */
  folder: string;
  /** Expected first header columns; null: the files have no header (CoLA). */
  header: string[] | null;
  textColumn: number;
  pairColumn: number | null;
  /** Column of the label; -1 is the last column. */
  labelColumn: number;
  /** Class names in id order (nyu-mll/glue's); null for regression (STS-B). */
  labels: string[] | null;
  /** How the TSV writes each label: by id ('0', '1') or by name ('entailment'). */
  labelsInTsv: 'ids' | 'names';
  /** Split name → file in the task folder (labeled splits only). */
  tsvFiles: Record<string, string>;
  /** The unlabeled test.tsv (test_matched.tsv, …) of the GLUE distribution: its exact header and text columns. */
  testTsv: { header: string[]; textColumn: number; pairColumn: number | null };
  /** Column names in nyu-mll/glue's parquet files. */
  hubColumns: { text: string; pair: string | null };
}

const TRAIN_DEV = { train: 'train.tsv', validation: 'dev.tsv' };
const PAIR_INDEXED = { textColumn: 1, pairColumn: 2, labelColumn: -1 };
const INDEX_SENTENCE = { header: ['index', 'sentence'], textColumn: 1, pairColumn: null };
const INDEX_PAIR = { header: ['index', 'sentence1', 'sentence2'], textColumn: 1, pairColumn: 2 };

export const GLUE_TASKS: Record<GlueTask, GlueTaskSpec> = {
  cola: {
    folder: 'CoLA', header: null, textColumn: 3, pairColumn: null, labelColumn: 1,
    labels: ['unacceptable', 'acceptable'], labelsInTsv: 'ids', tsvFiles: TRAIN_DEV, testTsv: INDEX_SENTENCE,
    hubColumns: { text: 'sentence', pair: null },
  },
  sst2: {
    folder: 'SST-2', header: ['sentence', 'label'], textColumn: 0, pairColumn: null, labelColumn: 1,
    labels: ['negative', 'positive'], labelsInTsv: 'ids', tsvFiles: TRAIN_DEV, testTsv: INDEX_SENTENCE,
    hubColumns: { text: 'sentence', pair: null },
  },
  mrpc: {
    folder: 'MRPC', header: ['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'], textColumn: 3, pairColumn: 4,
    labelColumn: 0, labels: ['not_equivalent', 'equivalent'], labelsInTsv: 'ids', tsvFiles: TRAIN_DEV,
    testTsv: { header: ['index', '#1 ID', '#2 ID', '#1 String', '#2 String'], textColumn: 3, pairColumn: 4 },
    hubColumns: { text: 'sentence1', pair: 'sentence2' },
  },
  stsb: {
    folder: 'STS-B',
    header: ['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2', 'score'],
    textColumn: 7, pairColumn: 8, labelColumn: -1, labels: null, labelsInTsv: 'ids', tsvFiles: TRAIN_DEV,
    testTsv: {
      header: ['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2'],
      textColumn: 7, pairColumn: 8,
    },
    hubColumns: { text: 'sentence1', pair: 'sentence2' },
  },
  qqp: {
    folder: 'QQP', header: ['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'], textColumn: 3,
    pairColumn: 4, labelColumn: 5, labels: ['not_duplicate', 'duplicate'], labelsInTsv: 'ids', tsvFiles: TRAIN_DEV,
    testTsv: { header: ['id', 'question1', 'question2'], textColumn: 1, pairColumn: 2 },
    hubColumns: { text: 'question1', pair: 'question2' },
  },
  mnli: {
    folder: 'MNLI',
    header: ['index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse',
      'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2'],
    textColumn: 8, pairColumn: 9, labelColumn: -1, labels: ['entailment', 'neutral', 'contradiction'],
    labelsInTsv: 'names',
    tsvFiles: { train: 'train.tsv', validation_matched: 'dev_matched.tsv', validation_mismatched: 'dev_mismatched.tsv' },
    testTsv: {
      header: ['index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse',
        'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2'],
      textColumn: 8, pairColumn: 9,
    },
    hubColumns: { text: 'premise', pair: 'hypothesis' },
  },
  qnli: {
    folder: 'QNLI', header: ['index', 'question', 'sentence', 'label'], ...PAIR_INDEXED,
    labels: ['entailment', 'not_entailment'], labelsInTsv: 'names', tsvFiles: TRAIN_DEV,
    testTsv: { header: ['index', 'question', 'sentence'], textColumn: 1, pairColumn: 2 },
    hubColumns: { text: 'question', pair: 'sentence' },
  },
  rte: {
    folder: 'RTE', header: ['index', 'sentence1', 'sentence2', 'label'], ...PAIR_INDEXED,
    labels: ['entailment', 'not_entailment'], labelsInTsv: 'names', tsvFiles: TRAIN_DEV, testTsv: INDEX_PAIR,
    hubColumns: { text: 'sentence1', pair: 'sentence2' },
  },
  wnli: {
    folder: 'WNLI', header: ['index', 'sentence1', 'sentence2', 'label'], ...PAIR_INDEXED,
    labels: ['not_entailment', 'entailment'], labelsInTsv: 'ids', tsvFiles: TRAIN_DEV, testTsv: INDEX_PAIR,
    hubColumns: { text: 'sentence1', pair: 'sentence2' },
  },
};

export function isGlueTask(name: string): name is GlueTask {
  return (GLUE_TASK_NAMES as readonly string[]).includes(name);
}

/**
 * Reads one GLUE TSV of `task`: a labeled one (train.tsv, dev.tsv, dev_matched.tsv, …), or with `labelsOptional`
 * (prediction input) also the unlabeled test.tsv, recognised by its exact header.
 */
export function readGlueTsv(task: GlueTask, file: string, options: { labelsOptional?: boolean } = {}): TextDataset {
  const spec = GLUE_TASKS[task];
  const lines = readLines(file);
  const firstData = spec.header ? 1 : 0;
  if (lines.length === 0) throw new DataError(file, 'empty file');
  const firstColumns = lines[0].split('\t');
  if (sameColumns(firstColumns, spec.testTsv.header)) {
    if (options.labelsOptional) return readTestTsv(task, file, lines);
    throw new DataError(`${file}:1`, `the unlabeled GLUE ${spec.folder} test file: it can be predicted ` +
      '(`tunelab predict --input`, or --test-file), not trained or evaluated on');
  }
  if (spec.header) checkHeader(task, file, firstColumns);
  else if (firstColumns.length < 4) {
    throw new DataError(`${file}:1`, `not a labeled ${spec.folder} file (expected 4 columns: source, label, mark, sentence)`);
  }
  // Every row has the header's columns (CoLA, without a header: 4). A row with more is a stray tab, which would shift
  // the label column (-1 is the last) onto text.
  const expected = spec.header ? firstColumns.length : 4;
  const examples: TextExample[] = [];
  for (let i = firstData; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    if (lines[i] === '') continue;
    const columns = lines[i].split('\t');
    if (columns.length !== expected) {
      throw new DataError(where, `expected ${expected} tab-separated columns for ${spec.folder}${spec.header ? ' (as the header)' : ''}, found ${columns.length}`);
    }
    const raw = columns[spec.labelColumn < 0 ? columns.length + spec.labelColumn : spec.labelColumn];
    examples.push({
      id: where,
      text: columns[spec.textColumn],
      ...(spec.pairColumn !== null ? { textPair: columns[spec.pairColumn] } : {}),
      label: parseTsvLabel(spec, raw, where),
    });
  }
  return finish(task, examples, file);
}

/** The TSV of a split in a GLUE task folder (e.g. MRPC/dev.tsv for 'validation'). */
export function glueTsvPath(task: GlueTask, dir: string, split: string): string {
  const file = GLUE_TASKS[task].tsvFiles[split];
  if (!file) {
    throw new DataError(dir, `GLUE ${task} has no labeled split '${split}' (have: ${Object.keys(GLUE_TASKS[task].tsvFiles).join(', ')})`);
  }
  return path.join(dir, file);
}

/** Rows of nyu-mll/glue parquet files → examples (label -1, the test splits, becomes null). */
export function glueFromRows(task: GlueTask, rows: { row: ParquetRow; where: string }[], source: string): TextDataset {
  const spec = GLUE_TASKS[task];
  const examples = rows.map(({ row, where }): TextExample => {
    const text = stringField(row, spec.hubColumns.text, where);
    const pair = spec.hubColumns.pair === null ? undefined : stringField(row, spec.hubColumns.pair, where);
    const label = row.label;
    if (typeof label !== 'number' && typeof label !== 'bigint') throw new DataError(where, `label is not a number (${JSON.stringify(label)})`);
    const value = Number(label);
    if (spec.labels && value !== -1 && !(Number.isInteger(value) && value >= 0 && value < spec.labels.length)) {
      throw new DataError(where, `label ${value} is not a class id of ${task} (0..${spec.labels.length - 1})`);
    }
    return { id: where, text, ...(pair !== undefined ? { textPair: pair } : {}), label: spec.labels && value === -1 ? null : value };
  });
  return finish(task, examples, source);
}

export type GlueSource = { dir: string } | { hub: HubOptions & { repo?: string } };

/**
 * A GLUE split from a task folder of TSVs (`{ dir: 'glue/MRPC' }`) or from the Hub (`{ hub: {} }`: nyu-mll/glue).
 * Splits: train, validation (MNLI: validation_matched, validation_mismatched); the Hub also has test splits.
 */
export async function loadGlue(task: GlueTask, split: string, source: GlueSource): Promise<TextDataset> {
  if ('dir' in source) return readGlueTsv(task, glueTsvPath(task, source.dir, split));
  const repo = source.hub.repo ?? 'nyu-mll/glue';
  const files = await resolveDatasetFiles(repo, { ...source.hub, config: task, split });
  return glueFromRows(task, await readParquetShards(files), `${repo}/${task}/${split}`);
}

/** The unlabeled test.tsv: every row's text (and pair) by the test header's columns, label null. */
function readTestTsv(task: GlueTask, file: string, lines: string[]): TextDataset {
  const { header, textColumn, pairColumn } = GLUE_TASKS[task].testTsv;
  const examples: TextExample[] = [];
  for (let i = 1; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    if (lines[i] === '') continue;
    const columns = lines[i].split('\t');
    if (columns.length < header.length) {
      throw new DataError(where, `expected ${header.length} tab-separated columns (${header.join(', ')}), found ${columns.length}`);
    }
    examples.push({
      id: where, text: columns[textColumn], ...(pairColumn !== null ? { textPair: columns[pairColumn] } : {}), label: null,
    });
  }
  return finish(task, examples, file);
}

function sameColumns(columns: string[], expected: string[]): boolean {
  return columns.length === expected.length && expected.every((name, i) => columns[i] === name);
}

function checkHeader(task: GlueTask, file: string, columns: string[]): void {
  const expected = GLUE_TASKS[task].header!;
  const matches = expected.every((name, i) => columns[i] === name);
  if (!matches) {
    throw new DataError(`${file}:1`, `header does not look like GLUE ${GLUE_TASKS[task].folder}: expected columns ` +
      `starting "${expected.slice(0, 4).join(' | ')}", found "${columns.slice(0, 4).join(' | ')}"`);
  }
}

function parseTsvLabel(spec: GlueTaskSpec, raw: string, where: string): number {
  if (spec.labels === null) {
    const score = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(score)) throw new DataError(where, `score "${raw}" is not a number`);
    return score;
  }
  const id = spec.labelsInTsv === 'ids' ? (/^\d+$/.test(raw) ? Number(raw) : -1) : spec.labels.indexOf(raw);
  if (id < 0 || id >= spec.labels.length) {
    const allowed = spec.labelsInTsv === 'ids' ? spec.labels.map((_, i) => i) : spec.labels;
    throw new DataError(where, `label "${raw}" is not one of ${allowed.join(', ')}`);
  }
  return id;
}

function stringField(row: ParquetRow, name: string, where: string): string {
  const value = row[name];
  if (typeof value !== 'string') throw new DataError(where, `column "${name}" is missing or not text`);
  return value;
}

function finish(task: GlueTask, examples: TextExample[], source: string): TextDataset {
  if (examples.length === 0) throw new DataError(source, 'no examples');
  const labels = GLUE_TASKS[task].labels;
  return { kind: labels ? 'classification' : 'regression', labels: labels ?? [], examples, source };
}
