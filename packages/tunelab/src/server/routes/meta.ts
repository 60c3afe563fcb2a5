// /api/info and /api/experiments: what the dashboard needs before its first page.
import { Hono } from 'hono';
import type { Deps } from '../deps.js';

export function metaRoutes(deps: Deps) {
  return new Hono()
    .get('/info', (c) => c.json({
      name: 'tunelab',
      readsNeedToken: deps.readsNeedToken,
      pollMs: deps.pollMs,
      store: deps.store.dialect,
    }))
    .get('/experiments', async (c) => c.json({ experiments: await deps.store.listExperiments() }));
}
