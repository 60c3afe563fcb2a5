// The typed API client (hono's `hc` over the server's AppType) and the token the server printed.
// The token arrives in the URL fragment (`/#token=…`, never sent to servers or logs), is kept in
// localStorage for this origin, and goes out as `Authorization: Bearer …` on every call and on the stream.
import { hc, type InferResponseType } from 'hono/client';
import type { AppType } from 'tunelab/server/app';

const TOKEN_KEY = 'tunelab.token';

/** Moves `#token=…` from the address bar into storage, then removes it from the URL. */
export function captureTokenFromUrl(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token.trim());
  else localStorage.removeItem(TOKEN_KEY);
}

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export const api = hc<AppType>(window.location.origin, { headers: authHeaders }).api;

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The JSON of a successful response; otherwise ApiError with the server's one-line message. */
export async function unwrap<T>(pending: Promise<{ ok: boolean; status: number; json(): Promise<T> }>): Promise<T> {
  let response;
  try {
    response = await pending;
  } catch (error) {
    throw new ApiError(0, `server unreachable (${error instanceof Error ? error.message : String(error)})`);
  }
  if (response.ok) return response.json();
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as unknown as { error?: { message?: string } };
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(response.status, message);
}

export type Info = InferResponseType<typeof api.info.$get, 200>;
export type RunsPage = InferResponseType<typeof api.runs.$get, 200>;
export type RunRow = RunsPage['runs'][number];
export type RunDetail = InferResponseType<(typeof api.runs)[':id']['$get'], 200>;
export type RunSeries = InferResponseType<(typeof api.runs)[':id']['metrics']['$get'], 200>['series'][number];
export type Point = RunSeries['points'][number];
export type LogChunk = InferResponseType<(typeof api.runs)[':id']['logs']['$get'], 200>['chunks'][number];
export type Artifact = InferResponseType<(typeof api.runs)[':id']['artifacts']['$get'], 200>['artifacts'][number];
export type SweepList = InferResponseType<typeof api.sweeps.$get, 200>['sweeps'];
export type SweepDetail = InferResponseType<(typeof api.sweeps)[':id']['$get'], 200>;
export type TrialRow = SweepDetail['trials'][number];
export type SpaceParam = SweepDetail['space'][number];
export type SweepCurves = InferResponseType<(typeof api.sweeps)[':id']['curves']['$get'], 200>;
export type CompareData = InferResponseType<typeof api.compare.$get, 200>;

/** An artifact's JSON (e.g. output/profile.json), fetched with the token when reads need it. */
export async function fetchArtifactJson<T>(runId: string, name: string): Promise<T> {
  const url = `/api/runs/${encodeURIComponent(runId)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`;
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw new ApiError(response.status, `${name}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Downloads an artifact. On loopback a plain link works; when reads need the token, the file is fetched
 * with the header and handed to the browser as a blob.
 */
export async function downloadArtifact(runId: string, name: string, readsNeedToken: boolean): Promise<void> {
  const url = `/api/runs/${encodeURIComponent(runId)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`;
  const link = document.createElement('a');
  link.download = name.split('/').pop() ?? name;
  if (!readsNeedToken) {
    link.href = url;
    link.click();
    return;
  }
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw new ApiError(response.status, `download failed: HTTP ${response.status}`);
  const blobUrl = URL.createObjectURL(await response.blob());
  link.href = blobUrl;
  link.click();
  setTimeout(() => URL.revokeObjectURL(blobUrl), 10_000);
}
