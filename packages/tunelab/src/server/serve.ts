// Starts the app on a port: loopback by default; any other address makes every API call need the token.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Store } from '../track/store.js';
import { createApp } from './app.js';
import { LOOPBACK_HOSTS } from './middleware/host-check/index.js';
import { DashboardAssets } from './static.js';
import { InputError } from '../errors.js';

export interface ServeOptions {
  store: Store;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** At least 16 printable characters; generated when absent. */
  token?: string;
  dashboardDir?: string;
  pollMs?: number;
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:6006 */
  url: string;
  token: string;
  /** True when bound beyond loopback, where reads need the token too. */
  readsNeedToken: boolean;
  dashboardBuilt: boolean;
  close(): Promise<void>;
}

/** What a token may look like: long enough not to guess, safe inside an HTTP header. */
export const TOKEN_PATTERN = /^[\x21-\x7e]{16,512}$/;

export class ServeError extends InputError {
  override name = 'ServeError';
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 6006;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServeError(`--port ${port}: expected an integer 0..65535`);
  const token = options.token ?? generateToken();
  if (!TOKEN_PATTERN.test(token)) throw new ServeError('--token: expected 16 to 512 printable characters without spaces');
  const loopback = isLoopback(host);
  const dashboard = DashboardAssets.load(options.dashboardDir);
  const shutdown = new AbortController();
  const app = createApp({
    store: options.store,
    token,
    readsNeedToken: !loopback,
    allowedHosts: loopback ? LOOPBACK_HOSTS : 'any',
    dashboard,
    pollMs: options.pollMs,
    shutdown: shutdown.signal,
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s as Server)) as Server;
    s.once('error', (error: NodeJS.ErrnoException) => {
      reject(new ServeError(error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use (try --port)` : `cannot listen on ${host}:${port}: ${error.message}`));
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${boundPort}`,
    token,
    readsNeedToken: !loopback,
    dashboardBuilt: dashboard.built,
    close: () => new Promise<void>((resolve) => {
      shutdown.abort();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
