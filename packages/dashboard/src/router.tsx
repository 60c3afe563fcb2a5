// A tiny History-API router: the server answers every non-API path with index.html.
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';

export type Route =
  | { page: 'runs' }
  | { page: 'run'; id: string }
  | { page: 'sweeps' }
  | { page: 'sweep'; id: string }
  | { page: 'compare'; ids: string[] }
  | { page: 'missing'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'runs')) return { page: 'runs' };
  if (parts.length === 2 && parts[0] === 'runs') return { page: 'run', id: parts[1] };
  if (parts.length === 1 && parts[0] === 'sweeps') return { page: 'sweeps' };
  if (parts.length === 2 && parts[0] === 'sweeps') return { page: 'sweep', id: parts[1] };
  if (parts.length === 1 && parts[0] === 'compare') {
    const ids = (new URLSearchParams(search).get('ids') ?? '').split(',').filter(Boolean);
    return { page: 'compare', ids };
  }
  return { page: 'missing', path: pathname };
}

const listeners = new Set<() => void>();

export function navigate(href: string): void {
  window.history.pushState(null, '', href);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

export function useRoute(): Route {
  const [location, setLocation] = useState(() => window.location.pathname + window.location.search);
  useEffect(() => {
    const update = () => setLocation(window.location.pathname + window.location.search);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  const url = new URL(location, window.location.origin);
  return parseRoute(url.pathname, url.search);
}

export function runHref(id: string): string {
  return `/runs/${encodeURIComponent(id)}`;
}
export function sweepHref(id: string): string {
  return `/sweeps/${encodeURIComponent(id)}`;
}
export function compareHref(ids: readonly string[]): string {
  return `/compare?ids=${ids.map(encodeURIComponent).join(',')}`;
}

export function Link(props: { href: string; className?: string; children: ReactNode; title?: string }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} className={props.className} title={props.title} onClick={onClick}>
      {props.children}
    </a>
  );
}
