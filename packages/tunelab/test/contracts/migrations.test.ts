// Upgrading a store: a database written by the first schema (no bucket extremes, no first point in summaries)
// opens under the current one with every existing series filled in, thinned exactly as a new store thins it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator, type Kysely } from 'kysely';
import { displayStatus, openStore } from '../../src/track/store.js';
import { openDatabase, resolveStoreTarget } from '../../src/track/connect.js';
import { migrationProvider } from '../../src/track/migrations.js';
import { downsample } from '../../src/track/downsample.js';
import { backends } from './backends.js';

for (const backend of backends) {
  describe(`migrations on ${backend.name}`, { skip: backend.unavailable }, () => {
    it('fills bucket extremes and first points of series written before 0002', async () => {
      const target = await backend.create();
      try {
        const points = Array.from({ length: 1200 }, (_, i) => ({ step: 5 + 3 * i, value: i % 13 === 0 ? NaN : Math.sin(i / 30), wallTime: 1e12 + i }));
        const db = openDatabase(resolveStoreTarget(target.url)) as unknown as Kysely<any>;
        try {
          const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0001_initial');
          assert.equal(error, undefined);
          await db.insertInto('experiments').values({ id: 'e1', name: 'old', created_at: 1 }).execute();
          await db.insertInto('runs').values({ id: 'r1', experiment_id: 'e1', name: 'old run', status: 'completed', params: '{}', started_at: 1, log_seq: 0 }).execute();
          for (let i = 0; i < points.length; i += 400) {
            await db.insertInto('metrics').values(points.slice(i, i + 400).map((p) => ({
              run_id: 'r1', name: 'loss', step: p.step, value: Number.isNaN(p.value) ? null : p.value, wall_time: p.wallTime,
            }))).execute();
          }
          const last = points.at(-1)!;
          await db.insertInto('metric_summaries').values({
            run_id: 'r1', name: 'loss', count: points.length, last_step: last.step, last_value: last.value, last_wall_time: last.wallTime, min_value: -1, max_value: 1,
          }).execute();
        } finally {
          await db.destroy();
        }

        const store = await openStore(target.url);
        try {
          for (const maxPoints of [20, 200]) {
            const thinned = (await store.getMetricsForRuns(['r1'], 'loss', { maxPoints })).get('r1');
            assert.deepEqual(thinned, downsample(points, maxPoints), `maxPoints ${maxPoints}`);
          }
        } finally {
          await store.close();
        }
      } finally {
        await target.dispose();
      }
    });

    it('0003 numbers existing points in insertion order, continues the sequence, and dates heartbeats', async () => {
      const target = await backend.create();
      try {
        const db = openDatabase(resolveStoreTarget(target.url)) as unknown as Kysely<any>;
        try {
          const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0002_metric_buckets');
          assert.equal(error, undefined);
          await db.insertInto('experiments').values({ id: 'e1', name: 'old', created_at: 1 }).execute();
          await db.insertInto('runs').values([
            { id: 'r1', experiment_id: 'e1', name: 'killed long ago', status: 'running', params: '{}', started_at: 1000, log_seq: 0 },
            { id: 'r2', experiment_id: 'e1', name: 'done', status: 'completed', params: '{}', started_at: 1000, ended_at: 5000, log_seq: 0 },
          ]).execute();
          // Inserted out of step order (a late step): the sequence follows insertion, not steps.
          for (const step of [1, 2, 5, 3]) {
            await db.insertInto('metrics').values({ run_id: 'r1', name: 'loss', step, value: step, wall_time: step }).execute();
          }
        } finally {
          await db.destroy();
        }
        const store = await openStore(target.url);
        try {
          const { points, lastSeq } = await store.tailMetrics('r1');
          assert.deepEqual(points.map((p) => p.step), [1, 2, 5, 3]);
          assert.deepEqual(points.map((p) => p.seq), [...points.map((p) => p.seq)].sort((a, b) => a - b), 'increasing seq');
          assert.equal(lastSeq, points.at(-1)!.seq);
          assert.equal(displayStatus(await store.getRun('r1')), 'lost', 'a run running since before 0003 with no sign of life is lost');
          assert.equal((await store.getRun('r2')).lastSeenAt, 5000);
          await store.appendMetrics('r1', [{ name: 'loss', step: 6, value: 6 }]);
          const next = await store.tailMetrics('r1', { afterSeq: lastSeq });
          assert.deepEqual(next.points.map((p) => p.step), [6]);
        } finally {
          await store.close();
        }
      } finally {
        await target.dispose();
      }
    });
  });
}
