import { openStore } from './src/track/store.ts';
import { rmSync } from 'node:fs';
const url = process.argv[2] ?? '/tmp/scratch/perf/tunelab.db';
if (!url.startsWith('postgres')) rmSync('/tmp/scratch/perf', { recursive: true, force: true });
const store = await openStore(url);
const RUNS = Number(process.argv[3] ?? 1000), POINTS = Number(process.argv[4] ?? 10000);
let t = performance.now();
const ids: string[] = [];
for (let r = 0; r < RUNS; r++) {
  const run = await store.createRun({ experiment: 'perf', params: { lr: r } });
  ids.push(run.id);
  for (let s = 0; s < POINTS; s += 5000) {
    const batch = [];
    for (let k = s; k < Math.min(POINTS, s + 5000); k++) batch.push({ name: k % 2 ? 'loss' : 'acc', step: k >> 1, value: Math.random(), wallTime: k });
    await store.appendMetrics(run.id, batch);
  }
}
const insertS = (performance.now() - t) / 1000;
console.log(`insert ${RUNS} runs × ${POINTS} points: ${insertS.toFixed(1)} s (${(RUNS * POINTS / insertS / 1000).toFixed(0)}k points/s)`);
t = performance.now(); const runs = await store.listRuns({ experiment: 'perf' }); const sums = await store.getMetricSummaries(runs.map((r) => r.id));
console.log(`listRuns + summaries of ${runs.length} runs: ${(performance.now() - t).toFixed(0)} ms (${sums.length} summaries)`);
t = performance.now(); const m = await store.getMetrics(ids[RUNS >> 1]); console.log(`getMetrics full (${m.reduce((n, s) => n + s.points.length, 0)} points): ${(performance.now() - t).toFixed(0)} ms`);
t = performance.now(); const d = await store.getMetrics(ids[RUNS >> 2], ['loss'], { maxPoints: 500 }); console.log(`getMetrics loss maxPoints 500 (${d[0].points.length}): ${(performance.now() - t).toFixed(0)} ms`);
await store.close();
