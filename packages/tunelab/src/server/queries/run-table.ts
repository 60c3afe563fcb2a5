// The runs table: run + latest metric values as one row, then text/param/metric filters, sorting and paging.
// Pure functions over what the store returns, so 1,000 runs cost two store queries (runs, metric summaries).
import { HTTPException } from 'hono/http-exception';
import { displayStatus, type DisplayStatus, type MetricSummary, type ParamValue, type Params, type Run } from '../../track/store.js';

/** A metric's summary as the table shows it; NaN travels as null (JSON has no NaN). */
export interface MetricCell {
  last: number | null;
  min: number | null;
  max: number | null;
  step: number;
  count: number;
}

export interface RunRow {
  id: string;
  name: string;
  experimentId: string;
  /** The display status: a running run unseen past the grace period is `lost`. */
  status: DisplayStatus;
  stopRequested: string | null;
  reason: string | null;
  startedAt: number;
  endedAt: number | null;
  durationMs: number;
  params: Params;
  tags: string[];
  sweepId: string | null;
  trialId: string | null;
  metrics: Record<string, MetricCell>;
}

export type ConditionOp = '<' | '<=' | '>' | '>=' | '=' | '!=';

/** `param.lr>=1e-5`, `metric.val_loss<0.4`, `param.optimizer=adamw`. */
export interface Condition {
  field: 'param' | 'metric';
  key: string;
  op: ConditionOp;
  value: string;
}

export type SortOrder = 'asc' | 'desc';

export function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function buildRows(runs: readonly Run[], summaries: readonly MetricSummary[], now = Date.now()): RunRow[] {
  const byRun = new Map<string, Record<string, MetricCell>>();
  for (const s of summaries) {
    const cells = byRun.get(s.runId) ?? {};
    cells[s.name] = { last: finite(s.lastValue), min: finite(s.min), max: finite(s.max), step: s.lastStep, count: s.count };
    byRun.set(s.runId, cells);
  }
  return runs.map((run) => ({
    id: run.id,
    name: run.name,
    experimentId: run.experimentId,
    status: displayStatus(run, now),
    stopRequested: run.stopRequested,
    reason: run.reason,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    durationMs: (run.endedAt ?? now) - run.startedAt,
    params: run.params,
    tags: run.tags,
    sweepId: run.sweepId,
    trialId: run.trialId,
    metrics: byRun.get(run.id) ?? {},
  }));
}

const CONDITION = /^(param|metric)\.(.+?)(<=|>=|!=|<|>|=)(.*)$/s;

export function parseCondition(text: string): Condition {
  const match = CONDITION.exec(text);
  if (!match || match[2] === '' || match[4] === '') {
    throw new HTTPException(400, { message: `query.where: ${JSON.stringify(text)} is not <param|metric>.<name><op><value> (op: < <= > >= = !=)` });
  }
  const [, field, key, op, value] = match;
  if ((op === '<' || op === '<=' || op === '>' || op === '>=') && !Number.isFinite(Number(value))) {
    throw new HTTPException(400, { message: `query.where: ${JSON.stringify(text)}: ${op} needs a number, got ${JSON.stringify(value)}` });
  }
  return { field: field as Condition['field'], key, op: op as ConditionOp, value };
}

function fieldValue(row: RunRow, field: Condition['field'], key: string): ParamValue | undefined {
  return field === 'param' ? row.params[key] : row.metrics[key]?.last;
}

function satisfies(row: RunRow, condition: Condition): boolean {
  const actual = fieldValue(row, condition.field, condition.key);
  if (actual === undefined || actual === null) return false;
  if (condition.op === '=' || condition.op === '!=') {
    const wanted = condition.value;
    const equal = typeof actual === 'number' && Number.isFinite(Number(wanted)) ? actual === Number(wanted) : String(actual) === wanted;
    return condition.op === '=' ? equal : !equal;
  }
  if (typeof actual !== 'number') return false;
  const bound = Number(condition.value);
  switch (condition.op) {
    case '<': return actual < bound;
    case '<=': return actual <= bound;
    case '>': return actual > bound;
    case '>=': return actual >= bound;
  }
}

/** Case-insensitive substring of the name, id, a tag, or a param's name=value. */
function matchesText(row: RunRow, needle: string): boolean {
  const n = needle.toLowerCase();
  if (row.name.toLowerCase().includes(n) || row.id.includes(n)) return true;
  if (row.tags.some((t) => t.toLowerCase().includes(n))) return true;
  return Object.entries(row.params).some(([k, v]) => `${k}=${String(v)}`.toLowerCase().includes(n));
}

export function filterRows(rows: readonly RunRow[], options: { text?: string; conditions?: readonly Condition[] }): RunRow[] {
  const text = options.text?.trim();
  const conditions = options.conditions ?? [];
  return rows.filter((row) => (!text || matchesText(row, text)) && conditions.every((c) => satisfies(row, c)));
}

/** Sort keys: name, status, startedAt, duration, param.<name>, metric.<name>. Missing values sort last. */
export function sortRows(rows: readonly RunRow[], key: string, order: SortOrder): RunRow[] {
  const value = sortValue(key);
  const sign = order === 'asc' ? 1 : -1;
  return rows
    .map((row) => ({ row, v: value(row) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? 0 : a.v === null ? 1 : -1;
      if (typeof a.v === 'number' && typeof b.v === 'number') return sign * (a.v - b.v);
      return sign * String(a.v).localeCompare(String(b.v), undefined, { numeric: true });
    })
    .map((x) => x.row);
}

function sortValue(key: string): (row: RunRow) => string | number | null {
  if (key === 'name') return (r) => r.name;
  if (key === 'status') return (r) => r.status;
  if (key === 'startedAt') return (r) => r.startedAt;
  if (key === 'duration') return (r) => r.durationMs;
  if (key.startsWith('param.')) {
    const name = key.slice('param.'.length);
    return (r) => {
      const v = r.params[name];
      return v === undefined || v === null ? null : typeof v === 'boolean' ? String(v) : v;
    };
  }
  if (key.startsWith('metric.')) {
    const name = key.slice('metric.'.length);
    return (r) => r.metrics[name]?.last ?? null;
  }
  throw new HTTPException(400, { message: `query.sort: unknown sort key ${JSON.stringify(key)} (name, status, startedAt, duration, param.<name>, metric.<name>)` });
}

/** Every param and metric name across the rows, for the column picker and filter menus. */
export function columnsOf(rows: readonly RunRow[]): { params: string[]; metrics: string[] } {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const row of rows) {
    Object.keys(row.params).forEach((k) => params.add(k));
    Object.keys(row.metrics).forEach((k) => metrics.add(k));
  }
  return { params: [...params].sort(), metrics: [...metrics].sort() };
}
