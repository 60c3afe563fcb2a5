// T10 item 19: a dropped PostgreSQL connection kills nothing. pg_terminate_backend cuts every connection of a
// running worker (a child process), of its trial's run client (a grandchild) and of the sweep controller (this
// process: an unheard pool 'error' event would end the test run); each reconnects, the trial completes and
// every metric point is stored once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseSpec } from '../../src/sweep/spec-file.js';
import { createSweep, runSweep } from '../../src/sweep/controller.js';
import { openStore, type Store } from '../../src/track/store.js';
import { freshStore, postgresBackend } from '../contracts/backends.js';
import { runCli, startCli, until } from '../sweep/cli-process.js';

const reporter = fileURLToPath(new URL('./fixtures/steady-reporter.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const POINTS = 150;

/** Ends every other session on the store's database; returns how many there were. */
/** Ends the other connections to the test database; `writersOnly`: only those inside a transaction that wrote. */
async function terminateBackends(url: string, { writersOnly = false } = {}): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'select count(pg_terminate_backend(pid)) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()'
      + (writersOnly ? ' and backend_xid is not null' : ''));
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

async function pointsOf(store: Store, runId: string | null): Promise<number> {
  if (!runId) return 0;
  return (await store.getMetricSummaries([runId])).find((s) => s.name === 'loss')?.count ?? 0;
}

describe('a dropped PostgreSQL connection', { skip: postgresBackend.unavailable }, () => {
  it('the worker, the trial\'s tracker and the controller reconnect; the trial completes with every point once', async () => {
    const { store, url, dispose } = await freshStore(postgresBackend);
    const specDir = mkdtempSync(join(tmpdir(), 'tunelab-reconnect-'));
    try {
      const spec = parseSpec(`name: reconnect
trial:
  command: ${process.execPath} --conditions=development --import ${tsx} ${reporter} ${POINTS} 20
search_space: { x: { type: choice, values: [1] } }
objective: { primary_metric: loss, goal: minimize }
limits: { max_total_trials: 1, max_concurrent_trials: 1 }
`, join(specDir, 'reconnect.yml'));
      const sweep = await createSweep(store, await spec, specDir, 'worker');
      const worker = startCli(['worker', '--store', url, '--sweep', sweep.id, '--poll', '50']);
      const controller = runSweep(store, sweep.id, { pollMs: 50 });
      const runId = async () => (await store.listTrials(sweep.id))[0]?.runId ?? null;
      await until(async () => (await pointsOf(store, await runId())) >= 20, 'the first points', 60_000);
      assert.ok(await terminateBackends(url) >= 2, 'the worker and the trial held connections');
      await until(async () => (await pointsOf(store, await runId())) >= 80, 'points after the first cut', 60_000);
      await terminateBackends(url);
      const outcome = await controller;
      assert.equal(await worker.exited, 0, worker.output());
      assert.doesNotMatch(worker.output(), /Unhandled 'error' event/);

      const [trial] = outcome.trials;
      assert.equal(trial.status, 'completed', trial.reason ?? '');
      const reader = await openStore(url);
      try {
        const [loss] = await reader.getMetrics(trial.runId!, ['loss']);
        assert.deepEqual(loss.points.map((p) => p.step), Array.from({ length: POINTS }, (_, i) => i + 1), 'every step once');
        assert.equal((await reader.getRun(trial.runId!)).status, 'completed');
      } finally {
        await reader.close();
      }
    } finally {
      await dispose();
      rmSync(specDir, { recursive: true, force: true });
    }
  });

  it('a call cut off in flight runs again on a new connection: the batch is stored once, and the outage is told', async () => {
    const { url, dispose } = await freshStore(postgresBackend);
    const lines: string[] = [];
    const store = await openStore(url, { reconnectForMs: 30_000, log: (line) => lines.push(line) });
    try {
      const run = await store.createRun({ experiment: 'cut' });
      const batch = Array.from({ length: 60_000 }, (_, i) => ({ name: 'loss', step: i, value: 1 / (i + 1) }));
      const appending = store.appendMetrics(run.id, batch);
      // Cut as soon as the append's transaction has written, not after a guessed delay.
      await until(async () => await terminateBackends(url, { writersOnly: true }) >= 1, 'the append in flight', 10_000);
      await appending;
      assert.equal(await pointsOf(store, run.id), batch.length);
      assert.match(lines.join('\n'), /connection lost \(.+\); reconnecting\n.*reconnected after/);
      assert.doesNotMatch(lines.join('\n'), /tunelab:tunelab@/, 'the password is not printed');
    } finally {
      await store.close();
      await dispose();
    }
  });
});

it('a short command against an unreachable PostgreSQL exits 1 with one line, and no password', async () => {
  const { code, output } = await runCli(['runs', 'list', '--store', 'postgres://someone:hunter2@127.0.0.1:1/tunelab']);
  assert.equal(code, 1);
  assert.match(output, /^tunelab runs list: cannot reach the store: connect ECONNREFUSED 127\.0\.0\.1:1\n$/);
});
