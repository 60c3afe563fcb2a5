// /api/compare?ids=a,b,c: 2–10 runs side by side — their table rows, a param diff and every metric's series.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { csvSchema, idSchema, pointsSchema, validQuery } from '../validate.js';
import { buildRows } from '../queries/run-table.js';
import { paramDiff } from '../queries/compare.js';
import { packSeries } from '../series.js';

export const MAX_COMPARED = 10;

const compareQuery = z.strictObject({
  ids: csvSchema.pipe(z.array(idSchema).min(2, 'compare needs at least 2 runs').max(MAX_COMPARED, `compare takes at most ${MAX_COMPARED} runs`)),
  points: pointsSchema.optional(),
});

export function compareRoutes(deps: Deps) {
  const { store } = deps;
  return new Hono().get('/', validQuery(compareQuery), async (c) => {
    const { ids, points } = c.req.valid('query');
    if (new Set(ids).size !== ids.length) throw new HTTPException(400, { message: 'query.ids: a run is listed twice' });
    const runs = await Promise.all(ids.map((id) => store.getRun(id)));
    const summaries = await store.getMetricSummaries(ids);
    const series = await Promise.all(runs.map(async (run) => ({
      runId: run.id,
      series: packSeries(await store.getMetrics(run.id, undefined, { maxPoints: points ?? 500 })),
    })));
    const metrics = [...new Set(summaries.map((s) => s.name))].sort();
    return c.json({ runs: buildRows(runs, summaries), params: paramDiff(runs), metrics, series });
  });
}
