// The HTTP app: security middleware, the JSON API under /api, and the built dashboard for every other path.
// `AppType` is the API's type; the dashboard's `hc<AppType>` client is typed from it.
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Store } from '../track/store.js';
import { notFound, onError } from './errors.js';
import { tokenAuth } from './middleware/token-auth/index.js';
import { hostCheck } from './middleware/host-check/index.js';
import { DashboardAssets } from './static.js';
import type { Deps } from './deps.js';
import { metaRoutes } from './routes/meta.js';
import { runRoutes } from './routes/runs.js';
import { sweepRoutes } from './routes/sweeps.js';
import { compareRoutes } from './routes/compare.js';
import { streamRoutes } from './routes/stream.js';

export interface AppOptions {
  store: Store;
  /** Bearer token: always required for mutating calls, and for reads too when `readsNeedToken`. */
  token: string;
  readsNeedToken: boolean;
  /** Host header names accepted ('any' for non-loopback binds, where the token guards instead). */
  allowedHosts: readonly string[] | 'any';
  /** Built dashboard; defaults to packages/dashboard/dist. */
  dashboard?: DashboardAssets;
  pollMs?: number;
  /** Aborting it ends every live stream (server shutdown). */
  shutdown?: AbortSignal;
}

/** Request bodies are a few tags or a stop reason: anything near this size is hostile. */
export const MAX_BODY_BYTES = 16 * 1024;

/** uPlot and ECharts set inline styles from script (CSSOM, allowed); style attributes in markup need 'unsafe-inline'. */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

function buildApi(deps: Deps) {
  return new Hono()
    .basePath('/api')
    .route('/', metaRoutes(deps))
    .route('/runs', runRoutes(deps))
    .route('/sweeps', sweepRoutes(deps))
    .route('/compare', compareRoutes(deps))
    .route('/stream', streamRoutes(deps));
}

export type AppType = ReturnType<typeof buildApi>;

export function createApp(options: AppOptions): Hono {
  const deps: Deps = {
    store: options.store,
    pollMs: options.pollMs ?? 1000,
    readsNeedToken: options.readsNeedToken,
    shutdown: options.shutdown ?? new AbortController().signal,
  };
  const dashboard = options.dashboard ?? DashboardAssets.load();

  const app = new Hono();
  app.use(secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    // Plain HTTP on a local port: HSTS would pin the browser to HTTPS that isn't there.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
    xFrameOptions: 'DENY',
  }));
  app.use(hostCheck({ allowedHosts: options.allowedHosts }));
  app.use('/api/*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    await next();
  });
  app.use('/api/*', tokenAuth({ token: options.token, readsNeedToken: options.readsNeedToken }));
  app.use('/api/*', bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => { throw new HTTPException(413, { message: `request body larger than ${MAX_BODY_BYTES} bytes` }); },
  }));
  app.route('/', buildApi(deps));
  app.all('/api/*', notFound);
  app.get('*', (c) => dashboard.serve(c));
  app.notFound(notFound);
  app.onError(onError);
  return app;
}
