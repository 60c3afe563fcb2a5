// /api/runs: the runs table, a run's metrics, logs and artifacts, and the mutating calls (stop, tags, delete).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { RUN_STATUSES, displayStatus, showRun, type RunStatus } from '../../track/store.js';
import type { Deps } from '../deps.js';
import { csvSchema, idSchema, pointsSchema, validJson, validParams, validQuery } from '../validate.js';
import { buildRows, columnsOf, filterRows, parseCondition, sortRows, type MetricCell } from '../queries/run-table.js';
import { decodeArtifactPath, resolveArtifactPath } from '../artifacts.js';
import { packSeries } from '../series.js';

const idParam = z.strictObject({ id: idSchema });

const listQuery = z.strictObject({
  experiment: z.string().max(256).optional(),
  sweep: idSchema.optional(),
  status: csvSchema.pipe(z.array(z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]))).optional(),
  q: z.string().max(256).optional(),
  where: z.union([z.string().max(512), z.array(z.string().max(512)).max(20)]).optional(),
  sort: z.string().max(300).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
});

const metricsQuery = z.strictObject({
  names: csvSchema.optional(),
  points: pointsSchema.optional(),
});

const logsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional(),
  tail: z.coerce.number().int().min(1).max(5000).optional(),
});

const reasonSchema = z.string().trim().min(1).max(500);
const tagSchema = z.string().trim().min(1).max(256);
const stopBody = z.strictObject({ reason: reasonSchema.optional() });
const tagsBody = z.strictObject({
  add: z.array(tagSchema).max(50).optional(),
  remove: z.array(tagSchema).max(50).optional(),
}).refine((b) => (b.add?.length ?? 0) + (b.remove?.length ?? 0) > 0, 'give tags to add or remove');

const DEFAULT_POINTS = 1000;
const DEFAULT_LOG_TAIL = 500;

export function runRoutes(deps: Deps) {
  const { store } = deps;
  return new Hono()
    .get('/', validQuery(listQuery), async (c) => {
      const q = c.req.valid('query');
      const conditions = (typeof q.where === 'string' ? [q.where] : q.where ?? []).map(parseCondition);
      const runs = await store.listRuns({ experiment: q.experiment, sweepId: q.sweep, status: q.status });
      const summaries = await store.getMetricSummaries(runs.map((r) => r.id));
      const all = buildRows(runs, summaries);
      const filtered = filterRows(all, { text: q.q, conditions });
      const sorted = q.sort ? sortRows(filtered, q.sort, q.order ?? 'desc') : filtered;
      const offset = q.offset ?? 0;
      const limit = q.limit ?? 100;
      return c.json({ total: filtered.length, offset, runs: sorted.slice(offset, offset + limit), columns: columnsOf(all) });
    })
    .get('/:id', validParams(idParam), async (c) => {
      const { id } = c.req.valid('param');
      const run = await store.getRun(id);
      const summaries = await store.getMetricSummaries([id]);
      const metrics: Record<string, MetricCell> = buildRows([run], summaries)[0].metrics;
      const trial = run.trialId ? await store.getTrial(run.trialId) : null;
      const sweep = trial ? await store.getSweep(trial.sweepId) : null;
      return c.json({
        run: showRun(run),
        metrics,
        trial: trial && sweep ? { id: trial.id, number: trial.number, sweepId: sweep.id, sweepName: sweep.name } : null,
      });
    })
    .get('/:id/metrics', validParams(idParam), validQuery(metricsQuery), async (c) => {
      const { id } = c.req.valid('param');
      const { names, points } = c.req.valid('query');
      const series = packSeries(await store.getMetrics(id, names, { maxPoints: points ?? DEFAULT_POINTS }));
      return c.json({ runId: id, series });
    })
    .get('/:id/logs', validParams(idParam), validQuery(logsQuery), async (c) => {
      const { id } = c.req.valid('param');
      const { after, tail } = c.req.valid('query');
      const chunks = await store.readLog(id, after !== undefined ? { afterSeq: after, limit: 5000 } : { tail: tail ?? DEFAULT_LOG_TAIL });
      return c.json({ runId: id, chunks, lastSeq: chunks.at(-1)?.seq ?? after ?? 0 });
    })
    .get('/:id/artifacts', validParams(idParam), async (c) => {
      const { id } = c.req.valid('param');
      const artifacts = await store.listArtifacts(id);
      // The absolute path stays on the server: the client names artifacts relative to the run.
      return c.json({ runId: id, artifacts: artifacts.map(({ name, size, createdAt }) => ({ name, size, createdAt })) });
    })
    .get('/:id/artifacts/*', validParams(z.looseObject({ id: idSchema })), async (c) => {
      const { id } = c.req.valid('param');
      // Decode the raw URL tail ourselves, once, so double encoding is visible and refused.
      const rawPath = new URL(c.req.url).pathname;
      const marker = `/artifacts/`;
      const requested = decodeArtifactPath(rawPath.slice(rawPath.indexOf(marker) + marker.length));
      const storeWrote = new Set((await store.listArtifacts(id)).map((a) => a.fileId));
      const file = await resolveArtifactPath(store.artifactsDir(id), requested, storeWrote);
      const { size } = await stat(file);
      const baseName = requested.split('/').pop()!;
      c.header('Content-Type', 'application/octet-stream');
      c.header('Content-Length', String(size));
      c.header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(baseName)}`);
      return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>);
    })
    .post('/:id/stop', validParams(idParam), validJson(stopBody), async (c) => {
      const { id } = c.req.valid('param');
      const { reason } = c.req.valid('json');
      const accepted = await store.requestRunStop(id, reason ?? 'stopped from the dashboard');
      const run = await store.getRun(id);
      if (!accepted) throw new HTTPException(409, { message: `run ${id} is ${run.status}: only running runs can be stopped` });
      return c.json({ run: showRun(run) });
    })
    .post('/:id/tags', validParams(idParam), validJson(tagsBody), async (c) => {
      const { id } = c.req.valid('param');
      const { add, remove } = c.req.valid('json');
      if (add?.length) await store.addTags(id, add);
      if (remove?.length) await store.removeTags(id, remove);
      const run = await store.getRun(id);
      return c.json({ runId: id, tags: run.tags });
    })
    .delete('/:id', validParams(idParam), async (c) => {
      const { id } = c.req.valid('param');
      const run = await store.getRun(id);
      // A lost run (its process died without a word) is deleted like a finished one.
      if (displayStatus(run) === 'running') throw new HTTPException(409, { message: `run ${id} is running: stop it before deleting it` });
      await store.deleteRun(id);
      return c.json({ deleted: id });
    });
}
