import BetterSqlite3 from 'better-sqlite3';
import { readdirSync } from 'node:fs';
const dir = 'prof-34V1TW';
const db = new BetterSqlite3(`/tmp/${dir}/t.db`);
const ids = db.prepare('select id from runs').pluck().all() as string[];
const ph = ids.map(() => '?').join(',');
const q = `select * from metric_buckets where name = ? and level = ? and run_id in (${ph})`;
console.log(db.prepare('explain query plan ' + q).all('val_loss', 6, ...ids));
let s = performance.now(); const r = db.prepare(q).all('val_loss', 6, ...ids); console.log(r.length, performance.now() - s);
s = performance.now(); const r2 = db.prepare(q).raw().all('val_loss', 6, ...ids); console.log(r2.length, performance.now() - s);
console.log(db.prepare('select count(*) from metric_buckets').get());
for (let k = 0; k < 3; k++) { s = performance.now(); db.prepare(q).raw().all('val_loss', 6, ...ids); console.log('again', performance.now() - s); }
const q2 = `select * from metric_buckets where name = ? and level = ? and run_id = ?`;
const st = db.prepare(q2).raw();
s = performance.now(); let n = 0; for (const id of ids) n += st.all('val_loss', 6, id).length; console.log('per-run', n, performance.now() - s);
s = performance.now(); console.log(db.prepare('select count(*) from metric_buckets where level = 6').get(), performance.now() - s);
