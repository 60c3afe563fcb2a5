// The multiplexed live stream (SSE) read through app.request(): after `hello`, new metric points, log
// chunks, run status changes and sweep changes arrive as events with exactly what was written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appFor } from './helpers.js';
import { seedStore, TRIALS, valLoss, type Seeded } from './seed.js';

let seeded: Seeded;
before(async () => { seeded = await seedStore(); });
after(async () => { await seeded?.cleanup(); });

interface SseEvent { event: string; data: Record<string, unknown> }

/** Reads SSE events from a response body until `count` have arrived (or the deadline passes). */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(deadlineMs = 5000): Promise<SseEvent> {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) continue;
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          return { event, data: JSON.parse(data) as Record<string, unknown> };
        }
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event before the deadline')), Math.max(1, deadline - Date.now())));
        const { value, done } = await Promise.race([reader.read(), timeout]);
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

test('one stream carries metrics, logs, run status and sweep changes for everything the tab shows', async () => {
  const app = appFor(seeded, { pollMs: 30 });
  const running = seeded.runs.running;
  const trial = TRIALS.findIndex((t) => t.end === 'running');
  const trialRun = seeded.trialRunIds[trial]!;
  const response = await app.request(`/api/stream?runs=${running}&logs=${running}&sweeps=${seeded.sweepId}`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('Content-Type'), 'text/event-stream');
  const events = eventReader(response.body!);
  try {
    assert.equal((await events.next()).event, 'hello');

    await seeded.store.appendMetrics(running, [{ name: 'train/loss', step: 21, value: 1 / 21, wallTime: 1000 }, { name: 'train/loss', step: 22, value: 1 / 22, wallTime: 2000 }]);
    await seeded.store.appendLog(running, 'stdout', 'step 22 done\n');
    await seeded.store.appendMetrics(trialRun, [{ name: 'val_loss', step: 6, value: valLoss(trial, 6), wallTime: 3000 }]);

    const seen: SseEvent[] = [];
    while (seen.length < 3) seen.push(await events.next());
    const metrics = seen.filter((e) => e.event === 'metrics').map((e) => e.data).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    assert.deepEqual(metrics, [
      { type: 'metrics', runId: running, name: 'train/loss', points: [[21, 1 / 21, 1000], [22, 1 / 22, 2000]] },
      { type: 'metrics', runId: trialRun, name: 'val_loss', points: [[6, valLoss(trial, 6), 3000]] },
    ]);
    const logs = seen.find((e) => e.event === 'logs')!.data as { runId: string; chunks: { text: string; stream: string }[] };
    assert.equal(logs.runId, running);
    assert.deepEqual(logs.chunks.map((c) => [c.stream, c.text]), [['stdout', 'step 22 done\n']]);

    // A status change of a watched run, then of a trial in the watched sweep.
    await seeded.store.setRunStatus(running, 'completed', { exitCode: 0 });
    const status = await events.next();
    assert.equal(status.event, 'run');
    assert.equal((status.data.run as { status: string }).status, 'completed');
    await seeded.store.finishTrial(seeded.trialIds[trial], 'seed-worker', 'terminated', { reason: 'stopped by test' });
    const sweep = await events.next();
    assert.deepEqual(sweep.data, { type: 'sweep', sweepId: seeded.sweepId, status: 'running' });
  } finally {
    await events.cancel();
  }
});

test('unknown ids are refused before the stream opens', async () => {
  const app = appFor(seeded);
  const response = await app.request('/api/stream?runs=doesnotexist');
  assert.equal(response.status, 404);
  assert.match((await response.json() as { error: { message: string } }).error.message, /run not found: doesnotexist/);
});

test('late and repeated steps reach the tab: every stored point exactly once, in the order stored', async () => {
  const run = await seeded.store.createRun({ experiment: 'stream-late', name: 'late-steps' });
  await seeded.store.appendMetrics(run.id, [{ name: 'eval_loss', step: 10, value: 0.5, wallTime: 10 }]); // loaded over REST
  const app = appFor(seeded, { pollMs: 20 });
  const events = eventReader((await app.request(`/api/stream?runs=${run.id}`)).body!);
  try {
    assert.equal((await events.next()).event, 'hello');
    await seeded.store.appendMetrics(run.id, [{ name: 'eval_loss', step: 20, value: 0.4, wallTime: 20 }]);
    assert.deepEqual((await events.next()).data.points, [[20, 0.4, 20]]);
    // The final re-evaluation of the best model at the last step, and a step below the last one reported late.
    await seeded.store.appendMetrics(run.id, [
      { name: 'eval_loss', step: 20, value: 0.3, wallTime: 30 },
      { name: 'eval_loss', step: 15, value: 0.45, wallTime: 40 },
    ]);
    const late = await events.next();
    assert.deepEqual(late.data, { type: 'metrics', runId: run.id, name: 'eval_loss', points: [[20, 0.3, 30], [15, 0.45, 40]] });
    await seeded.store.appendMetrics(run.id, [{ name: 'eval_loss', step: 20, value: 0.3, wallTime: 50 }]);
    assert.deepEqual((await events.next()).data.points, [[20, 0.3, 50]], 'an identical value at the same step is a new point too');
  } finally {
    await events.cancel();
  }
});
