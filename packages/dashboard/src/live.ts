// One multiplexed Server-Sent-Events stream per tab. Components subscribe with the runs, logs and sweeps they
// show; the hub merges every subscription into one `/api/stream` request, reopens it when the set changes,
// reconnects with backoff, and hands each event to every subscriber. fetch() (not EventSource) carries the
// Authorization header, so the token never appears in a URL.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { authHeaders } from './api.js';
import type { Point, LogChunk, RunDetail } from './api.js';

export interface Topics {
  runs?: readonly string[];
  logs?: readonly string[];
  sweeps?: readonly string[];
}

export type LiveEvent =
  | { type: 'hello'; pollMs: number }
  | { type: 'metrics'; runId: string; name: string; points: Point[] }
  | { type: 'logs'; runId: string; chunks: LogChunk[] }
  | { type: 'run'; run: RunDetail['run'] }
  | { type: 'sweep'; sweepId: string; status: string };

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'down';

interface Subscription {
  topics: Topics;
  handler: (event: LiveEvent) => void;
}

class LiveHub {
  private readonly subscriptions = new Set<Subscription>();
  private readonly stateListeners = new Set<() => void>();
  private controller: AbortController | null = null;
  private currentQuery = '';
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  state: ConnectionState = 'idle';

  subscribe(subscription: Subscription): () => void {
    this.subscriptions.add(subscription);
    this.reconcile();
    return () => {
      this.subscriptions.delete(subscription);
      this.reconcile();
    };
  }

  onState(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener();
  }

  private query(): string {
    const merged = { runs: new Set<string>(), logs: new Set<string>(), sweeps: new Set<string>() };
    for (const { topics } of this.subscriptions) {
      topics.runs?.forEach((id) => merged.runs.add(id));
      topics.logs?.forEach((id) => merged.logs.add(id));
      topics.sweeps?.forEach((id) => merged.sweeps.add(id));
    }
    const params = new URLSearchParams();
    for (const [key, ids] of Object.entries(merged)) if (ids.size > 0) params.set(key, [...ids].sort().join(','));
    return params.toString();
  }

  /** Opens, reopens or closes the stream so it matches the union of subscriptions. */
  private reconcile(): void {
    // Subscriptions change in bursts while React mounts a page: settle on the final set first.
    queueMicrotask(() => {
      const query = this.query();
      if (query === this.currentQuery && (this.controller || query === '')) return;
      this.close();
      this.currentQuery = query;
      this.failures = 0;
      if (query !== '') this.open(query);
    });
  }

  private close(): void {
    this.controller?.abort();
    this.controller = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.setState('idle');
  }

  private async open(query: string): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.setState('connecting');
    try {
      const response = await fetch(`/api/stream?${query}`, { headers: { ...authHeaders(), Accept: 'text/event-stream' }, signal: controller.signal });
      if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
      await this.read(response.body, controller);
      throw new Error('stream closed');
    } catch {
      if (controller.signal.aborted) return;
      this.setState('down');
      // Back off 1 s, 2 s, 4 s … up to 15 s; a fresh hello resets it.
      const delay = Math.min(15_000, 1000 * 2 ** this.failures++);
      this.retryTimer = setTimeout(() => {
        if (this.controller === controller) this.open(query);
      }, delay);
    }
  }

  private async read(body: ReadableStream<Uint8Array>, controller: AbortController): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done || controller.signal.aborted) return;
      buffer += decoder.decode(value, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        this.dispatch(block);
      }
    }
  }

  private dispatch(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) return;
    if (event === 'error') throw new Error(data.join('\n'));
    const payload = JSON.parse(data.join('\n')) as Record<string, unknown>;
    const live = (event === 'hello' ? { type: 'hello', ...payload } : payload) as LiveEvent;
    if (live.type === 'hello') {
      this.failures = 0;
      this.setState('live');
    }
    for (const { handler } of this.subscriptions) handler(live);
  }
}

export const liveHub = new LiveHub();

/** Follows `topics` for as long as the component is mounted; `handler` may change between renders. */
export function useLive(topics: Topics, handler: (event: LiveEvent) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  const key = JSON.stringify([topics.runs ?? [], topics.logs ?? [], topics.sweeps ?? []]);
  useEffect(() => {
    const parsed = JSON.parse(key) as [string[], string[], string[]];
    return liveHub.subscribe({
      topics: { runs: parsed[0], logs: parsed[1], sweeps: parsed[2] },
      handler: (event) => latest.current(event),
    });
  }, [key]);
}

export function useConnectionState(): ConnectionState {
  return useSyncExternalStore((listener) => liveHub.onState(listener), () => liveHub.state);
}
