// The run client: batched writes, ending runs, stop requests, and reporting from a child process via env.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunClient, startRun } from '../../src/track/client.js';
import { NotFoundError, StoreInputError, type Store } from '../../src/track/store.js';
import { freshStore, sqliteBackend } from '../contracts/backends.js';

const fixture = fileURLToPath(new URL('./fixtures/child-reporter.ts', import.meta.url));
const runChild = (mode: string, env: Record<string, string>) =>
  execFileSync(process.execPath, ['--conditions=development', '--import', 'tsx', fixture, mode], {
    env: { ...process.env, ...env }, encoding: 'utf8',
  });

describe('RunClient', () => {
  let store: Store;
  let url: string;
  let home: string;
  let dispose: () => Promise<void>;
  before(async () => ({ store, url, home, dispose } = await freshStore(sqliteBackend)));
  after(async () => dispose());

  it('buffers writes until a flush, then ends the run it started', async () => {
    const client = await startRun({ experiment: 'client', name: 'batched', params: { lr: 0.01 }, tags: ['t1'], store, flushIntervalMs: 60_000 });
    client.logParams({ epochs: 3 });
    for (let step = 0; step < 5; step++) client.logMetrics(step, { loss: 1 - step / 10, acc: step / 10 });
    client.log('hello');
    assert.deepEqual(await store.getMetrics(client.id), [], 'nothing written before the flush');
    await client.endRun();
    const run = await store.getRun(client.id);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.params, { lr: 0.01, epochs: 3 });
    assert.deepEqual(run.tags, ['t1']);
    assert.match(run.gitCommit ?? '', /^[0-9a-f]{40}$/, 'the test runs inside the repository');
    const series = await store.getMetrics(client.id);
    assert.deepEqual(series.map((s) => [s.name, s.points.length]), [['acc', 5], ['loss', 5]]);
    assert.deepEqual((await store.readLog(client.id)).map((c) => c.text), ['hello\n']);
    await client.endRun(); // idempotent
    assert.throws(() => client.logMetrics(9, { loss: 0 }), StoreInputError);
  });

  it('ends with a given status and reason, and validates metrics on the spot', async () => {
    const client = await startRun({ experiment: 'client', store });
    assert.throws(() => client.logMetrics(1, { loss: '0.5' as unknown as number }), StoreInputError);
    assert.throws(() => client.logMetrics(-1, { loss: 0.5 }), StoreInputError);
    await client.endRun('failed', 'diverged');
    const run = await store.getRun(client.id);
    assert.deepEqual([run.status, run.reason], ['failed', 'diverged']);
  });

  it('learns about stop requests on flush', async () => {
    const client = await startRun({ experiment: 'client', store });
    assert.equal(client.stopRequested, null);
    await store.requestRunStop(client.id, 'stopped from the dashboard');
    await client.flush();
    assert.equal(client.stopRequested, 'stopped from the dashboard');
    await client.endRun('terminated', client.stopRequested);
  });

  it('attaches from env inside a child process; the launcher keeps the run open', async () => {
    const run = await store.createRun({ experiment: 'client', name: 'launched' });
    runChild('attach', { TUNELAB_RUN_ID: run.id, TUNELAB_STORE: url, TUNELAB_HOME: home });
    const after = await store.getRun(run.id);
    assert.equal(after.status, 'running', 'a fromEnv client does not end the run');
    assert.deepEqual(after.params, { from_child: true });
    assert.deepEqual((await store.getMetrics(run.id))[0].points.map((p) => p.value), [1, 0.5, 1 / 3]);
    assert.deepEqual((await store.readLog(run.id)).map((c) => c.text), ['child says hi\n']);
    assert.deepEqual((await store.listArtifacts(run.id)).map((a) => a.name), ['child.txt']);
    await store.setRunStatus(run.id, 'completed', { exitCode: 0 });
  });

  it('flushes and completes a started run when the process exits without endRun', async () => {
    const runId = runChild('forget-end', { TUNELAB_STORE: url }).trim();
    const run = await store.getRun(runId);
    assert.equal(run.status, 'completed');
    assert.equal((await store.getMetrics(runId))[0].points[0].value, 0.75);
  });

  it('fromEnv names what is missing', async () => {
    await assert.rejects(RunClient.fromEnv({}), (e: Error) => e instanceof StoreInputError && /TUNELAB_RUN_ID/.test(e.message));
    await assert.rejects(RunClient.fromEnv({ TUNELAB_RUN_ID: 'nope', TUNELAB_STORE: url }), NotFoundError);
  });
});
