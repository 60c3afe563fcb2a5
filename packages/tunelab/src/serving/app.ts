// The serving HTTP app: POST /v1/predict (dynamic batching), GET /health, GET /metrics, and the extra routes of
// routes.ts. Security as the dashboard's server: a Host check on loopback binds (DNS rebinding), a bearer token on
// /v1/* and /metrics when the server has one, a body size limit, errors as one-line JSON (server/errors.ts).
import * as torch from '@tunelab/torch';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { errorBody, notFound, toHttpError } from '../server/errors.js';
import { hostCheck } from '../server/middleware/host-check/index.js';
import { tokenAuth } from '../server/middleware/token-auth/index.js';
import { DynamicBatcher, QueueFullError } from './batcher.js';
import { ServingMetrics } from './metrics.js';
import type { ServingModel } from './model.js';
import type { PreparedInput, RowOutputs } from './heads/types.js';
import { parsePredictRequest, type PredictRequest } from './request.js';
import { EXTRA_ROUTES, type ServingContext, type ServingRoute } from './routes.js';

export interface BatchingOptions {
  /** Rows per forward pass (1: no batching). Default 32. */
  maxBatchSize?: number;
  /** How long the first row of a batch waits for others. Default 5 ms. */
  maxWaitMs?: number;
  /** Rows allowed to wait before requests get 503. Default 1024. */
  maxQueuedRows?: number;
  /** Padded tokens per forward pass (a larger batch runs as several). Default: see `defaultTokensPerRun`. */
  maxTokensPerRun?: number;
}

export interface ServingAppOptions extends BatchingOptions {
  model: ServingModel;
  /** Bearer token for /v1/* and /metrics; null: none needed (loopback). */
  token: string | null;
  /** Host header names accepted ('any' for non-loopback binds, where the token guards instead). */
  allowedHosts: readonly string[] | 'any';
  /** Default: EXTRA_ROUTES. */
  routes?: ServingRoute[];
  /** Largest request body. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface ServingApp {
  app: Hono;
  metrics: ServingMetrics;
  batcher: DynamicBatcher;
  /** Requests being answered now. */
  readonly inFlight: number;
  /** Refuses new predictions (503) from now on; resolves once the requests in flight are answered. */
  drain(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Rows (QA windows included) one request may need. */
export const MAX_ROWS_PER_REQUEST = 1024;
const RETRY_AFTER_SECONDS = '1';
/** Routes counted by name in /metrics; every other path counts as `other` (a client picks paths). */
const KNOWN_ROUTES = new Set(['/v1/predict', '/health', '/metrics']);

export function createServingApp(options: ServingAppOptions): ServingApp {
  const { model } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const metrics = new ServingMetrics(() => batcher.queueDepth, () => inFlight);
  const batcher = new DynamicBatcher({
    maxBatchSize: options.maxBatchSize ?? 32,
    maxWaitMs: options.maxWaitMs ?? 5,
    maxQueuedRows: options.maxQueuedRows ?? 1024,
    maxTokensPerRun: options.maxTokensPerRun ?? defaultTokensPerRun(model),
    run: (features) => model.run(features),
    onBatch: (rows) => metrics.batch(rows),
  });
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | null = null;
  const requireToken: MiddlewareHandler = options.token === null
    ? async (_c, next) => next()
    : tokenAuth({ token: options.token, readsNeedToken: true });

  const app = new Hono();
  app.use(async (c, next) => {
    const started = performance.now();
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
      metrics.request(KNOWN_ROUTES.has(c.req.path) ? c.req.path : 'other', c.res.status, (performance.now() - started) / 1000);
      if (inFlight === 0) drained?.();
    }
  });
  app.use(secureHeaders({ strictTransportSecurity: false, crossOriginEmbedderPolicy: false, xFrameOptions: 'DENY' }));
  app.use(hostCheck({ allowedHosts: options.allowedHosts }));
  app.use('/v1/*', requireToken);
  app.use('/metrics', requireToken);
  app.use('/v1/*', bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => { throw new HTTPException(413, { message: `request body larger than ${maxBodyBytes} bytes` }); },
  }));

  app.get('/health', (c) => c.json({ status: draining ? 'draining' : 'ok', ...publicInfo(model) }, draining ? 503 : 200));
  app.get('/metrics', (c) => c.text(metrics.text(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
  app.post('/v1/predict', async (c) => {
    if (draining) throw unavailable('the server is shutting down');
    // Batches wait for this request's rows (up to --max-wait-ms) until they are queued or it failed.
    const queued = batcher.expect();
    let request: PredictRequest, prepared: PreparedInput[], submitted: Promise<RowOutputs[][]>;
    try {
      request = parsePredictRequest(await c.req.text());
      const { parameters, single, where } = request;
      prepared = await Promise.all(request.inputs.map((input, i) => model.head.prepare(input, parameters, single ? where : `${where}[${i}]`)));
      const rows = prepared.reduce((sum, input) => sum + input.features.length, 0);
      if (rows > MAX_ROWS_PER_REQUEST) throw new HTTPException(400, { message: `the inputs need ${rows} rows, at most ${MAX_ROWS_PER_REQUEST} per request` });
      if (!batcher.hasRoomFor(rows)) throw unavailable(`overloaded: ${batcher.queueDepth} rows are waiting`);
      submitted = Promise.all(prepared.map((input) => batcher.submit(input.features)));
    } finally {
      queued();
    }
    const outputs = await submitted;
    const answers = await Promise.all(prepared.map((input, i) => input.finish(outputs[i])));
    metrics.predicted(answers.length);
    return c.json(request.single ? answers[0] : answers);
  });
  app.all('/v1/predict', (c) => {
    throw new HTTPException(405, { message: `${c.req.method} /v1/predict: use POST`, res: new Response(null, { status: 405, headers: { Allow: 'POST' } }) });
  });
  app.all('/v1/*', notFound);

  const context: ServingContext = { info: model.info, requireToken };
  for (const route of options.routes ?? EXTRA_ROUTES) route(app, context);
  app.notFound(notFound);
  app.onError((error, c) => {
    const { status, message, headers } = toHttpError(error instanceof QueueFullError ? unavailable(error.message) : error);
    if (status >= 500 && status !== 503) console.error('tunelab serve:', error);
    const response = c.json(errorBody(status, message), status);
    for (const name of ['WWW-Authenticate', 'Retry-After', 'Allow']) {
      const value = headers?.get(name);
      if (value) response.headers.set(name, value);
    }
    return response;
  });

  return {
    app, metrics, batcher,
    get inFlight() { return inFlight; },
    drain() {
      draining = true;
      batcher.flushWithoutWaiting();
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => { drained = resolve; });
    },
  };
}

/**
 * On CPU, 256 padded tokens per libtorch thread; on a GPU, the whole batch in one pass. Measured on BERT-mini with
 * MRPC pairs (1 thread): 32 rows padded to their longest cost as much per row as 32 one-row passes (the activations
 * leave the caches, and padding is computed too), while passes of ~4–8 rows of similar length cost 0.67× per row.
 */
function defaultTokensPerRun(model: ServingModel): number {
  return model.info.device === 'cpu' ? 256 * torch.getNumThreads() : Infinity;
}

function unavailable(message: string): HTTPException {
  const res = new Response(null, { status: 503, headers: { 'Retry-After': RETRY_AFTER_SECONDS } });
  return new HTTPException(503, { message, res });
}

/** What /health tells: enough to know which model answers, nothing about the machine. */
function publicInfo(model: ServingModel) {
  const { pipeline, task, architecture, labels, device, precision, maxSeqLength } = model.info;
  return { pipeline, task, architecture, labels, device, precision, max_seq_length: maxSeqLength };
}
