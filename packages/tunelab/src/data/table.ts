// Custom sentence(-pair) classification or regression data: CSV (RFC 4180 quoting), TSV (tabs only, no quoting, as
// GLUE) or JSON lines, with named text / text-pair / label columns (--text-column, --text-pair-column, --label-column).
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { DataError } from './errors.js';
import { parseJson, readLines, readUtf8 } from './text-file.js';
import type { TextDataset, TextExample } from './types.js';

export interface TableReadOptions {
  textColumn: string;
  textPairColumn?: string;
  /** Default 'label'. */
  labelColumn?: string;
  /** Default: from the extension (.csv, .tsv, .jsonl / .json). */
  format?: 'csv' | 'tsv' | 'jsonl';
  /**
   * Default: the training labels' kind when `labels` is given, else regression when every label is a number and
   * some is not an integer, classification otherwise.
   */
  kind?: 'classification' | 'regression';
  /** The training set's label names (id order): a label outside them is an error. Default: discovered, sorted. */
  labels?: string[];
  /** Prediction input: a file without the label column is read with every label null (an empty cell stays an error). */
  labelsOptional?: boolean;
}

interface Row {
  where: string;
  get(column: string): string | number | undefined;
}

export function readTable(file: string, options: TableReadOptions): TextDataset {
  const format = options.format ?? formatOf(file);
  const rows = format === 'jsonl' ? jsonlRows(file) : delimitedRows(file, format, columnsWanted(options));
  if (rows.length === 0) throw new DataError(file, 'no examples');
  const labelColumn = options.labelColumn ?? 'label';
  if (options.labelsOptional && rows.every((row) => row.get(labelColumn) === undefined)) {
    const examples = rows.map((row): TextExample => ({ ...textsOf(row, options), label: null }));
    return { kind: options.kind ?? 'classification', labels: options.labels ?? [], examples, source: file };
  }
  let firstLabel: { type: string; where: string } | undefined;
  const raw = rows.map((row) => {
    const value = row.get(labelColumn);
    if (value === undefined || value === '') throw new DataError(row.where, `no value in label column "${labelColumn}"`);
    // JSON lines keep their types: 1 and "1" would silently become one class (or two), so a file uses one type.
    firstLabel ??= { type: typeof value, where: row.where };
    if (typeof value !== firstLabel.type) {
      throw new DataError(row.where, `label ${JSON.stringify(value)} is a ${typeof value}, but the label at ${firstLabel.where} is a ${firstLabel.type}: use one type`);
    }
    return String(value);
  });
  const kind = options.kind ?? (options.labels ? 'classification' : inferKind(raw));
  const labels = kind === 'regression' ? [] : options.labels ?? discoverLabels(raw);
  const ids = new Map(labels.map((label, id) => [label, id]));
  const examples = rows.map((row, i): TextExample => {
    let label: number;
    if (kind === 'regression') {
      label = Number(raw[i]);
      if (raw[i].trim() === '' || !Number.isFinite(label)) throw new DataError(row.where, `label "${raw[i]}" is not a number`);
    } else {
      const id = ids.get(raw[i]);
      if (id === undefined) throw new DataError(row.where, `label "${raw[i]}" is not among the training labels (${labels.join(', ')})`);
      label = id;
    }
    return { ...textsOf(row, options), label };
  });
  return { kind, labels, examples, source: file };
}

function textsOf(row: Row, options: TableReadOptions): Omit<TextExample, 'label'> {
  const text = textField(row, options.textColumn);
  const pair = options.textPairColumn === undefined ? undefined : textField(row, options.textPairColumn);
  return { id: row.where, text, ...(pair !== undefined ? { textPair: pair } : {}) };
}

function formatOf(file: string): 'csv' | 'tsv' | 'jsonl' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.jsonl' || ext === '.json') return 'jsonl';
  throw new DataError(file, `cannot tell the format from the extension "${ext}" (use .csv, .tsv, .jsonl or set format)`);
}

function columnsWanted(options: TableReadOptions): string[] {
  const label = options.labelsOptional ? [] : [options.labelColumn ?? 'label'];
  return [options.textColumn, ...(options.textPairColumn ? [options.textPairColumn] : []), ...label];
}

function delimitedRows(file: string, format: 'csv' | 'tsv', wanted: string[]): Row[] {
  const records = format === 'csv' ? csvRecords(file) : readLines(file).map((line, i) => ({ line: i + 1, fields: line.split('\t') }));
  if (records.length === 0) throw new DataError(file, 'empty file');
  const header = records[0].fields;
  const duplicate = header.find((name, i) => header.indexOf(name) !== i);
  if (duplicate !== undefined) throw new DataError(`${file}:1`, `column "${duplicate}" appears twice in the header`);
  for (const column of wanted) {
    if (!header.includes(column)) throw new DataError(`${file}:1`, `no column "${column}" (columns: ${header.join(', ')})`);
  }
  const index = new Map(header.map((name, i) => [name, i]));
  return records.slice(1).filter((r) => !(r.fields.length === 1 && r.fields[0] === '')).map((record) => {
    const where = `${file}:${record.line}`;
    if (record.fields.length !== header.length) {
      throw new DataError(where, `expected ${header.length} ${format === 'tsv' ? 'tab-separated ' : ''}fields, found ${record.fields.length}`);
    }
    return { where, get: (column) => record.fields[index.get(column)!] };
  });
}

function csvRecords(file: string): { line: number; fields: string[] }[] {
  try {
    const parsed = parseCsv(readUtf8(file), { info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as
      { record: string[]; info: { lines: number } }[];
    return parsed.map(({ record, info }) => ({ line: info.lines, fields: record }));
  } catch (err) {
    if (err instanceof DataError) throw err;
    const e = err as { lines?: number; message?: string };
    throw new DataError(e.lines ? `${file}:${e.lines}` : file, `bad CSV: ${(e.message ?? String(err)).split('\n')[0]}`);
  }
}

function jsonlRows(file: string): Row[] {
  const rows: Row[] = [];
  readLines(file).forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.trim() === '') return;
    const record = parseJson(line, () => where);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new DataError(where, 'expected a JSON object');
    const fields = record as Record<string, unknown>;
    rows.push({
      where,
      get: (column) => {
        const value = fields[column];
        if (value === undefined || value === null) return undefined;
        if (typeof value === 'string' || typeof value === 'number') return value;
        if (typeof value === 'boolean') return String(value);
        throw new DataError(where, `field "${column}" must be text or a number`);
      },
    });
  });
  return rows;
}

function textField(row: Row, column: string): string {
  const value = row.get(column);
  if (value === undefined) throw new DataError(row.where, `no value in text column "${column}"`);
  return String(value);
}

function inferKind(raw: string[]): 'classification' | 'regression' {
  const numbers = raw.map((value) => (value.trim() === '' ? NaN : Number(value)));
  const allNumbers = numbers.every(Number.isFinite);
  return allNumbers && numbers.some((n) => !Number.isInteger(n)) ? 'regression' : 'classification';
}

/** Sorted as HF's run_glue sorts `unique()` labels: numerically when all are integers, else as strings. */
function discoverLabels(raw: string[]): string[] {
  const unique = [...new Set(raw)];
  const integers = unique.every((value) => /^-?\d+$/.test(value));
  return integers ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
}
