// The run client loses no point when the store stops answering (T11 item 1). The audit's scenario, scaled to seconds:
// 10k points/s into SQLite while another process holds BEGIN IMMEDIATE longer than busy_timeout (lowered here to
// 200 ms through TUNELAB_SQLITE_BUSY_TIMEOUT_MS, and the client's limits through its options).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RunClient, startRun, type DurabilityOptions } from '../../src/track/client.js';
import { openStore, type Store } from '../../src/track/store.js';
import { REPO, runCli } from '../e2e/helpers.js';

const POINTS_PER_SECOND = 10_000;

describe('RunClient against a locked SQLite store', () => {
  let home: string;
  let storeFile: string;
  let store: Store;
  const busyTimeout = process.env.TUNELAB_SQLITE_BUSY_TIMEOUT_MS;
  before(async () => {
    process.env.TUNELAB_SQLITE_BUSY_TIMEOUT_MS = '200';
    home = mkdtempSync(join(tmpdir(), 'tunelab-durability-'));
    storeFile = join(home, 'tunelab.db');
    store = await openStore(storeFile);
  });
  after(async () => {
    await store.close();
    if (busyTimeout === undefined) delete process.env.TUNELAB_SQLITE_BUSY_TIMEOUT_MS;
    else process.env.TUNELAB_SQLITE_BUSY_TIMEOUT_MS = busyTimeout;
    rmSync(home, { recursive: true, force: true });
  });

  test('a lock held past busy_timeout and past the spill limit: every point is in the store, the run completes', async () => {
    const notices: string[] = [];
    const client = await startRun({
      experiment: 'durability', store: storeFile, ...fastLimits, spillAfterMs: 600, notify: (line) => notices.push(line),
    });
    const lock = await holdWriteLock(storeFile, 1500);
    const steps = await writePoints(client, 2500); // through the lock and 1 s past it
    await lock.released;
    await client.endRun();
    assert.ok(steps > 20_000, `${steps} points written`);
    assert.deepEqual(await storedSteps(store, client.id), range(steps), 'every step once, in order');
    assert.equal((await store.getRun(client.id)).status, 'completed');
    assert.equal(existsSync(client.journal.file), false, 'the journal was replayed and removed');
    assert.ok(notices.length >= 2, notices.join('\n') || 'no notices');
    assert.match(notices[0], /^tracking: store .*tunelab\.db unreachable for \d+\.\d s \(.*database is locked.*\); training goes on and run \S+'s points go to \S+\.jsonl until it is back$/);
    assert.match(notices.at(-1)!, /^tracking: store reachable again; \d+ journaled points written to run /);
    for (const line of notices) assert.ok(!line.includes('\n'), 'one line each');
  });

  test('memory stays bounded: past maxBufferedPoints the points go to the journal before the spill limit', async () => {
    const client = await startRun({
      experiment: 'durability', store: storeFile, ...fastLimits, spillAfterMs: 60_000, maxBufferedPoints: 500, notify: () => undefined,
    });
    const lock = await holdWriteLock(storeFile, 1200);
    const writer = writePoints(client, 800);
    await sleep(600);
    assert.ok(client.journal.pending, 'points went to the journal while the store was locked');
    const steps = await writer;
    await lock.released;
    await client.endRun();
    assert.deepEqual(await storedSteps(store, client.id), range(steps));
    assert.equal((await store.getRun(client.id)).status, 'completed');
  });

  test('still locked at the end: the run is not ended `completed` with gaps; `tunelab runs sync` completes it', async () => {
    const notices: string[] = [];
    const client = await startRun({
      experiment: 'durability', store: storeFile, ...fastLimits, spillAfterMs: 300, notify: (line) => notices.push(line),
    });
    const lock = await holdWriteLock(storeFile, 2500);
    const steps = await writePoints(client, 500);
    await client.endRun('completed');
    assert.equal(existsSync(client.journal.file), true);
    assert.match(notices.at(-1)!, new RegExp(`^tracking: run ${client.id} is not complete in the store yet: \\d+ points wait in .*; \`tunelab runs sync --store .*\` writes them once it is reachable$`));
    await lock.released;
    assert.equal((await store.getRun(client.id)).status, 'running', 'not completed while its points are missing');
    const sync = await runCli(['runs', 'sync', '--store', storeFile]);
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, new RegExp(`^run ${client.id}: ${steps} points written$`, 'm'));
    assert.deepEqual(await storedSteps(store, client.id), range(steps));
    assert.equal((await store.getRun(client.id)).status, 'completed');
    assert.equal(existsSync(client.journal.file), false);
  });
});

const fastLimits: DurabilityOptions = { flushIntervalMs: 100, retryDelayMs: 50, maxRetryDelayMs: 200 };

/** Logs `loss` at 10k steps per second of wall time (catching up after the event loop was blocked) for `ms`. */
async function writePoints(client: RunClient, ms: number): Promise<number> {
  const start = Date.now();
  let step = 0;
  for (;;) {
    const elapsed = Date.now() - start;
    const due = Math.floor(Math.min(elapsed, ms) * POINTS_PER_SECOND / 1000);
    for (; step < due; step++) client.logMetrics(step, { loss: 1 / (step + 1) });
    if (elapsed >= ms) return step;
    await sleep(5);
  }
}

/** Another process takes SQLite's write lock (BEGIN IMMEDIATE) and keeps it for `ms`. */
async function holdWriteLock(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n'); setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, file, String(ms)], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited ${code}`)))));
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { released };
}

async function storedSteps(store: Store, runId: string): Promise<number[]> {
  const series = await store.getMetrics(runId, ['loss']);
  return series[0]?.points.map((p) => p.step) ?? [];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
