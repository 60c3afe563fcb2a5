// /api/sweeps: list, the sweep page's data (trials, progress, compute saved), every trial's primary-metric
// curve, and stop.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { idSchema, pointsSchema, validJson, validParams, validQuery } from '../validate.js';
import { sweepDetail } from '../queries/sweep-view.js';
import { sweepSpecOf } from '../../sweep/spec.js';
import { packPoints } from '../series.js';
import type { Store, Sweep } from '../../track/store.js';

const idParam = z.strictObject({ id: idSchema });
const curvesQuery = z.strictObject({
  points: pointsSchema.optional(),
  /** Trials in number order, a page at a time: a 1,000-trial sweep fills its chart progressively. */
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const stopBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

const DEFAULT_CURVE_POINTS = 200;

export async function loadSweepDetail(store: Store, sweep: Sweep) {
  const trials = await store.listTrials(sweep.id);
  const runIds = trials.flatMap((t) => (t.runId ? [t.runId] : []));
  const summaries = await store.getMetricSummaries(runIds);
  return sweepDetail(sweep, trials, summaries);
}

export function sweepRoutes(deps: Deps) {
  const { store } = deps;
  return new Hono()
    .get('/', async (c) => {
      const sweeps = await store.listSweeps();
      const rows = [];
      for (const sweep of sweeps) {
        const detail = await loadSweepDetail(store, sweep);
        const best = detail.trials.find((t) => t.isBest) ?? null;
        rows.push({
          id: sweep.id, name: sweep.name, status: sweep.status, stopRequested: sweep.stopRequested,
          createdAt: sweep.createdAt, endedAt: sweep.endedAt, objective: detail.objective,
          bestValue: best?.value ?? null, bestTrialNumber: best?.number ?? null,
          progress: detail.progress, compute: detail.compute, policy: detail.policy,
        });
      }
      return c.json({ sweeps: rows });
    })
    .get('/:id', validParams(idParam), async (c) => {
      const sweep = await store.getSweep(c.req.valid('param').id);
      return c.json(await loadSweepDetail(store, sweep));
    })
    .get('/:id/curves', validParams(idParam), validQuery(curvesQuery), async (c) => {
      const sweep = await store.getSweep(c.req.valid('param').id);
      const { points = DEFAULT_CURVE_POINTS, offset = 0, limit = 1000 } = c.req.valid('query');
      const trials = await store.listTrials(sweep.id);
      const metric = sweepSpecOf(sweep).objective.primary_metric;
      const started = trials.flatMap((t) => (t.runId === null ? [] : [{ trialId: t.id, runId: t.runId }]));
      const page = started.slice(offset, offset + limit);
      const curves = await store.getMetricsForRuns(page.map((t) => t.runId), metric, { maxPoints: points });
      const series = page.map((t) => ({ ...t, points: packPoints(curves.get(t.runId)!) }));
      return c.json({ sweepId: sweep.id, metric, total: started.length, offset, series });
    })
    .post('/:id/stop', validParams(idParam), validJson(stopBody), async (c) => {
      const { id } = c.req.valid('param');
      const { reason } = c.req.valid('json');
      await store.requestSweepStop(id, reason ?? 'stopped from the dashboard');
      const sweep = await store.getSweep(id);
      return c.json({ sweepId: sweep.id, stopRequested: sweep.stopRequested });
    });
}
