// Small shared pieces: status badges, stat tiles, error boxes, segmented toggles, a click-away popover.
import { useEffect, useRef, useState, type ReactNode } from 'react';

export function StatusBadge({ status, stopRequested }: { status: string; stopRequested?: string | null }) {
  const shown = status === 'running' && stopRequested ? 'stopping' : status;
  return <span className={`badge ${shown}`} title={stopRequested ?? undefined}>{shown}</span>;
}

export function Stat(props: { label: string; value: ReactNode; hint?: ReactNode; children?: ReactNode; testId?: string }) {
  return (
    <div className="stat" data-testid={props.testId}>
      <div className="label">{props.label}</div>
      <div className="value">{props.value}</div>
      {props.hint !== undefined && <div className="hint">{props.hint}</div>}
      {props.children}
    </div>
  );
}

export function ErrorBox({ error }: { error: Error | null }) {
  if (!error) return null;
  return <div className="error-box" role="alert">{error.message}</div>;
}

export function Segmented<T extends string>(props: { value: T; options: readonly { value: T; label: string }[]; onChange: (value: T) => void; label?: string }) {
  return (
    <span className="seg" role="group" aria-label={props.label}>
      {props.options.map((o) => (
        <button key={o.value} type="button" className={o.value === props.value ? 'on' : ''} onClick={() => props.onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </span>
  );
}

/** A button that opens a panel; clicking outside closes it. */
export function Popover(props: { label: ReactNode; children: ReactNode; align?: 'left' | 'right'; testId?: string }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  return (
    <span className="anchor" ref={ref}>
      <button type="button" onClick={() => setOpen(!open)} data-testid={props.testId}>{props.label}</button>
      {open && (
        <div className="popover" style={props.align === 'right' ? { right: 0 } : { left: 0 }}>
          {props.children}
        </div>
      )}
    </span>
  );
}

export function Progress({ parts }: { parts: readonly { value: number; color: string; label: string }[] }) {
  const total = parts.reduce((sum, p) => sum + p.value, 0) || 1;
  return (
    <div className="progress" role="img" aria-label={parts.map((p) => `${p.label} ${p.value}`).join(', ')}>
      {parts.map((p) => <span key={p.label} title={`${p.label}: ${p.value}`} style={{ width: `${(100 * p.value) / total}%`, background: p.color }} />)}
    </div>
  );
}
