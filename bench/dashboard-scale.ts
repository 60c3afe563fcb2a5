// Dashboard API at the scale the issue names: 1,000 runs × 10,000 points (one sweep of 1,000 trials).
// Prints latency of the calls the pages make, and ratios against the naive alternatives, measured through the
// same store: shipping every point of a series (bytes), and reading every point to thin it in JS (time).
//   node --conditions=development --import tsx bench/dashboard-scale.ts [--runs 1000] [--points 10000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../packages/tunelab/src/track/store.js';
import { createApp } from '../packages/tunelab/src/server/app.js';
import { LOOPBACK_HOSTS } from '../packages/tunelab/src/server/middleware/host-check/index.js';
import { LiveSession } from '../packages/tunelab/src/server/live/session.js';
import { downsample } from '../packages/tunelab/src/track/downsample.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000' }, points: { type: 'string', default: '10000' } } });
const runCount = Number(values.runs);
const pointCount = Number(values.points);

const dir = mkdtempSync(join(tmpdir(), 'tunelab-scale-'));
const store = await openStore(join(dir, 'tunelab.db'));
try {
  const seedStart = performance.now();
  const spec = {
    name: 'scale', trial: { command: 'true' },
    search_space: { learning_rate: { type: 'loguniform', min_value: -13.8, max_value: -6.9 }, batch_size: { type: 'choice', values: [16, 32] } },
    objective: { primary_metric: 'val_loss', goal: 'minimize' },
    early_termination: { type: 'bandit', slack_factor: 0.1 },
    limits: { max_total_trials: runCount },
  };
  const sweep = await store.createSweep({ name: 'scale', experiment: 'scale', spec, specDir: dir, executor: 'local' });
  for (let t = 0; t < runCount; t++) {
    const lr = Math.exp(-13.8 + 6.9 * ((t * 0.618) % 1));
    await store.createTrial(sweep.id, t, { learning_rate: lr, batch_size: t % 2 ? 16 : 32 });
    const claimed = (await store.claimTrial({ workerId: 'bench', sweepId: sweep.id }))!;
    const floor = 0.3 + 0.02 * (Math.log(lr) + 10.4) ** 2;
    const points = Array.from({ length: pointCount }, (_, i) => ({
      name: 'val_loss', step: i + 1, value: floor + Math.exp(-i / 800) + 0.01 * Math.sin(i), wallTime: 1e12 + i * 1000,
    }));
    await store.appendMetrics(claimed.run.id, points);
    await store.finishTrial(claimed.trial.id, 'bench', t % 3 === 0 ? 'terminated' : 'completed', { reason: t % 3 === 0 ? 'bandit' : null });
  }
  console.log(`seeded ${runCount} runs × ${pointCount} points in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const app = createApp({ store, token: 'bench-token-0123456789', readsNeedToken: false, allowedHosts: LOOPBACK_HOSTS });
  const runs = await store.listRuns({ limit: 1 });
  const time = async (label: string, path: string) => {
    const start = performance.now();
    const response = await app.request(path);
    const bytes = (await response.arrayBuffer()).byteLength;
    const ms = performance.now() - start;
    console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms ${(bytes / 1024).toFixed(0).padStart(8)} KiB`);
    return { ms, bytes };
  };

  await time('runs table, page of 50 (sorted by metric)', '/api/runs?limit=50&sort=metric.val_loss&order=asc');
  await time('runs table, filtered by a param range', `/api/runs?limit=50&where=${encodeURIComponent('param.learning_rate>=1e-4')}`);
  const one = await time('one run, 1,000 points per series', `/api/runs/${runs[0].id}/metrics?points=1000`);
  const fullStart = performance.now();
  const full = JSON.stringify(await store.getMetrics(runs[0].id));
  const fullMs = performance.now() - fullStart;
  console.log(`${'  peer: the whole series, unsampled'.padEnd(44)} ${fullMs.toFixed(0).padStart(6)} ms ${(full.length / 1024).toFixed(0).padStart(8)} KiB`);
  console.log(`  ratio: ${(full.length / one.bytes).toFixed(1)}× fewer bytes to the browser`);
  await time('sweep page summary (1,000 trials)', `/api/sweeps/${sweep.id}`);
  const page = await time('sweep curves, first page of 100 trials', `/api/sweeps/${sweep.id}/curves?points=200&limit=100`);
  const trials = (await store.listTrials(sweep.id)).slice(0, 100);
  const peerStart = performance.now();
  for (const trial of trials) downsample((await store.getMetrics(trial.runId!, ['val_loss']))[0].points, 200);
  const peerMs = performance.now() - peerStart;
  console.log(`${'  peer: read every point, thin in JS (100)'.padEnd(44)} ${peerMs.toFixed(0).padStart(6)} ms`);
  console.log(`  ratio: ${(peerMs / page.ms).toFixed(0)}× faster from stored bucket extremes`);
  const all = await time('sweep curves, 200 points × every trial', `/api/sweeps/${sweep.id}/curves?points=200`);
  console.log(`  ratio: ${((runCount * full.length) / all.bytes).toFixed(0)}× fewer bytes than every point of every trial`);

  const session = await LiveSession.open(store, { runs: [], logs: [], sweeps: [sweep.id] });
  const pollStart = performance.now();
  for (let i = 0; i < 10; i++) await session.poll();
  console.log(`${'live stream poll of a 1,000-trial sweep'.padEnd(44)} ${((performance.now() - pollStart) / 10).toFixed(0).padStart(6)} ms`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
