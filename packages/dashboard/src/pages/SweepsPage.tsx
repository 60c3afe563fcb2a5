// Every sweep at a glance: status, objective, best value, progress and compute saved.
import { useEffect } from 'react';
import { api, unwrap } from '../api.js';
import { useLoad } from '../hooks.js';
import { Link, sweepHref } from '../router.js';
import { ErrorBox, Progress, StatusBadge } from '../components/ui.js';
import { formatAgo, formatDuration, formatNumber } from '../format.js';

export function SweepsPage() {
  const sweeps = useLoad(() => unwrap(api.sweeps.$get()), []);
  useEffect(() => {
    const timer = setInterval(() => { if (document.visibilityState === 'visible') sweeps.reload(); }, 5000);
    return () => clearInterval(timer);
  }, [sweeps.reload]);
  const list = sweeps.data?.sweeps ?? [];
  return (
    <div>
      <div className="page-head">
        <h1>Sweeps</h1>
        <span className="sub">{sweeps.data ? `${list.length} sweep${list.length === 1 ? '' : 's'}` : 'loading…'}</span>
      </div>
      <ErrorBox error={sweeps.error} />
      <div className="card" style={{ padding: 0 }}>
        <div className="table-wrap" style={{ border: 0 }}>
          <table className="data" data-testid="sweeps-table">
            <thead>
              <tr>
                <th>Name</th><th>Status</th><th>Objective</th><th className="num">Best</th>
                <th style={{ width: 200 }}>Progress</th><th className="num">Compute</th><th className="num">Saved</th><th>Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => {
                const done = s.progress.completed + s.progress.terminated + s.progress.failed;
                return (
                  <tr key={s.id}>
                    <td><Link href={sweepHref(s.id)}>{s.name}</Link></td>
                    <td><StatusBadge status={s.status} stopRequested={s.stopRequested} /></td>
                    <td className="muted">{s.objective.goal} <code>{s.objective.metric}</code></td>
                    <td className="num mono">{formatNumber(s.bestValue, 5)}{s.bestTrialNumber !== null && <span className="faint"> #{s.bestTrialNumber}</span>}</td>
                    <td>
                      <span className="muted" style={{ fontSize: 12 }}>{done}/{s.progress.total} done · {s.progress.running} running</span>
                      <Progress parts={[
                        { label: 'completed', value: s.progress.completed, color: 'var(--ok)' },
                        { label: 'terminated early', value: s.progress.terminated, color: 'var(--warn)' },
                        { label: 'failed', value: s.progress.failed, color: 'var(--bad)' },
                        { label: 'running', value: s.progress.running, color: 'var(--run)' },
                        { label: 'not started', value: Math.max(0, s.progress.total - done - s.progress.running), color: 'var(--panel-2)' },
                      ]} />
                    </td>
                    <td className="num">{formatDuration(s.compute.spentMs)}</td>
                    <td className="num">{s.compute.savedMs === null ? '—' : formatDuration(s.compute.savedMs)}</td>
                    <td className="muted">{formatAgo(s.createdAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {sweeps.data && list.length === 0 && <div className="empty">No sweeps yet. Start one with <code>tunelab sweep run spec.yml</code>.</div>}
        </div>
      </div>
    </div>
  );
}
