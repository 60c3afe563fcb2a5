// Runs: a sortable, filterable table (status, text, param and metric ranges), a column picker, and
// multi-select to compare 2–10 runs. Filtering, sorting and paging run on the server.
import { useEffect, useMemo, useState } from 'react';
import { api, unwrap, type RunRow } from '../api.js';
import { useLoad, useStored } from '../hooks.js';
import { Link, compareHref, navigate, runHref, sweepHref } from '../router.js';
import { ErrorBox, Popover, StatusBadge } from '../components/ui.js';
import { formatAgo, formatDuration, formatNumber, formatParam } from '../format.js';

const STATUSES = ['running', 'completed', 'failed', 'terminated'] as const;
const PAGE_SIZE = 50;
const MAX_COMPARE = 10;
const OPS = ['>=', '<=', '>', '<', '=', '!='] as const;

interface Columns {
  params: string[];
  metrics: string[];
}

export function RunsPage() {
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const [statuses, setStatuses] = useState<(typeof STATUSES)[number][]>([]);
  const [conditions, setConditions] = useState<string[]>([]);
  const [sort, setSort] = useState<{ key: string; order: 'asc' | 'desc' }>({ key: 'startedAt', order: 'desc' });
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<string[]>([]);
  const [columns, setColumns] = useStored<Columns | null>('tunelab.runs.columns', null);
  const [experiment, setExperiment] = useStored<string>('tunelab.runs.experiment', '');
  const experiments = useLoad(() => unwrap(api.experiments.$get()), []);

  // Typing settles for 250 ms before it becomes a query.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text), 250);
    return () => clearTimeout(timer);
  }, [text]);
  useEffect(() => setPage(0), [query, statuses, conditions, sort, experiment]);
  // A choice remembered from another store names no experiment here: fall back to all.
  useEffect(() => {
    if (experiment && experiments.data && !experiments.data.experiments.some((x) => x.id === experiment)) setExperiment('');
  }, [experiment, experiments.data, setExperiment]);

  const runs = useLoad(() => unwrap(api.runs.$get({
    query: {
      experiment: experiment || undefined,
      q: query || undefined,
      status: statuses.length > 0 ? statuses : undefined,
      where: conditions.length > 0 ? conditions : undefined,
      sort: sort.key,
      order: sort.order,
      limit: PAGE_SIZE,
      offset: page * PAGE_SIZE,
    },
  })), [experiment, query, statuses.join(), conditions.join('\n'), sort.key, sort.order, page]);

  // The table refreshes quietly every 5 s: new runs and status changes appear without a reload.
  useEffect(() => {
    const timer = setInterval(() => { if (document.visibilityState === 'visible') runs.reload(); }, 5000);
    return () => clearInterval(timer);
  }, [runs.reload]);

  const available = runs.data?.columns ?? { params: [], metrics: [] };
  const shown: Columns = useMemo(() => columns ?? {
    params: available.params.slice(0, 4),
    metrics: available.metrics.slice(0, 3),
  }, [columns, available.params.join(), available.metrics.join()]);

  const toggleSort = (key: string) => setSort((s) => ({ key, order: s.key === key && s.order === 'desc' ? 'asc' : 'desc' }));
  const toggleSelected = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id].slice(-MAX_COMPARE)));
  const total = runs.data?.total ?? 0;

  return (
    <div>
      <div className="page-head">
        <h1>Runs</h1>
        <select value={experiment} onChange={(e) => setExperiment(e.target.value)} aria-label="experiment">
          <option value="">All experiments</option>
          {experiments.data?.experiments.map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
        </select>
        <span className="sub">{runs.data ? `${total} run${total === 1 ? '' : 's'}` : 'loading…'}</span>
        <div className="actions">
          {selected.length > 0 && <button type="button" onClick={() => setSelected([])}>Clear selection</button>}
          <button
            type="button" className="primary" data-testid="compare-button"
            disabled={selected.length < 2 || selected.length > MAX_COMPARE}
            onClick={() => navigate(compareHref(selected))}
            title="select 2–10 runs"
          >
            Compare {selected.length > 0 ? `(${selected.length})` : ''}
          </button>
        </div>
      </div>

      <div className="filters">
        <input type="search" placeholder="Filter by name, tag or param…" value={text} onChange={(e) => setText(e.target.value)} style={{ width: 260 }} aria-label="text filter" />
        {STATUSES.map((status) => (
          <label key={status} className="inline">
            <input type="checkbox" checked={statuses.includes(status)} onChange={() => setStatuses((s) => (s.includes(status) ? s.filter((x) => x !== status) : [...s, status]))} />
            <StatusBadge status={status} />
          </label>
        ))}
        {conditions.map((condition) => (
          <span key={condition} className="chip">
            <code>{condition}</code>
            <button type="button" className="ghost" aria-label={`remove ${condition}`} onClick={() => setConditions((c) => c.filter((x) => x !== condition))}>×</button>
          </span>
        ))}
        <ConditionEditor columns={available} onAdd={(c) => setConditions((list) => (list.includes(c) ? list : [...list, c]))} />
        <span style={{ marginLeft: 'auto' }} />
        <ColumnPicker available={available} shown={shown} onChange={setColumns} />
      </div>

      <ErrorBox error={runs.error} />
      <div className="card" style={{ padding: 0 }}>
        <div className="table-wrap" style={{ border: 0 }}>
          <table className="data" data-testid="runs-table">
            <thead>
              <tr>
                <th style={{ width: 30 }} />
                <SortHeader label="Name" sortKey="name" sort={sort} onSort={toggleSort} />
                <SortHeader label="Status" sortKey="status" sort={sort} onSort={toggleSort} />
                <SortHeader label="Started" sortKey="startedAt" sort={sort} onSort={toggleSort} />
                <SortHeader label="Duration" sortKey="duration" sort={sort} onSort={toggleSort} numeric />
                <th>Tags</th>
                {shown.params.map((p) => <SortHeader key={p} label={p} sortKey={`param.${p}`} sort={sort} onSort={toggleSort} numeric muted="param" />)}
                {shown.metrics.map((m) => <SortHeader key={m} label={m} sortKey={`metric.${m}`} sort={sort} onSort={toggleSort} numeric muted="metric" />)}
              </tr>
            </thead>
            <tbody>
              {runs.data?.runs.map((run) => (
                <RunTableRow key={run.id} run={run} columns={shown} selected={selected.includes(run.id)} onToggle={() => toggleSelected(run.id)} />
              ))}
            </tbody>
          </table>
          {runs.data && runs.data.runs.length === 0 && <div className="empty">No runs match.</div>}
        </div>
      </div>
      {total > PAGE_SIZE && (
        <div className="pager">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>‹ Prev</button>
          <span>{page * PAGE_SIZE + 1}–{Math.min(total, (page + 1) * PAGE_SIZE)} of {total}</span>
          <button type="button" disabled={(page + 1) * PAGE_SIZE >= total} onClick={() => setPage(page + 1)}>Next ›</button>
        </div>
      )}
    </div>
  );
}

function RunTableRow({ run, columns, selected, onToggle }: { run: RunRow; columns: Columns; selected: boolean; onToggle: () => void }) {
  return (
    <tr className={selected ? 'selected' : ''} data-run-id={run.id}>
      <td><input type="checkbox" checked={selected} onChange={onToggle} aria-label={`select ${run.name}`} /></td>
      <td>
        <Link href={runHref(run.id)}>{run.name}</Link>
        {run.sweepId && <> <Link href={sweepHref(run.sweepId)} className="faint" title="part of a sweep">↗ sweep</Link></>}
      </td>
      <td><StatusBadge status={run.status} stopRequested={run.stopRequested} /></td>
      <td className="muted" title={new Date(run.startedAt).toISOString()}>{formatAgo(run.startedAt)}</td>
      <td className="num">{formatDuration(run.durationMs)}</td>
      <td>{run.tags.map((t) => <span key={t} className="tag">{t}</span>)}</td>
      {columns.params.map((p) => <td key={p} className="num mono">{formatParam(run.params[p])}</td>)}
      {columns.metrics.map((m) => <td key={m} className="num mono" title={run.metrics[m] ? `min ${formatNumber(run.metrics[m].min)} · max ${formatNumber(run.metrics[m].max)} · step ${run.metrics[m].step}` : undefined}>{formatNumber(run.metrics[m]?.last)}</td>)}
    </tr>
  );
}

function SortHeader(props: { label: string; sortKey: string; sort: { key: string; order: string }; onSort: (key: string) => void; numeric?: boolean; muted?: string }) {
  const active = props.sort.key === props.sortKey;
  return (
    <th className={`sortable${props.numeric ? ' num' : ''}`} onClick={() => props.onSort(props.sortKey)} aria-sort={active ? (props.sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      {props.muted && <span className="faint">{props.muted} </span>}
      {props.label}
      {active ? (props.sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
    </th>
  );
}

function ColumnPicker({ available, shown, onChange }: { available: Columns; shown: Columns; onChange: (c: Columns) => void }) {
  const toggle = (kind: keyof Columns, name: string) => {
    const list = shown[kind].includes(name) ? shown[kind].filter((x) => x !== name) : [...shown[kind], name];
    onChange({ ...shown, [kind]: list });
  };
  return (
    <Popover label="Columns" align="right" testId="column-picker">
      <h3>Params</h3>
      {available.params.length === 0 && <div className="faint">none</div>}
      {available.params.map((p) => <label key={p}><input type="checkbox" checked={shown.params.includes(p)} onChange={() => toggle('params', p)} />{p}</label>)}
      <h3 style={{ marginTop: 10 }}>Metrics (last value)</h3>
      {available.metrics.length === 0 && <div className="faint">none</div>}
      {available.metrics.map((m) => <label key={m}><input type="checkbox" checked={shown.metrics.includes(m)} onChange={() => toggle('metrics', m)} />{m}</label>)}
    </Popover>
  );
}

function ConditionEditor({ columns, onAdd }: { columns: Columns; onAdd: (condition: string) => void }) {
  const fields = [...columns.params.map((p) => `param.${p}`), ...columns.metrics.map((m) => `metric.${m}`)];
  const [field, setField] = useState('');
  const [op, setOp] = useState<(typeof OPS)[number]>('>=');
  const [value, setValue] = useState('');
  const chosen = field || fields[0] || '';
  const numericOp = op !== '=' && op !== '!=';
  const valid = chosen !== '' && value.trim() !== '' && (!numericOp || Number.isFinite(Number(value)));
  return (
    <Popover label="+ Filter" testId="add-filter">
      <div className="stack" style={{ gap: 8 }}>
        <select value={chosen} onChange={(e) => setField(e.target.value)} aria-label="field">
          {fields.map((f) => <option key={f} value={f}>{f}</option>)}
        </select>
        <div className="row">
          <select value={op} onChange={(e) => setOp(e.target.value as (typeof OPS)[number])} aria-label="operator">
            {OPS.map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
          <input type="text" value={value} onChange={(e) => setValue(e.target.value)} placeholder={numericOp ? 'number, e.g. 1e-4' : 'value'} style={{ width: 130 }} aria-label="value" />
        </div>
        <button type="button" className="primary" disabled={!valid} onClick={() => { onAdd(`${chosen}${op}${value.trim()}`); setValue(''); }}>Add filter</button>
      </div>
    </Popover>
  );
}
