import BetterSqlite3 from 'better-sqlite3';
import { openStore } from './src/track/store.js';
const file = '/tmp/scale/tunelab.db';
const store = await openStore(file);
const runCount = 1000, pointCount = 10000;
const spec = { name: 'scale', trial: { command: 'true' }, search_space: { learning_rate: { type: 'loguniform', min_value: -13.8, max_value: -6.9 } }, objective: { primary_metric: 'val_loss', goal: 'minimize' }, limits: { max_total_trials: runCount } };
const sweep = await store.createSweep({ name: 'scale', experiment: 'scale', spec, specDir: '/tmp', executor: 'local' });
const ids: string[] = [];
for (let t = 0; t < runCount; t++) {
  const lr = Math.exp(-13.8 + 6.9 * ((t * 0.618) % 1));
  await store.createTrial(sweep.id, t, { learning_rate: lr });
  const c = (await store.claimTrial({ workerId: 'bench', sweepId: sweep.id }))!;
  ids.push(c.run.id);
  await store.appendMetrics(c.run.id, [{ name: 'val_loss', step: 1, value: 1, wallTime: 1e12 }]);
  await store.finishTrial(c.trial.id, 'bench', 'completed');
}
await store.close();
const db = new BetterSqlite3(file);
db.exec('delete from metrics');
const ins = db.prepare('insert into metrics (run_id, name, step, value, wall_time) values (?, ?, ?, ?, ?)');
const tx = db.transaction((id: string, t: number) => { for (let i = 0; i < pointCount; i++) ins.run(id, 'val_loss', i + 1, 0.3 + t * 1e-4 + Math.exp(-i / 800) + 0.01 * Math.sin(i), 1e12 + i * 1000); });
ids.forEach((id, t) => tx(id, t));
db.close();
console.log('done');
