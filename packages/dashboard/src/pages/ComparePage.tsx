// Compare 2–10 runs: every metric overlaid (one colour per run), and a param table that marks differences.
import { useMemo, useState } from 'react';
import { api, unwrap, type CompareData, type Point } from '../api.js';
import { useLoad, useStored, useThrottled } from '../hooks.js';
import { useLive } from '../live.js';
import { Link, runHref } from '../router.js';
import { ErrorBox, Segmented, StatusBadge } from '../components/ui.js';
import { LineChart, type XKind } from '../charts/LineChart.js';
import { appendPoints, toXY } from '../charts/series.js';
import { seriesColor } from '../charts/theme.js';
import { formatNumber, formatParam } from '../format.js';

export function ComparePage({ ids }: { ids: string[] }) {
  const data = useLoad(() => unwrap(api.compare.$get({ query: { ids: ids.join(','), points: 500 } })), [ids.join()]);
  const refetch = useThrottled(data.reload, 2000);
  useLive({ runs: ids }, (event) => {
    if (event.type === 'hello' || event.type === 'run') refetch();
    if (event.type === 'metrics') {
      data.setData((d) => d && {
        ...d,
        series: d.series.map((r) => r.runId !== event.runId ? r : {
          ...r,
          series: r.series.some((s) => s.name === event.name)
            ? r.series.map((s) => (s.name === event.name ? { ...s, points: appendPoints(s.points, event.points) } : s))
            : [...r.series, { name: event.name, points: event.points }],
        }),
      });
    }
  });
  if (ids.length < 2) return <div className="empty">Select 2–10 runs on the <Link href="/">runs page</Link> to compare them.</div>;
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <div className="empty">Loading…</div>;
  return <CompareView data={data.data} />;
}

function CompareView({ data }: { data: CompareData }) {
  const [xKind, setXKind] = useStored<XKind>('tunelab.compare.x', 'step');
  const [logY, setLogY] = useStored('tunelab.compare.logy', false);
  const [onlyDiff, setOnlyDiff] = useState(true);
  const colors = new Map(data.runs.map((r, i) => [r.id, seriesColor(i)]));
  const params = onlyDiff ? data.params.filter((p) => p.differs) : data.params;
  return (
    <div>
      <div className="page-head">
        <Link href="/" className="muted">Runs</Link><span className="faint">/</span>
        <h1>Compare {data.runs.length} runs</h1>
      </div>
      <div className="card" style={{ marginBottom: 16 }}>
        <div className="chart-legend" style={{ marginTop: 0, fontSize: 13 }} data-testid="compare-legend">
          {data.runs.map((r) => (
            <span key={r.id}><i className="swatch thick" style={{ color: colors.get(r.id) }} /><Link href={runHref(r.id)}>{r.name}</Link> <StatusBadge status={r.status} stopRequested={r.stopRequested} /></span>
          ))}
        </div>
      </div>
      <div className="card" style={{ marginBottom: 16 }}>
        <div className="card-head">
          <h2>Metrics</h2>
          <div className="tools">
            <label className="inline"><input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} />log y</label>
            <Segmented label="x axis" value={xKind} onChange={setXKind} options={[{ value: 'step', label: 'step' }, { value: 'time', label: 'wall time' }]} />
          </div>
        </div>
        <div className="metric-grid">
          {data.metrics.map((name) => <OverlayChart key={name} name={name} data={data} colors={colors} xKind={xKind} logY={logY} />)}
        </div>
      </div>
      <div className="card">
        <div className="card-head">
          <h2>Params</h2>
          <div className="tools"><label className="inline"><input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} />only differences</label></div>
        </div>
        <div className="table-wrap">
          <table className="data diff" data-testid="param-diff">
            <thead>
              <tr><th>param</th>{data.runs.map((r) => <th key={r.id} style={{ color: colors.get(r.id) }}>{r.name}</th>)}</tr>
            </thead>
            <tbody>
              {params.map((p) => (
                <tr key={p.key} data-differs={p.differs}>
                  <td>{p.key}</td>
                  {p.values.map((v, i) => <td key={i} className={`mono${p.differs ? ' differs' : ''}`}>{formatParam(v)}</td>)}
                </tr>
              ))}
              {data.metrics.map((m) => (
                <tr key={`metric:${m}`}>
                  <td className="muted">{m} <span className="faint">(last)</span></td>
                  {data.runs.map((r) => <td key={r.id} className="mono">{formatNumber(r.metrics[m]?.last)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          {params.length === 0 && <div className="empty">All params are equal.</div>}
        </div>
      </div>
    </div>
  );
}

function OverlayChart({ name, data, colors, xKind, logY }: { name: string; data: CompareData; colors: Map<string, string>; xKind: XKind; logY: boolean }) {
  const lines = useMemo(() => data.series.flatMap((r) => {
    const points: Point[] | undefined = r.series.find((s) => s.name === name)?.points;
    if (!points) return [];
    const run = data.runs.find((x) => x.id === r.runId)!;
    return [{ key: r.runId, label: run.name, ...toXY(points, xKind), color: colors.get(r.runId)!, width: 1.75 }];
  }), [data, name, xKind, colors]);
  return (
    <div>
      <b style={{ fontSize: 13 }}>{name}</b>
      <LineChart series={lines} xKind={xKind} logY={logY} height={220} tooltip="all" testId={`compare-${name}`} />
    </div>
  );
}
