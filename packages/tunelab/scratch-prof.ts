import { openStore } from './src/track/store.js';
import { mkdtempSync } from 'node:fs';
const store = await openStore(mkdtempSync('/tmp/prof-') + '/t.db');
const ids: string[] = [];
for (let t = 0; t < 100; t++) {
  const run = await store.createRun({ experiment: 'x' });
  ids.push(run.id);
  await store.appendMetrics(run.id, Array.from({ length: 10000 }, (_, i) => ({ name: 'val_loss', step: i + 1, value: Math.exp(-i / 800) + 0.01 * Math.sin(i), wallTime: 1e12 + i * 1000 })));
}
for (let k = 0; k < 3; k++) {
  let s = performance.now();
  const m = await store.getMetricsForRuns(ids, 'val_loss', { maxPoints: 200 });
  console.log('bulk', (performance.now() - s).toFixed(0), [...m.values()][0].length);
}
const db = (store as any).db;
let s = performance.now();
const rows = await db.selectFrom('metric_buckets').selectAll().where('name', '=', 'val_loss').where('level', '=', 6).where('run_id', 'in', ids).execute();
console.log('rows', rows.length, (performance.now() - s).toFixed(0));
s = performance.now();
const r2 = await db.selectFrom('metric_summaries').selectAll().where('name', '=', 'val_loss').where('run_id', 'in', ids).execute();
console.log('summ', r2.length, (performance.now() - s).toFixed(0));
await store.close();
