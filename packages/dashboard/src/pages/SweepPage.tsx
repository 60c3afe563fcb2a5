// A sweep: every trial's primary-metric curve (early-terminated trials dashed, reason on hover), the
// hyperparameter-vs-metric scatter, parallel coordinates with brushing, the best trial, progress and the
// compute that early termination saved. Curves and the trial list follow the sweep live.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ECharts } from 'echarts/core';
import { api, unwrap, type Point, type SweepDetail, type TrialRow } from '../api.js';
import { useLoad, useStored, useThrottled } from '../hooks.js';
import { useLive } from '../live.js';
import { Link, navigate, runHref } from '../router.js';
import { ErrorBox, Progress, Segmented, Stat, StatusBadge } from '../components/ui.js';
import { LineChart, type LineSeries } from '../charts/LineChart.js';
import { EChart } from '../charts/EChart.js';
import { appendPoints, epochsAt } from '../charts/series.js';
import { KIND_LABELS, paramSummary, parallelOption, scatterOption, trialKind, trialStyle } from '../charts/sweepCharts.js';
import { readTheme } from '../charts/theme.js';
import { useThemeName } from '../theme.js';
import { formatDuration, formatNumber, formatParam } from '../format.js';

const CURVE_POINTS = 200;

export function SweepPage({ id }: { id: string }) {
  const detail = useLoad(() => unwrap(api.sweeps[':id'].$get({ param: { id } })), [id]);
  const curves = useSweepCurves(id);
  const refreshDetail = useThrottled(detail.reload, 500);

  useLive({ sweeps: [id] }, (event) => {
    if (event.type === 'hello') {
      detail.reload();
      curves.reload();
    } else if (event.type === 'sweep' && event.sweepId === id) {
      refreshDetail();
    } else if (event.type === 'metrics') {
      curves.append(event.runId, event.points);
      // Best values and last steps in the table move with the curves.
      refreshDetail();
    }
  });

  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data) return <div className="empty">Loading sweep…</div>;
  return <SweepView detail={detail.data} curves={curves.data} curvesError={curves.error} onChanged={detail.reload} />;
}

function mergeLonger(current: Record<string, Point[]>, loaded: Record<string, Point[]>): Record<string, Point[]> {
  const merged = { ...current };
  for (const [runId, points] of Object.entries(loaded)) {
    const mine = current[runId];
    if (!mine || mine.length === 0 || points.length === 0 || points[points.length - 1][0] >= mine[mine.length - 1][0]) merged[runId] = points;
  }
  return merged;
}

/** Trials per curves request: a 1,000-trial sweep's chart fills page by page instead of after one long wait. */
const CURVE_PAGE = 100;

/**
 * Every trial's primary-metric curve, keyed by run id: loaded a page of trials at a time, extended by live
 * points, and re-thinned per run (one small request) when live points pile up past twice the resolution.
 */
function useSweepCurves(sweepId: string) {
  const [data, setData] = useState<Record<string, Point[]>>({});
  const [error, setError] = useState<Error | null>(null);
  const generation = useRef(0);
  const metric = useRef<string | null>(null);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    const loaded: Record<string, Point[]> = {};
    let shownAt = 0;
    try {
      for (let offset = 0; ; offset += CURVE_PAGE) {
        const page = await unwrap(api.sweeps[':id'].curves.$get({ param: { id: sweepId }, query: { points: CURVE_POINTS, offset, limit: CURVE_PAGE } }));
        if (mine !== generation.current) return;
        metric.current = page.metric;
        for (const s of page.series) loaded[s.runId] = s.points;
        const last = offset + CURVE_PAGE >= page.total;
        // Show the first page at once, then at most every 2 s: each update redraws every curve.
        if (offset === 0 || last || Date.now() - shownAt > 2000) {
          shownAt = Date.now();
          const snapshot = { ...loaded };
          // Live points that arrived meanwhile are newer than the page: keep whichever series is longer.
          setData((all) => (offset === 0 ? snapshot : mergeLonger(all, snapshot)));
        }
        if (last) break;
      }
      setError(null);
    } catch (e) {
      if (mine === generation.current) setError(e as Error);
    }
  }, [sweepId]);

  const rethinning = useRef(new Set<string>());
  const rethin = useCallback(async (runId: string) => {
    if (!metric.current || rethinning.current.has(runId)) return;
    rethinning.current.add(runId);
    try {
      const body = await unwrap(api.runs[':id'].metrics.$get({ param: { id: runId }, query: { names: [metric.current], points: CURVE_POINTS } }));
      setData((all) => ({ ...all, [runId]: body.series[0]?.points ?? [] }));
    } finally {
      rethinning.current.delete(runId);
    }
  }, []);

  const append = useCallback((runId: string, points: Point[]) => {
    setData((all) => ({ ...all, [runId]: appendPoints(all[runId] ?? [], points) }));
  }, []);

  useEffect(() => {
    for (const [runId, points] of Object.entries(data)) {
      if (points.length > 2 * CURVE_POINTS) void rethin(runId).catch(setError);
    }
  }, [data, rethin]);

  useEffect(() => {
    setData({});
    void reload();
  }, [reload]);

  return { data, error, reload: () => void reload(), append };
}

function SweepView({ detail, curves, curvesError, onChanged }: { detail: SweepDetail; curves: Record<string, Point[]>; curvesError: Error | null; onChanged: () => void }) {
  const { sweep, objective, trials, progress, compute, space } = detail;
  const [brushed, setBrushed] = useState<Set<string> | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const best = trials.find((t) => t.isBest) ?? null;
  const done = progress.completed + progress.terminated + progress.failed;

  const stop = async () => {
    if (!window.confirm(`Stop sweep ${sweep.name}? Running trials are terminated and queued ones cancelled.`)) return;
    setError(null);
    try {
      await unwrap(api.sweeps[':id'].stop.$post({ param: { id: sweep.id }, json: { reason: 'stopped from the dashboard' } }));
      onChanged();
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <div>
      <div className="page-head">
        <Link href="/sweeps" className="muted">Sweeps</Link><span className="faint">/</span>
        <h1 data-testid="sweep-name">{sweep.name}</h1>
        <StatusBadge status={sweep.status === 'stopped' ? 'stopped' : sweep.status} stopRequested={sweep.stopRequested} />
        <span className="sub">{objective.goal} <code>{objective.metric}</code>{detail.policy ? <> · early termination: <code>{detail.policy}</code></> : null}</span>
        <div className="actions">
          {sweep.status === 'running' && <button type="button" className="danger" disabled={!!sweep.stopRequested} onClick={stop}>{sweep.stopRequested ? 'Stopping…' : 'Stop sweep'}</button>}
        </div>
      </div>
      <ErrorBox error={error} />
      {sweep.reason && <div className="card muted" style={{ marginBottom: 16 }}>{sweep.reason}</div>}

      <div className="stats">
        <Stat label="Progress" value={`${done} / ${progress.total}`} hint={`${progress.running} running · ${progress.queued} queued`} testId="progress">
          <Progress parts={[
            { label: 'completed', value: progress.completed, color: 'var(--ok)' },
            { label: 'terminated early', value: progress.terminated, color: 'var(--warn)' },
            { label: 'failed', value: progress.failed, color: 'var(--bad)' },
            { label: 'running', value: progress.running, color: 'var(--run)' },
            { label: 'not started', value: Math.max(0, progress.total - done - progress.running), color: 'var(--panel-2)' },
          ]} />
        </Stat>
        <Stat
          label={`Best ${objective.metric}`}
          value={best ? formatNumber(best.value, 5) : '—'}
          hint={best ? <>trial <Link href={best.runId ? runHref(best.runId) : '#'}>#{best.number}</Link> · {paramSummary(best.params, space)}</> : 'no completed trial yet'}
          testId="best"
        />
        <Stat label="Compute spent" value={formatDuration(compute.spentMs)} hint={`${compute.device}-time of all trials (wall time × processes)`} />
        <Stat
          label="Saved by early termination"
          value={compute.savedMs === null ? '—' : formatDuration(compute.savedMs)}
          hint={compute.savedMs === null ? 'no trial stopped early' : `${compute.device}-time · ${compute.unknownTrials > 0 ? `${compute.unknownTrials} without total_steps not counted · ` : ''}${progress.terminated} trial${progress.terminated === 1 ? '' : 's'} stopped · ${Math.round((100 * compute.savedMs) / Math.max(1, compute.savedMs + compute.spentMs))}% of the full cost`}
          testId="saved"
        />
      </div>

      <div className="card" style={{ marginBottom: 16 }}>
        <CurvesPanel trials={trials} curves={curves} metric={objective.metric} space={space} />
        <ErrorBox error={curvesError} />
      </div>

      <div className="grid-2" style={{ marginBottom: 16 }}>
        <ScatterPanel detail={detail} />
        <ParallelPanel detail={detail} onBrush={setBrushed} />
      </div>

      <TrialsTable detail={detail} only={brushed} />
    </div>
  );
}

/**
 * Each run's `epoch` series (logged with every train and eval entry), fetched only while the epoch x axis is shown:
 * trials with different batch sizes reach an epoch at different steps.
 */
function useEpochSeries(runIds: readonly string[], enabled: boolean): Record<string, Point[]> {
  const [epochs, setEpochs] = useState<Record<string, Point[]>>({});
  const wanted = enabled ? runIds.filter((id) => !(id in epochs)) : [];
  const key = wanted.join(',');
  useEffect(() => {
    if (wanted.length === 0) return;
    let live = true;
    void Promise.all(wanted.map(async (runId) => {
      const body = await unwrap(api.runs[':id'].metrics.$get({ param: { id: runId }, query: { names: ['epoch'], points: CURVE_POINTS } }));
      return [runId, body.series[0]?.points ?? []] as const;
    })).then((loaded) => { if (live) setEpochs((all) => ({ ...all, ...Object.fromEntries(loaded) })); }).catch(() => undefined);
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return epochs;
}

function CurvesPanel({ trials, curves, metric, space }: { trials: TrialRow[]; curves: Record<string, Point[]>; metric: string; space: SweepDetail['space'] }) {
  const themeName = useThemeName();
  const [logY, setLogY] = useStored('tunelab.sweep.logy', false);
  const [xKind, setXKind] = useStored<'step' | 'epoch'>('tunelab.sweep.x', 'step');
  const runIds = useMemo(() => trials.flatMap((t) => (t.runId && curves[t.runId] ? [t.runId] : [])), [trials, curves]);
  const epochs = useEpochSeries(runIds, xKind === 'epoch');
  const series: LineSeries[] = useMemo(() => {
    const theme = readTheme();
    return trials
      .filter((t) => t.runId && curves[t.runId])
      .map((t) => ({ trial: t, style: trialStyle(t, theme) }))
      .sort((a, b) => a.style.layer - b.style.layer)
      .map(({ trial, style }) => {
        const points = curves[trial.runId!];
        const steps = points.map((p) => p[0]);
        // On the epoch axis, a point whose epoch is not known (yet) is left out.
        const xs = xKind === 'epoch' ? epochsAt(steps, epochs[trial.runId!] ?? []) : steps;
        const kept = points.flatMap((p, i) => (xs[i] === null ? [] : [[xs[i]!, p[1]] as const]));
        return {
          key: trial.id,
          label: `Trial #${trial.number} — ${KIND_LABELS[trialKind(trial)]}`,
          xs: kept.map(([x]) => x),
          ys: kept.map(([, y]) => y),
          color: style.color,
          width: style.width,
          dash: style.dash,
          details: [paramSummary(trial.params, space)],
          warning: trial.terminatedEarly ? trial.reason ?? 'terminated' : undefined,
        };
      });
    // themeName: colours come from CSS variables of the current theme.
  }, [trials, curves, space, themeName, xKind, epochs]);
  return (
    <>
      <div className="card-head">
        <h2>{metric} per trial</h2>
        <div className="chart-legend" style={{ marginTop: 0 }}>
          <span><i className="swatch thick" style={{ color: 'var(--best)' }} />best</span>
          <span><i className="swatch" style={{ color: 'var(--accent)' }} />completed / running</span>
          <span><i className="swatch dashed" style={{ color: 'var(--faint)' }} />terminated early (hover for why)</span>
        </div>
        <div className="tools">
          <label className="inline"><input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} />log y</label>
          <Segmented label="x axis" value={xKind} onChange={setXKind} options={[{ value: 'step', label: 'step' }, { value: 'epoch', label: 'epoch' }]} />
        </div>
      </div>
      <LineChart series={series} xKind={xKind} logY={logY} height={320} tooltip="nearest" yLabel={metric} xLabel={xKind === 'epoch' ? 'epoch' : 'optimizer step'} testId="sweep-curves" />
    </>
  );
}

function ScatterPanel({ detail }: { detail: SweepDetail }) {
  const themeName = useThemeName();
  const { space, trials, objective } = detail;
  const [chosen, setChosen] = useState(space[0]?.name ?? '');
  const param = space.find((p) => p.name === chosen) ?? space[0];
  const option = useMemo(
    () => (param ? scatterOption(trials, param, space, objective.metric, readTheme()) : null),
    [trials, param, space, objective.metric, themeName],
  );
  const count = param ? trials.filter((t) => t.value !== null && t.params[param.name] != null).length : 0;
  return (
    <div className="card">
      <div className="card-head">
        <h2>{objective.metric} vs hyperparameter</h2>
        <div className="tools">
          <select value={param?.name ?? ''} onChange={(e) => setChosen(e.target.value)} aria-label="hyperparameter">
            {space.map((p) => <option key={p.name} value={p.name}>{p.name}{p.scale === 'log' ? ' (log)' : ''}</option>)}
          </select>
        </div>
      </div>
      {option ? <EChart option={option} height={330} testId="sweep-scatter" pointCount={count} /> : <div className="empty">No parameters.</div>}
    </div>
  );
}

/** ECharts keeps brushing state on the series model; this is the one call that reads it back. */
interface ParallelModel {
  getModel(): { getSeriesByIndex(i: number): { getRawIndicesByActiveState(state: string): number[] } | undefined };
}

interface AreaSelected {
  parallelAxisId: string;
  intervals: number[][];
}

function ParallelPanel({ detail, onBrush }: { detail: SweepDetail; onBrush: (ids: Set<string> | null) => void }) {
  const themeName = useThemeName();
  const { space, trials, objective } = detail;
  const plotted = useMemo(() => trials.filter((t) => t.value !== null), [trials]);
  const [selected, setSelected] = useState<number | null>(null);
  const option = useMemo(() => parallelOption(trials, space, objective.metric, objective.goal, readTheme()), [trials, space, objective, themeName]);
  // Brushed ranges per axis, kept across rebuilds: live updates redraw the chart from a fresh option.
  const brushes = useRef(new Map<string, number[][]>());
  const bind = useCallback((chart: ECharts) => {
    chart.off('axisareaselected');
    chart.on('axisareaselected', (event) => {
      const { parallelAxisId, intervals } = event as AreaSelected;
      if (intervals.length > 0) brushes.current.set(parallelAxisId, intervals);
      else brushes.current.delete(parallelAxisId);
      const active = (chart as unknown as ParallelModel).getModel().getSeriesByIndex(0)?.getRawIndicesByActiveState('active') ?? [];
      const all = brushes.current.size === 0;
      setSelected(all ? null : active.length);
      onBrush(all ? null : new Set(active.map((i) => plotted[i].id)));
    });
    for (const [parallelAxisId, intervals] of brushes.current) chart.dispatchAction({ type: 'axisAreaSelect', parallelAxisId, intervals });
  }, [plotted, onBrush]);
  return (
    <div className="card">
      <div className="card-head">
        <h2>Parallel coordinates</h2>
        <div className="tools">
          <span data-testid="brush-count">{selected === null ? 'drag along an axis to filter' : `${selected} of ${plotted.length} trials selected`}</span>
        </div>
      </div>
      <EChart option={option} height={330} testId="sweep-parallel" onReady={bind} pointCount={plotted.length} />
    </div>
  );
}

function TrialsTable({ detail, only }: { detail: SweepDetail; only: Set<string> | null }) {
  const { trials, space, objective } = detail;
  const shown = only ? trials.filter((t) => only.has(t.id)) : trials;
  return (
    <div className="card" style={{ padding: 0 }}>
      <div className="card-head" style={{ padding: '12px 16px 0' }}>
        <h2>Trials</h2>
        <div className="tools">{only ? `${shown.length} selected by brushing` : `${trials.length} trials`}</div>
      </div>
      <div className="table-wrap" style={{ border: 0, borderTop: '1px solid var(--border)', borderRadius: 0 }}>
        <table className="data" data-testid="trials-table">
          <thead>
            <tr>
              <th>#</th>
              <th>Status</th>
              {space.map((p) => <th key={p.name} className="num">{p.name}</th>)}
              <th className="num">best {objective.metric}</th>
              <th className="num">last step</th>
              <th className="num">Duration</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.id} className={t.isBest ? 'best' : ''} data-trial={t.number} style={{ cursor: t.runId ? 'pointer' : undefined }} onClick={() => t.runId && navigate(runHref(t.runId))}>
                <td>{t.number}{t.isBest && <span className="badge" style={{ color: 'var(--best)', marginLeft: 6 }}>best</span>}</td>
                <td><StatusBadge status={t.status} stopRequested={t.stopRequested} /></td>
                {space.map((p) => <td key={p.name} className="num mono">{formatParam(t.params[p.name])}</td>)}
                <td className="num mono">{formatNumber(t.value, 5)}</td>
                <td className="num">{t.lastStep ?? '—'}</td>
                <td className="num">{formatDuration(t.durationMs)}</td>
                <td className="reason" data-testid={t.terminatedEarly ? 'trial-reason' : undefined}>{t.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
