// The one migration set, run by openStore on SQLite and PostgreSQL alike. Append new migrations; never edit old ones.
import { SqliteAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { bucketRows, readPoints, upsertBucketRows } from './series.js';

// `bigint` maps to INTEGER affinity on SQLite and int8 on PostgreSQL (parsed back to number by the store).
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('experiments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema.createTable('sweeps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id'))
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('spec_dir', 'text', (c) => c.notNull())
        .addColumn('executor', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('reason', 'text')
        .addColumn('stop_requested', 'text')
        .addColumn('controller_id', 'text')
        .addColumn('controller_heartbeat_at', 'bigint')
        .addColumn('best_trial_id', 'text')
        .execute();
      await db.schema.createIndex('sweeps_by_name').on('sweeps').columns(['name', 'created_at']).execute();

      await db.schema.createTable('runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('experiment_id', 'text', (c) => c.notNull().references('experiments.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('command', 'text')
        .addColumn('host', 'text')
        .addColumn('git_commit', 'text')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('exit_code', 'integer')
        .addColumn('reason', 'text')
        .addColumn('sweep_id', 'text', (c) => c.references('sweeps.id').onDelete('set null'))
        .addColumn('trial_id', 'text')
        .addColumn('stop_requested', 'text')
        .addColumn('log_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('runs_by_experiment').on('runs').columns(['experiment_id', 'started_at']).execute();
      await db.schema.createIndex('runs_by_sweep').on('runs').columns(['sweep_id']).execute();
      await db.schema.createIndex('runs_by_status').on('runs').columns(['status']).execute();
      await db.schema.createIndex('runs_by_start').on('runs').columns(['started_at']).execute();

      await db.schema.createTable('run_tags')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('tag', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'tag'])
        .execute();
      await db.schema.createIndex('run_tags_by_tag').on('run_tags').columns(['tag']).execute();

      await db.schema.createTable('metrics')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('wall_time', 'bigint', (c) => c.notNull())
        .execute();
      // Every read is "this run's series (name), in step order": one index serves them all.
      await db.schema.createIndex('metrics_by_series').on('metrics').columns(['run_id', 'name', 'step']).execute();

      await db.schema.createTable('metric_summaries')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('last_step', 'bigint', (c) => c.notNull())
        .addColumn('last_value', 'double precision')
        .addColumn('min_value', 'double precision')
        .addColumn('max_value', 'double precision')
        .addColumn('last_wall_time', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('metric_summaries_pk', ['run_id', 'name'])
        .execute();

      await db.schema.createTable('run_logs')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('wall_time', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_logs_pk', ['run_id', 'seq'])
        .execute();

      await db.schema.createTable('artifacts')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('artifacts_pk', ['run_id', 'name'])
        .execute();

      await db.schema.createTable('trials')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sweep_id', 'text', (c) => c.notNull().references('sweeps.id').onDelete('cascade'))
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('run_id', 'text')
        .addColumn('worker_id', 'text')
        .addColumn('host', 'text')
        .addColumn('pid', 'integer')
        .addColumn('gpu', 'text')
        .addColumn('queued_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('heartbeat_at', 'bigint')
        .addColumn('exit_code', 'integer')
        .addColumn('reason', 'text')
        .addColumn('stop_requested', 'text')
        .addColumn('best_value', 'double precision')
        .addColumn('best_step', 'bigint')
        .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('evaluated_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('stdout_offset', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('stderr_offset', 'bigint', (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint('trials_number_unique', ['sweep_id', 'number'])
        .execute();
      await db.schema.createIndex('trials_by_status').on('trials').columns(['status', 'queued_at']).execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ['trials', 'artifacts', 'run_logs', 'metric_summaries', 'metrics', 'run_tags', 'runs', 'sweeps', 'experiments']) {
        await db.schema.dropTable(table).execute();
      }
    },
  },

  // Thinned reads of long series without reading their points: per-bucket extremes at a few levels (series.ts),
  // and each series' first point beside its last. Existing series are filled in from their points.
  '0002_metric_buckets': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('metric_buckets')
        .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('min_step', 'bigint', (c) => c.notNull())
        .addColumn('min_value', 'double precision', (c) => c.notNull())
        .addColumn('min_wall_time', 'bigint', (c) => c.notNull())
        .addColumn('max_step', 'bigint', (c) => c.notNull())
        .addColumn('max_value', 'double precision', (c) => c.notNull())
        .addColumn('max_wall_time', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('metric_buckets_pk', ['run_id', 'name', 'level', 'bucket'])
        // SQLite: store rows in key order, so one series' buckets of one level are read from adjacent pages.
        .$call((table) => (isSqlite(db) ? table.modifyEnd(sql`without rowid`) : table))
        .execute();
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('metric_summaries').addColumn('first_step', 'bigint').execute();
      await db.schema.alterTable('metric_summaries').addColumn('first_value', 'double precision').execute();
      await db.schema.alterTable('metric_summaries').addColumn('first_wall_time', 'bigint').execute();

      const series = await db.selectFrom('metric_summaries').select(['run_id', 'name']).execute() as { run_id: string; name: string }[];
      for (const { run_id: runId, name } of series) {
        const points = (await readPoints(db, [runId], { names: [name] })).get(runId)?.get(name) ?? [];
        if (points.length === 0) continue;
        const first = points[0];
        await db.updateTable('metric_summaries')
          .set({ first_step: first.step, first_value: Number.isNaN(first.value) ? null : first.value, first_wall_time: first.wallTime })
          .where('run_id', '=', runId).where('name', '=', name).execute();
        await upsertBucketRows(db, bucketRows(runId, name, points));
      }
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('metric_buckets').execute();
      for (const column of ['first_step', 'first_value', 'first_wall_time']) {
        await db.schema.alterTable('metric_summaries').dropColumn(column).execute();
      }
    },
  },

  // Run heartbeats (a running run unseen for long shows as lost), a per-run insertion sequence on metric points
  // (the live stream's cursor: late and repeated steps are new points too), and the identity of each artifact
  // file the store wrote (a hard link elsewhere is never served).
  '0003_heartbeat_sequence': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('runs').addColumn('last_seen', 'bigint').execute();
      await db.schema.alterTable('runs').addColumn('metric_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('metrics').addColumn('seq', 'bigint').execute();
      await db.schema.alterTable('artifacts').addColumn('file_id', 'text').execute();
      await db.updateTable('runs').set({ last_seen: sql`coalesce(ended_at, started_at)` }).execute();
      // Existing points in insertion order: SQLite's rowid is that order; PostgreSQL's physical order is the best there is.
      if (isSqlite(db)) await sql`update metrics set seq = rowid`.execute(db);
      else await sql`update metrics set seq = numbered.n from (select ctid as c, row_number() over () as n from metrics) numbered where metrics.ctid = numbered.c`.execute(db);
      await sql`update runs set metric_seq = coalesce((select max(seq) from metrics where metrics.run_id = runs.id), 0)`.execute(db);
      await db.schema.createIndex('metrics_by_seq').on('metrics').columns(['run_id', 'seq']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('metrics_by_seq').execute();
      await db.schema.alterTable('artifacts').dropColumn('file_id').execute();
      await db.schema.alterTable('metrics').dropColumn('seq').execute();
      await db.schema.alterTable('runs').dropColumn('metric_seq').execute();
      await db.schema.alterTable('runs').dropColumn('last_seen').execute();
    },
  },
};

function isSqlite(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
