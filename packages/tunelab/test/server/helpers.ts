// Shared by the server tests: an app over a seeded store, and request helpers with or without the token.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/server/app.js';
import { LOOPBACK_HOSTS } from '../../src/server/middleware/host-check/index.js';
import { DashboardAssets } from '../../src/server/static.js';
import type { Seeded } from './seed.js';

export const TOKEN = 'test-token-0123456789abcdef';

/** A stand-in dashboard build: the API tests check serving, not the React app. */
export function fakeDashboard(): DashboardAssets {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  return DashboardAssets.load(dir);
}

/**
 * The app over the seeded store. Its `request` sends `Host: localhost` unless the test gives a Host, as every
 * HTTP/1.1 client does (app.request builds a bare Request; the host check refuses requests without Host).
 */
export function appFor(seeded: Seeded, options: { loopback?: boolean; pollMs?: number } = {}) {
  const app = createAppFor(seeded, options);
  const request = app.request.bind(app);
  app.request = ((input: Parameters<typeof request>[0], init?: RequestInit, ...rest: unknown[]) => {
    const headers = new Headers(init?.headers);
    if (!headers.has('Host')) headers.set('Host', 'localhost');
    return (request as (...args: unknown[]) => ReturnType<typeof request>)(input, { ...init, headers }, ...rest);
  }) as typeof app.request;
  return app;
}

function createAppFor(seeded: Seeded, options: { loopback?: boolean; pollMs?: number }) {
  const loopback = options.loopback ?? true;
  return createApp({
    store: seeded.store,
    token: TOKEN,
    readsNeedToken: !loopback,
    allowedHosts: loopback ? LOOPBACK_HOSTS : 'any',
    dashboard: fakeDashboard(),
    pollMs: options.pollMs ?? 50,
  });
}

export const auth = { Authorization: `Bearer ${TOKEN}` };

export function jsonPost(body: unknown, headers: Record<string, string> = auth): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
