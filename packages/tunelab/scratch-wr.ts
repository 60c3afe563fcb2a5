import BetterSqlite3 from 'better-sqlite3';
const db = new BetterSqlite3(`/tmp/prof-34V1TW/t.db`);
db.exec(`drop table if exists mb2; create table mb2 (run_id text not null, name text not null, level integer not null, bucket bigint not null, min_step bigint, min_value double precision, min_wall_time bigint, max_step bigint, max_value double precision, max_wall_time bigint, primary key (run_id, name, level, bucket)) without rowid; insert into mb2 select * from metric_buckets order by random();`);
const ids = db.prepare('select id from runs').pluck().all() as string[];
const ph = ids.map(() => '?').join(',');
for (const table of ['metric_buckets', 'mb2']) {
  const q = `select * from ${table} where name = ? and level = ? and run_id in (${ph})`;
  for (let k = 0; k < 3; k++) { const s = performance.now(); const r = db.prepare(q).raw().all('val_loss', 6, ...ids); console.log(table, r.length, (performance.now() - s).toFixed(1)); }
}
db.pragma('cache_size = -64000');
for (const table of ['metric_buckets', 'mb2']) {
  const q = `select * from ${table} where name = ? and level = ? and run_id in (${ph})`;
  for (let k = 0; k < 3; k++) { const s = performance.now(); const r = db.prepare(q).raw().all('val_loss', 6, ...ids); console.log('bigcache', table, r.length, (performance.now() - s).toFixed(1)); }
}
