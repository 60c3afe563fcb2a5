// `tunelab train` while another process holds the SQLite store's write lock longer than busy_timeout (200 ms here,
// TUNELAB_SQLITE_BUSY_TIMEOUT_MS): training goes on, exits 0, and every logged point reaches the store (T11 item 1).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { openStore } from '../../src/track/store.js';
import { GLUE, REPO, finished, startCli, tempDir, tinyModelFolder } from './helpers.js';

// About 3 s of training: the tracker's first flush (after 1 s) lands mid-run, so the lock does too.
const STEPS = 600;

test('a store locked mid-run loses no train_loss point and the run completes', async () => {
  const dir = tempDir();
  const storeFile = join(dir, 'tunelab.db');
  const child = startCli(['train', '--model', tinyModelFolder(), '--task', 'glue/mrpc', '--from-scratch', '--threads', '1',
    '--precision', 'fp32', '--train-file', join(GLUE, 'MRPC/dev.tsv'), '--max-train-samples', '64', '--batch-size', '4',
    '--max-steps', String(STEPS), '--log-every', '1', '--save-every', '0', '--output-dir', join(dir, 'out'), '--store', storeFile, '--json'],
  { TUNELAB_SQLITE_BUSY_TIMEOUT_MS: '200' });
  const exited = finished(child);
  const store = await openStore(storeFile);
  // Once the first points are in, another process takes the write lock for 2 s. It is started now and locks when
  // told, so no process start-up sits between seeing the points and taking the lock.
  const lockHolder = spawn(process.execPath, ['-e', `process.stdin.once('data', () => {
    const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n'); setTimeout(() => db.exec('COMMIT'), 2000); });
    process.stdout.write('ready\\n');`, storeFile], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const said = createInterface({ input: lockHolder.stdout! })[Symbol.asyncIterator]();
    const released = new Promise((r) => lockHolder.once('exit', r));
    assert.equal((await said.next()).value, 'ready');
    const stored = async () => (await store.getMetricSummaries((await store.listRuns()).map((r) => r.id))).find((s) => s.name === 'train_loss')?.count ?? 0;
    while (child.exitCode === null && (await stored()) === 0) await new Promise((r) => setTimeout(r, 20));
    lockHolder.stdin!.end('lock\n');
    assert.equal((await said.next()).value, 'locked');
    assert.equal(child.exitCode, null, 'the lock is taken while training runs');
    assert.ok((await stored()) < STEPS, 'the lock is taken while points are still to come');
    const result = await exited;
    await released;
    assert.equal(result.code, 0, result.stderr);
    const [run] = await store.listRuns();
    assert.equal(run.status, 'completed');
    const [loss] = await store.getMetrics(run.id, ['train_loss']);
    assert.deepEqual(loss.points.map((p) => p.step), Array.from({ length: STEPS }, (_, i) => i + 1), 'every step once');
  } finally {
    lockHolder.kill();
    await store.close();
  }
});
