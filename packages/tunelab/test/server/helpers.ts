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

export function appFor(seeded: Seeded, options: { loopback?: boolean; pollMs?: number } = {}) {
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
