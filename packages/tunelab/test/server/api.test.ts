// The HTTP API against a seeded store, through app.request() (no port). Expected values come from the
// seed plan's closed forms (seed.ts), so each assertion could fail independently of the server code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appFor, auth, jsonPost } from './helpers.js';
import { seedStore, TRIALS, valLoss, terminationReason, type Seeded } from './seed.js';
import { ageRun } from '../contracts/backends.js';
import { RUN_LOST_AFTER_MS } from '../../src/track/store.js';

let seeded: Seeded;
let app: ReturnType<typeof appFor>;

before(async () => {
  seeded = await seedStore();
  app = appFor(seeded);
});
after(async () => { await seeded?.cleanup(); });

async function getJson<T = Record<string, unknown>>(path: string, init?: RequestInit): Promise<T> {
  const response = await app.request(path, init);
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json() as Promise<T>;
}

interface RunRowLike { id: string; name: string; status: string; params: Record<string, unknown>; tags: string[]; metrics: Record<string, { last: number | null; min: number | null; max: number | null; count: number }> }
interface RunsBody { total: number; runs: RunRowLike[]; columns: { params: string[]; metrics: string[] } }

const trialRun = (t: number) => seeded.trialRunIds[t]!;

describe('GET /api/runs', () => {
  test('lists every run with its params and last metric values', async () => {
    const body = await getJson<RunsBody>('/api/runs?limit=100');
    assert.equal(body.total, 3 + TRIALS.filter((t) => t.end !== 'queued').length);
    assert.deepEqual(body.columns.params, ['batch_size', 'learning_rate', 'optimizer']);
    assert.deepEqual(body.columns.metrics, ['eval/accuracy', 'train/loss', 'val_loss']);
    const completed = body.runs.find((r) => r.id === seeded.runs.completed)!;
    assert.deepEqual(completed.metrics['train/loss'], { last: 2 / 100, min: 2 / 100, max: 2, step: 100, count: 100 });
    assert.deepEqual(completed.tags, ['baseline']);
  });

  test('filters by status (comma-separated or repeated)', async () => {
    const failed = await getJson<RunsBody>('/api/runs?status=failed');
    assert.deepEqual(failed.runs.map((r) => r.id), [seeded.runs.failed]);
    const a = await getJson<RunsBody>('/api/runs?status=running,failed');
    const b = await getJson<RunsBody>('/api/runs?status=running&status=failed');
    const expected = [seeded.runs.failed, seeded.runs.running, trialRun(5)].sort();
    assert.deepEqual(a.runs.map((r) => r.id).sort(), expected);
    assert.deepEqual(b.runs.map((r) => r.id).sort(), expected);
  });

  test('filters by param range, metric range and text', async () => {
    // learning_rate ≥ 1e-4: the failed standalone run (1e-3) and trials 1 (1e-4), 2 (1e-3), 4 (5e-4).
    const lr = await getJson<RunsBody>(`/api/runs?where=${encodeURIComponent('param.learning_rate>=1e-4')}`);
    assert.deepEqual(lr.runs.map((r) => r.id).sort(), [seeded.runs.failed, trialRun(1), trialRun(2), trialRun(4)].sort());
    // last val_loss < 0.5: trial 0 (0.40) and trial 1 (0.45).
    const loss = await getJson<RunsBody>(`/api/runs?where=${encodeURIComponent('metric.val_loss<0.5')}`);
    assert.deepEqual(loss.runs.map((r) => r.id).sort(), [trialRun(0), trialRun(1)].sort());
    // Two conditions combine with AND; equality works on strings.
    const both = await getJson<RunsBody>(`/api/runs?where=${encodeURIComponent('param.optimizer=adamw')}&where=${encodeURIComponent('param.batch_size=32')}`);
    assert.deepEqual(both.runs.map((r) => r.id), [seeded.runs.completed]);
    assert.deepEqual((await getJson<RunsBody>('/api/runs?q=BASELINE')).runs.map((r) => r.id), [seeded.runs.completed]);
    assert.deepEqual((await getJson<RunsBody>('/api/runs?q=optimizer%3Dsgd')).runs.map((r) => r.id), [seeded.runs.running]);
  });

  test('sorts by a metric with missing values last, and pages', async () => {
    const sorted = await getJson<RunsBody>('/api/runs?sort=metric.val_loss&order=asc&limit=100');
    const values = sorted.runs.map((r) => r.metrics.val_loss?.last ?? null);
    const expected = [valLoss(0, 10), valLoss(1, 10), valLoss(3, 10), valLoss(2, 3), valLoss(4, 4), valLoss(5, 5)].sort((x, y) => x - y);
    assert.deepEqual(values.slice(0, 6), expected);
    assert.deepEqual(values.slice(6), [null, null, null]);
    const page = await getJson<RunsBody>('/api/runs?sort=metric.val_loss&order=asc&limit=2&offset=2');
    assert.deepEqual(page.runs.map((r) => r.id), sorted.runs.slice(2, 4).map((r) => r.id));
    assert.equal(page.total, 9);
  });
});

describe('GET /api/runs/:id and its series, logs, artifacts', () => {
  test('run detail carries the metric summaries and the trial it belongs to', async () => {
    const standalone = await getJson<{ run: { name: string }; metrics: Record<string, { last: number }>; trial: null }>(`/api/runs/${seeded.runs.completed}`);
    assert.equal(standalone.run.name, 'bert-base lr=2e-5');
    assert.equal(standalone.metrics['eval/accuracy'].last, 0.85);
    assert.equal(standalone.trial, null);
    const trial = await getJson<{ trial: { number: number; sweepId: string; sweepName: string } }>(`/api/runs/${trialRun(2)}`);
    assert.deepEqual(trial.trial, { id: seeded.trialIds[2], number: 2, sweepId: seeded.sweepId, sweepName: 'lr-sweep' });
  });

  test('series are downsampled on the server, first and last points kept; NaN travels as null', async () => {
    const body = await getJson<{ series: { name: string; points: [number, number | null, number][] }[] }>(`/api/runs/${seeded.runs.completed}/metrics?points=10`);
    const loss = body.series.find((s) => s.name === 'train/loss')!;
    assert.ok(loss.points.length <= 10 && loss.points.length >= 4, `got ${loss.points.length} points`);
    assert.deepEqual(loss.points[0], [1, 2, Date.UTC(2025, 0, 1, 12, 0, 0)]);
    assert.deepEqual(loss.points.at(-1)!.slice(0, 2), [100, 0.02]);
    for (const [step, value] of loss.points) assert.equal(value, 2 / step);
    const accuracy = body.series.find((s) => s.name === 'eval/accuracy')!;
    assert.deepEqual(accuracy.points.map((p) => p[0]), [33, 66, 99]);
    const failed = await getJson<{ series: { points: [number, number | null, number][] }[] }>(`/api/runs/${seeded.runs.failed}/metrics`);
    assert.deepEqual(failed.series[0].points.map((p) => p[1]), [2.5, null]);
  });

  test('logs: the tail, or what came after a sequence number', async () => {
    const tail = await getJson<{ chunks: { seq: number; text: string }[]; lastSeq: number }>(`/api/runs/${seeded.runs.completed}/logs?tail=1`);
    assert.deepEqual(tail.chunks.map((c) => c.seq), [2]);
    assert.equal(tail.lastSeq, 2);
    const after = await getJson<{ chunks: { text: string }[] }>(`/api/runs/${seeded.runs.completed}/logs?after=1`);
    assert.deepEqual(after.chunks.map((c) => c.text), ['warning: <script>alert(1)</script>\n']);
  });

  test('artifacts: listed without server paths, downloaded as attachments', async () => {
    const list = await getJson<{ artifacts: Record<string, unknown>[] }>(`/api/runs/${seeded.runs.completed}/artifacts`);
    assert.deepEqual(list.artifacts.map((a) => a.name), ['checkpoint/config.json', 'predictions.csv']);
    assert.ok(list.artifacts.every((a) => !('path' in a)), 'absolute paths stay on the server');
    const response = await app.request(`/api/runs/${seeded.runs.completed}/artifacts/checkpoint/config.json`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{"hidden_size": 768}');
    assert.equal(response.headers.get('Content-Type'), 'application/octet-stream');
    assert.equal(response.headers.get('Content-Disposition'), "attachment; filename*=UTF-8''config.json");
    assert.equal(response.headers.get('X-Content-Type-Options'), 'nosniff');
  });
});

interface SweepBody {
  objective: { metric: string; goal: string };
  space: { name: string; scale: string }[];
  trials: { id: string; number: number; status: string; value: number | null; lastStep: number | null; isBest: boolean; terminatedEarly: boolean; reason: string | null }[];
  bestTrialId: string;
  progress: Record<string, number>;
  compute: { spentMs: number; savedMs: number | null; unknownTrials: number; device: string };
  sweep: Record<string, unknown>;
}

describe('sweeps', () => {
  test('sweep detail: objective, axis scales, trial states, best, progress', async () => {
    const body = await getJson<SweepBody>(`/api/sweeps/${seeded.sweepId}`);
    assert.deepEqual(body.objective, { metric: 'val_loss', goal: 'minimize' });
    assert.deepEqual(body.space.map((p) => [p.name, p.scale]), [['learning_rate', 'log'], ['batch_size', 'category']]);
    assert.deepEqual(body.progress, { total: 8, created: 7, queued: 1, running: 1, completed: 3, terminated: 2, failed: 0 });
    assert.equal(body.bestTrialId, seeded.trialIds[0]);
    assert.deepEqual(body.trials.filter((t) => t.isBest).map((t) => t.number), [0]);
    for (const [t, plan] of TRIALS.entries()) {
      const row = body.trials[t];
      assert.equal(row.status, plan.end);
      assert.equal(row.terminatedEarly, plan.end === 'terminated');
      assert.equal(row.reason, plan.end === 'terminated' ? terminationReason(t, plan.steps) : null);
      assert.equal(row.value, plan.steps > 0 ? valLoss(t, plan.steps) : null);
      assert.equal(row.lastStep, plan.steps > 0 ? plan.steps : null);
    }
    // The seeded trials report no total_steps: a saving is not guessed for them (sweep/savings.ts).
    assert.deepEqual([body.compute.savedMs, body.compute.unknownTrials, body.compute.device], [0, 2, 'CPU']);
    assert.ok(!('specDir' in body.sweep) && !('controllerId' in body.sweep), 'server-side paths and lease holders are not exposed');
  });

  test('curves: one primary-metric series per started trial, values from the seed', async () => {
    const body = await getJson<{ metric: string; series: { trialId: string; points: [number, number | null, number][] }[] }>(`/api/sweeps/${seeded.sweepId}/curves`);
    assert.equal(body.metric, 'val_loss');
    assert.equal(body.series.length, TRIALS.filter((t) => t.end !== 'queued').length);
    for (const series of body.series) {
      const t = seeded.trialIds.indexOf(series.trialId);
      assert.deepEqual(series.points.map((p) => [p[0], p[1]]), Array.from({ length: TRIALS[t].steps }, (_, i) => [i + 1, valLoss(t, i + 1)]));
    }
  });

  test('list: one row per sweep with best value and progress', async () => {
    const body = await getJson<{ sweeps: { name: string; bestValue: number; bestTrialNumber: number; progress: { completed: number } }[] }>('/api/sweeps');
    assert.equal(body.sweeps.length, 1);
    assert.equal(body.sweeps[0].bestValue, valLoss(0, 10));
    assert.equal(body.sweeps[0].bestTrialNumber, 0);
    assert.equal(body.sweeps[0].progress.completed, 3);
  });
});

describe('compare', () => {
  test('param diff marks differing params first, one value per run in the given order', async () => {
    const body = await getJson<{ params: { key: string; values: unknown[]; differs: boolean }[]; metrics: string[]; series: { runId: string }[] }>(
      `/api/compare?ids=${seeded.runs.completed},${seeded.runs.failed},${seeded.runs.running}`,
    );
    assert.deepEqual(body.params, [
      { key: 'batch_size', values: [32, 16, 32], differs: true },
      { key: 'learning_rate', values: [2e-5, 1e-3, 5e-5], differs: true },
      { key: 'optimizer', values: ['adamw', 'adamw', 'sgd'], differs: true },
    ]);
    assert.deepEqual(body.metrics, ['eval/accuracy', 'train/loss']);
    assert.deepEqual(body.series.map((s) => s.runId), [seeded.runs.completed, seeded.runs.failed, seeded.runs.running]);
  });
});

describe('mutations (token required)', () => {
  test('stop a running trial run: the run and its trial record the request', async () => {
    const response = await app.request(`/api/runs/${trialRun(5)}/stop`, jsonPost({ reason: 'looks diverged' }));
    assert.equal(response.status, 200);
    assert.equal((await seeded.store.getRun(trialRun(5))).stopRequested, 'looks diverged');
    assert.equal((await seeded.store.getTrial(seeded.trialIds[5])).stopRequested, 'looks diverged');
    const again = await app.request(`/api/runs/${seeded.runs.completed}/stop`, jsonPost({}));
    assert.equal(again.status, 409);
  });

  test('tags: add and remove, on finished runs too', async () => {
    const added = await getJson<{ tags: string[] }>(`/api/runs/${seeded.runs.completed}/tags`, jsonPost({ add: ['keep', 'paper'] }));
    assert.deepEqual(added.tags, ['baseline', 'keep', 'paper']);
    const removed = await getJson<{ tags: string[] }>(`/api/runs/${seeded.runs.completed}/tags`, jsonPost({ remove: ['paper'] }));
    assert.deepEqual(removed.tags, ['baseline', 'keep']);
  });

  test('sweep stop is recorded for the controller', async () => {
    const body = await getJson<{ stopRequested: string }>(`/api/sweeps/${seeded.sweepId}/stop`, jsonPost({ reason: 'budget spent' }));
    assert.equal(body.stopRequested, 'budget spent');
    assert.equal((await seeded.store.getSweep(seeded.sweepId)).stopRequested, 'budget spent');
  });

  test('delete: finished runs go, running runs refuse', async () => {
    const running = await app.request(`/api/runs/${seeded.runs.running}`, { method: 'DELETE', headers: auth });
    assert.equal(running.status, 409);
    const gone = await app.request(`/api/runs/${seeded.runs.failed}`, { method: 'DELETE', headers: auth });
    assert.equal(gone.status, 200);
    assert.equal((await app.request(`/api/runs/${seeded.runs.failed}`)).status, 404);
  });

  test('a run whose process died shows as lost; stop ends it as failed; a lost run can be deleted', async () => {
    const zombies = await Promise.all(['zombie-a', 'zombie-b'].map((name) => seeded.store.createRun({ experiment: 'zombies', name })));
    for (const zombie of zombies) await ageRun(seeded.store.url, zombie.id, RUN_LOST_AFTER_MS + 1000);
    const [a, b] = zombies.map((z) => z.id);
    assert.equal((await getJson<{ run: { status: string } }>(`/api/runs/${a}`)).run.status, 'lost');
    const rows = (await getJson<RunsBody>('/api/runs?experiment=zombies')).runs;
    assert.deepEqual(rows.map((r) => r.status), ['lost', 'lost']);
    const stopped = await app.request(`/api/runs/${a}/stop`, jsonPost({ reason: 'cleanup' }));
    assert.equal(stopped.status, 200);
    const after = (await stopped.json() as { run: { status: string; reason: string } }).run;
    assert.equal(after.status, 'failed');
    assert.match(after.reason, /^lost: its process was not seen for \d+ s; stopped \(cleanup\)$/);
    assert.equal((await app.request(`/api/runs/${b}`, { method: 'DELETE', headers: auth })).status, 200);
    assert.equal((await app.request(`/api/runs/${b}`)).status, 404);
  });
});

describe('dashboard assets and headers', () => {
  test('index.html for client routes, real 404 for missing hashed assets, CSP and nosniff everywhere', async () => {
    for (const path of ['/', '/runs/abc', '/sweeps/x']) {
      const response = await app.request(path);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /<div id="root">/);
      assert.match(response.headers.get('Content-Security-Policy') ?? '', /script-src 'self'/);
      assert.equal(response.headers.get('X-Content-Type-Options'), 'nosniff');
    }
    assert.equal((await app.request('/assets/index-abc123.js')).headers.get('Cache-Control'), 'public, max-age=31536000, immutable');
    assert.equal((await app.request('/assets/missing.js')).status, 404);
    const api = await app.request('/api/info');
    assert.match(api.headers.get('Content-Security-Policy') ?? '', /default-src 'self'/);
    assert.equal(api.headers.get('Cache-Control'), 'no-store');
    assert.equal((await app.request('/api/nope')).status, 404);
  });
});
