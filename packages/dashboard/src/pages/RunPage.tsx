// One run: live metric curves (smoothing, log-y, step or wall-time x), params, tags, logs that follow the
// tail, artifacts, status and stop reason; stop and delete for the token holder.
import { useMemo, useRef, useEffect, useState } from 'react';
import { api, unwrap, downloadArtifact, fetchArtifactJson, type Point, type LogChunk, type RunDetail, type Info } from '../api.js';
import { useLoad, useStored, useThrottled } from '../hooks.js';
import { useLive } from '../live.js';
import { Link, navigate, sweepHref } from '../router.js';
import { ErrorBox, Segmented, Stat, StatusBadge } from '../components/ui.js';
import { LineChart, type XKind } from '../charts/LineChart.js';
import { appendPoints, isScalar, toXY } from '../charts/series.js';
import { isSmoothable } from '../charts/smoothing.js';
import { seriesColor, withAlpha } from '../charts/theme.js';
import { formatBytes, formatDuration, formatNumber, formatParam, formatTime } from '../format.js';

const CHART_POINTS = 1000;

export function RunPage({ id }: { id: string }) {
  const detail = useLoad(() => unwrap(api.runs[':id'].$get({ param: { id } })), [id]);
  const series = useLoad(async () => {
    const body = await unwrap(api.runs[':id'].metrics.$get({ param: { id }, query: { points: CHART_POINTS } }));
    return Object.fromEntries(body.series.map((s) => [s.name, s.points])) as Record<string, Point[]>;
  }, [id]);
  const info = useLoad(() => unwrap(api.info.$get()), []);
  const refetchSeries = useThrottled(series.reload, 2000);

  useLive({ runs: [id], logs: [id] }, (event) => {
    if (event.type === 'hello') {
      detail.reload();
      series.reload();
    } else if (event.type === 'run' && event.run.id === id) {
      detail.setData((d) => (d ? { ...d, run: event.run } : d));
    } else if (event.type === 'metrics' && event.runId === id) {
      series.setData((all) => ({ ...(all ?? {}), [event.name]: appendPoints(all?.[event.name] ?? [], event.points) }));
    }
  });

  // Too many raw live points: refetch the downsampled history instead of growing forever.
  useEffect(() => {
    if (Object.values(series.data ?? {}).some((points) => points.length > 2 * CHART_POINTS)) refetchSeries();
  }, [series.data, refetchSeries]);

  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data) return <div className="empty">Loading run…</div>;
  const { run, trial } = detail.data;
  return (
    <div>
      <RunHeader detail={detail.data} onChanged={detail.reload} />
      {run.reason && (
        <div className={run.status === 'failed' ? 'error-box' : 'card reason'} style={{ marginBottom: 16 }} data-testid="stop-reason">
          <b>{run.status === 'terminated' ? 'Stopped early: ' : 'Reason: '}</b>{run.reason}
        </div>
      )}
      <div className="stats">
        <Stat label="Started" value={<span style={{ fontSize: 14 }}>{formatTime(run.startedAt)}</span>} hint={run.host ?? undefined} />
        <Stat label="Duration" value={formatDuration((run.endedAt ?? Date.now()) - run.startedAt)} hint={run.endedAt ? `ended ${formatTime(run.endedAt)}` : 'running'} />
        <Stat label="Exit code" value={run.exitCode ?? '—'} />
        {trial && <Stat label="Sweep trial" value={<Link href={sweepHref(trial.sweepId)}>#{trial.number}</Link>} hint={trial.sweepName} />}
      </div>
      <div className="grid-side">
        <div className="stack">
          <MetricsPanel series={series.data ?? {}} error={series.error} />
          <ProfilePanel runId={id} />
          <LogsPanel runId={id} running={run.status === 'running'} />
        </div>
        <div className="stack">
          <div className="card">
            <h2>Params</h2>
            {Object.keys(run.params).length === 0 ? <div className="faint">none</div> : (
              <dl className="kv" data-testid="params">
                {Object.entries(run.params).map(([k, v]) => <ParamEntry key={k} k={k} v={formatParam(v)} />)}
              </dl>
            )}
          </div>
          <TagsPanel runId={id} tags={run.tags} onChanged={detail.reload} />
          <ArtifactsPanel runId={id} info={info.data} />
          {run.command && (
            <div className="card">
              <h2>Command</h2>
              <code style={{ overflowWrap: 'anywhere' }}>{run.command}</code>
              {run.gitCommit && <div className="faint mono" style={{ marginTop: 6, overflowWrap: 'anywhere' }} title={run.gitCommit} data-testid="git-commit">git {run.gitCommit.slice(0, 12)}</div>}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}

function ParamEntry({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </>
  );
}

function RunHeader({ detail, onChanged }: { detail: RunDetail; onChanged: () => void }) {
  const { run } = detail;
  const [error, setError] = useState<Error | null>(null);
  const act = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      onChanged();
    } catch (e) {
      setError(e as Error);
    }
  };
  const stop = () => act(() => unwrap(api.runs[':id'].stop.$post({ param: { id: run.id }, json: { reason: 'stopped from the dashboard' } })));
  const remove = () => {
    if (!window.confirm(`Delete run ${run.name} with its metrics, logs and artifacts?`)) return;
    act(async () => {
      await unwrap(api.runs[':id'].$delete({ param: { id: run.id } }));
      navigate('/');
    });
  };
  return (
    <>
      <div className="page-head">
        <Link href="/" className="muted">Runs</Link><span className="faint">/</span>
        <h1 data-testid="run-name">{run.name}</h1>
        <StatusBadge status={run.status} stopRequested={run.stopRequested} />
        <code className="faint">{run.id}</code>
        <div className="actions">
          {run.status === 'running' && <button type="button" className="danger" disabled={!!run.stopRequested} onClick={stop}>{run.stopRequested ? 'Stopping…' : 'Stop run'}</button>}
          {run.status !== 'running' && <button type="button" className="danger" onClick={remove}>Delete</button>}
        </div>
      </div>
      <ErrorBox error={error} />
    </>
  );
}

function MetricsPanel({ series, error }: { series: Record<string, Point[]>; error: Error | null }) {
  const [smoothing, setSmoothing] = useStored('tunelab.run.smoothing', 0.6);
  const [logY, setLogY] = useStored('tunelab.run.logy', false);
  const [xKind, setXKind] = useStored<XKind>('tunelab.run.x', 'step');
  const all = Object.keys(series).sort();
  // Summaries (best_step, epoch, runtimes) and one-point series read as numbers, not as one-dot charts.
  const scalars = all.filter((name) => isScalar(name, series[name]));
  const names = all.filter((name) => !scalars.includes(name));
  return (
    <div className="card">
      <div className="card-head">
        <h2>Metrics</h2>
        <div className="tools">
          <label className="inline" title="time-weighted exponential moving average of train series; evaluation series are never smoothed">
            smoothing
            <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-label="smoothing" />
            <span className="mono" style={{ width: 30 }}>{smoothing.toFixed(2)}</span>
          </label>
          <label className="inline"><input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} />log y</label>
          <Segmented label="x axis" value={xKind} onChange={setXKind} options={[{ value: 'step', label: 'step' }, { value: 'time', label: 'wall time' }]} />
        </div>
      </div>
      <ErrorBox error={error} />
      {all.length === 0 && <div className="empty">No metrics reported yet.</div>}
      {scalars.length > 0 && (
        <div className="stats" data-testid="metric-scalars">
          {scalars.map((name) => {
            const last = series[name].at(-1)!;
            return <Stat key={name} label={name} value={formatNumber(last[1], 5)} hint={`step ${formatNumber(last[0])}`} testId={`scalar-${name}`} />;
          })}
        </div>
      )}
      <div className="metric-grid">
        {names.map((name, i) => <MetricChart key={name} name={name} points={series[name]} color={seriesColor(i)} smoothing={isSmoothable(name) ? smoothing : 0} logY={logY} xKind={xKind} />)}
      </div>
    </div>
  );
}

function MetricChart(props: { name: string; points: Point[]; color: string; smoothing: number; logY: boolean; xKind: XKind }) {
  const { name, points, color, smoothing, logY, xKind } = props;
  const lines = useMemo(() => {
    const raw = toXY(points, xKind);
    if (smoothing <= 0) return [{ key: name, label: name, ...raw, color, width: 1.75 }];
    const smooth = toXY(points, xKind, smoothing);
    return [
      { key: `${name}:raw`, label: `${name} (raw)`, ...raw, color: withAlpha(color, 0.35), width: 1, ghost: true },
      { key: name, label: name, ...smooth, color, width: 1.75, details: [] as string[] },
    ];
  }, [points, xKind, smoothing, name, color]);
  const last = points.at(-1);
  return (
    <div data-testid={`metric-${name}`}>
      <div className="row" style={{ justifyContent: 'space-between', marginBottom: 4 }}>
        <b style={{ fontSize: 13 }}>{name}</b>
        <span className="muted mono" style={{ fontSize: 12 }} data-testid="last-value">
          {last ? `${formatNumber(last[1], 5)} @ ${formatNumber(last[0])}` : ''}
        </span>
      </div>
      <LineChart series={lines} xKind={xKind} logY={logY} height={220} tooltip="all" testId={`chart-${name}`} />
    </div>
  );
}

function LogsPanel({ runId, running }: { runId: string; running: boolean }) {
  const logs = useLoad(() => unwrap(api.runs[':id'].logs.$get({ param: { id: runId }, query: { tail: 1000 } })), [runId]);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  useLive({ logs: [runId] }, (event) => {
    if (event.type === 'hello') logs.reload();
    if (event.type === 'logs' && event.runId === runId) {
      logs.setData((d) => {
        if (!d) return d;
        const newer = event.chunks.filter((c) => c.seq > d.lastSeq);
        // Keep the page light on chatty runs: the last 5,000 chunks.
        return { ...d, chunks: [...d.chunks, ...newer].slice(-5000), lastSeq: Math.max(d.lastSeq, ...event.chunks.map((c) => c.seq)) };
      });
    }
  });
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [logs.data, follow]);
  const chunks: LogChunk[] = logs.data?.chunks ?? [];
  return (
    <div className="card">
      <div className="card-head">
        <h2>Logs</h2>
        <div className="tools">
          {running && <span className="muted">tailing live</span>}
          <label className="inline"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />follow</label>
        </div>
      </div>
      <ErrorBox error={logs.error} />
      {/* Text nodes only: captured output is shown, never interpreted. */}
      <div className="logs" ref={box} data-testid="logs">
        {chunks.length === 0 && <span className="faint">No output captured yet: runs of <code>tunelab train</code> and sweep trials log their output here; a run started from the library logs with <code>RunClient.log()</code>.</span>}
        {chunks.map((c) => <span key={c.seq} className={c.stream === 'stderr' ? 'stderr' : undefined}>{c.text}</span>)}
      </div>
    </div>
  );
}

function TagsPanel({ runId, tags, onChanged }: { runId: string; tags: string[]; onChanged: () => void }) {
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const change = async (body: { add?: string[]; remove?: string[] }) => {
    setError(null);
    try {
      await unwrap(api.runs[':id'].tags.$post({ param: { id: runId }, json: body }));
      setDraft('');
      onChanged();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <div className="card">
      <h2>Tags</h2>
      <div data-testid="tags">
        {tags.length === 0 && <span className="faint">none </span>}
        {tags.map((t) => (
          <span key={t} className="tag">{t}<button type="button" className="ghost" style={{ padding: 0 }} aria-label={`remove tag ${t}`} onClick={() => change({ remove: [t] })}>×</button></span>
        ))}
      </div>
      <form className="row" style={{ marginTop: 6 }} onSubmit={(e) => { e.preventDefault(); if (draft.trim()) change({ add: [draft.trim()] }); }}>
        <input type="text" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="add a tag" style={{ flex: 1 }} maxLength={256} aria-label="new tag" />
        <button type="submit" disabled={!draft.trim()}>Add</button>
      </form>
      <ErrorBox error={error} />
    </div>
  );
}

function ArtifactsPanel({ runId, info }: { runId: string; info: Info | null }) {
  const artifacts = useLoad(() => unwrap(api.runs[':id'].artifacts.$get({ param: { id: runId } })), [runId]);
  const [error, setError] = useState<Error | null>(null);
  const list = artifacts.data?.artifacts ?? [];
  return (
    <div className="card">
      <h2>Artifacts</h2>
      <ErrorBox error={artifacts.error ?? error} />
      {list.length === 0 && <div className="faint">none</div>}
      <table className="data" data-testid="artifacts">
        <tbody>
          {list.map((a) => (
            <tr key={a.name}>
              <td style={{ whiteSpace: 'normal', overflowWrap: 'anywhere' }}>
                <a href="#" onClick={(e) => { e.preventDefault(); downloadArtifact(runId, a.name, info?.readsNeedToken ?? false).catch(setError); }}>{a.name}</a>
              </td>
              <td className="num muted">{formatBytes(a.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What `tunelab train --profile` stored (train/profile.ts TrainingProfile, as output/profile.json). */
interface StoredProfile {
  device: string;
  wallSeconds: number;
  coverage: number;
  stepShare: number;
  steps: number;
  rows: { part: string; label: string; seconds: number; count: number; share: number }[];
  epochs: { epoch: number; batches: number; distinctShapes: number; realTokens: number; paddingTokens: number; bucketPaddingTokens: number }[];
}

const PROFILE_ARTIFACT = 'output/profile.json';

/** Where the training time went, when the run was trained with --profile. */
function ProfilePanel({ runId }: { runId: string }) {
  const profile = useLoad(async () => {
    const { artifacts } = await unwrap(api.runs[':id'].artifacts.$get({ param: { id: runId } }));
    return artifacts.some((a) => a.name === PROFILE_ARTIFACT) ? fetchArtifactJson<StoredProfile>(runId, PROFILE_ARTIFACT) : null;
  }, [runId]);
  if (!profile.data && !profile.error) return null;
  const data = profile.data;
  return (
    <div className="card" data-testid="profile">
      <h2>Profile</h2>
      <ErrorBox error={profile.error} />
      {data && (
        <>
          <div className="faint">
            {data.device}: {formatNumber(data.wallSeconds)} s wall, {data.steps} steps; the parts cover {(data.coverage * 100).toFixed(1)} %,
            the step itself {(data.stepShare * 100).toFixed(1)} %
          </div>
          <table className="data">
            <thead><tr><th>part</th><th className="num">seconds</th><th className="num">share</th><th className="num">count</th></tr></thead>
            <tbody>
              {data.rows.map((row) => (
                <tr key={row.part}>
                  <td>{row.label}</td>
                  <td className="num">{row.seconds.toFixed(3)}</td>
                  <td className="num">{(row.share * 100).toFixed(1)} %</td>
                  <td className="num muted">{row.part === 'untimed' ? '' : row.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.epochs.map((e) => (
            <div key={e.epoch} className="faint">
              epoch {e.epoch}: {e.batches} batches, {e.distinctShapes} distinct shapes, padding {e.paddingTokens} of{' '}
              {e.realTokens + e.paddingTokens} tokens ({e.bucketPaddingTokens} from --pad-to-multiple-of)
            </div>
          ))}
        </>
      )}
    </div>
  );
}
