// `tunelab serve`: loads a model folder and answers on a port. Loopback by default and open there; any other
// address needs a token (given, or generated and printed once). `close()` drains: new predictions get 503, the
// ones in flight are answered, then the port closes.
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { LOOPBACK_HOSTS } from '../server/middleware/host-check/index.js';
import { ServeError, TOKEN_PATTERN, generateToken, isLoopback } from '../server/serve.js';
import { createServingApp, type BatchingOptions, type ServingApp } from './app.js';
import { loadServingModel, type ServingModel, type ServingModelOptions } from './model.js';
import type { ServingRoute } from './routes.js';

export interface StartServingOptions extends ServingModelOptions, BatchingOptions {
  host?: string;
  /** 0 picks a free port. Default 8080. */
  port?: number;
  /** Needed beyond loopback (generated when absent); on loopback, giving one makes /v1/* and /metrics need it. */
  token?: string;
  routes?: ServingRoute[];
  maxBodyBytes?: number;
}

export interface RunningServing {
  url: string;
  /** null when no token is needed (loopback without --token). */
  token: string | null;
  /** True when the token was generated here (print it once). */
  tokenGenerated: boolean;
  model: ServingModel;
  serving: ServingApp;
  /** Drains (answers what is in flight, refuses the rest), closes the port and frees the model. */
  close(): Promise<void>;
}

export async function startServing(options: StartServingOptions): Promise<RunningServing> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServeError(`--port ${port}: expected an integer 0..65535`);
  if (options.token !== undefined && !TOKEN_PATTERN.test(options.token)) {
    throw new ServeError('--token: expected 16 to 512 printable characters without spaces');
  }
  const loopback = isLoopback(host);
  const token = options.token ?? (loopback ? null : generateToken());
  const model = await loadServingModel(options);
  const serving = createServingApp({
    ...options, model, token, allowedHosts: loopback ? LOOPBACK_HOSTS : 'any',
  });
  let server: Server;
  try {
    server = await listen(serving, host, port);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${boundPort}`, token, tokenGenerated: token !== null && options.token === undefined,
    model, serving,
    close: () => closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await serving.drain();
      server.closeIdleConnections();
      // A kept-alive connection that turns busy after the drain (a browser's preconnect) would hold server.close()
      // until Node's timeouts: every answer is out by now, so give it a moment and then cut it.
      const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(grace);
      model.dispose();
    })(),
  };
}

const CLOSE_GRACE_MS = 1000;

function listen(serving: ServingApp, host: string, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: serving.app.fetch, hostname: host, port }, () => resolve(s as Server)) as Server;
    s.once('error', (error: NodeJS.ErrnoException) => {
      reject(new ServeError(error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use (try --port)`
        : `cannot listen on ${host}:${port}: ${error.message}`));
    });
  });
}
