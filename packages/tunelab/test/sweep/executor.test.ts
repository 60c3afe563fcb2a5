// The local executor: output files, protocol parsing, exit codes, SIGTERM → SIGKILL, and re-attaching to a
// process it did not start (what a resumed controller does).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalExecutor, groupRunning, isTrialProcessAlive } from '../../src/sweep/executors/local.js';
import type { OutputBatch, TrialHandle } from '../../src/sweep/types.js';

const objective = fileURLToPath(new URL('./fixtures/objective.mjs', import.meta.url));

async function drain(handle: TrialHandle, limit = Infinity): Promise<OutputBatch[]> {
  const batches: OutputBatch[] = [];
  for await (const batch of handle.reports) {
    batches.push(batch);
    if (batches.reduce((n, b) => n + b.points.length, 0) >= limit) break;
  }
  return batches;
}

describe('LocalExecutor', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tunelab-exec-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const executor = new LocalExecutor({ pollMs: 20, killGraceMs: 300 });
  const env = (runId: string) => ({ ...process.env, TUNELAB_RUN_ID: runId, TUNELAB_TRIAL_NUMBER: '0' }) as Record<string, string>;

  it('captures output, parses reports and records the exit code', async () => {
    const runDir = join(dir, 'ok');
    const handle = executor.launch({ runId: 'ok', runDir, cwd: dir }, `node ${objective} --x 2 --steps 3 --sleep-ms 10 --exit-code 3`, env('ok'));
    const batches = await drain(handle);
    assert.deepEqual(await handle.wait(), { exitCode: 3, signal: null });
    const points = batches.flatMap((b) => b.points);
    assert.deepEqual(points.map((p) => [p.name, p.step, p.value]), [['loss', 1, 5], ['loss', 2, 4.5], ['loss', 3, 4 + 1 / 3]]);
    const stdout = readFileSync(join(runDir, 'stdout.log'), 'utf8');
    assert.equal(batches.at(-1)!.stdoutOffset, Buffer.byteLength(stdout), 'everything consumed');
    assert.equal(batches.flatMap((b) => b.logs).filter((l) => l.stream === 'stdout').map((l) => l.text).join(''), stdout);
    assert.match(batches.flatMap((b) => b.logs).filter((l) => l.stream === 'stderr').map((l) => l.text).join(''), /failed on purpose with code 3/);
    assert.equal(readFileSync(join(runDir, 'exit_code'), 'utf8'), '3');
  });

  it('logs malformed reports instead of failing', async () => {
    const handle = executor.launch({ runId: 'bad', runDir: join(dir, 'bad'), cwd: dir }, `echo '@tunelab {"step": "one"}'`, env('bad'));
    const logs = (await drain(handle)).flatMap((b) => b.logs);
    assert.ok(logs.some((l) => l.stream === 'log' && /ignored malformed report on stdout \(step: /.test(l.text)), JSON.stringify(logs));
  });

  it('terminates with SIGTERM, then SIGKILL when the process ignores it', async () => {
    // A long grace for the polite one: it must end on SIGTERM well before a kill would come.
    const patient = new LocalExecutor({ pollMs: 20, killGraceMs: 10_000 });
    const polite = patient.launch({ runId: 'polite', runDir: join(dir, 'polite'), cwd: dir }, `node ${objective} --x 1 --steps 1000 --sleep-ms 20`, env('polite'));
    await drain(polite, 1);
    const t0 = Date.now();
    await polite.terminate('test');
    assert.ok(Date.now() - t0 < 5000, 'SIGTERM suffices');
    assert.equal((await polite.wait()).exitCode, 143, 'the wrapper outlives SIGTERM and reports 128 + 15');

    const stubborn = executor.launch({ runId: 'stubborn', runDir: join(dir, 'stubborn'), cwd: dir }, `node ${objective} --x 1 --steps 1000 --sleep-ms 20 --ignore-term`, env('stubborn'));
    await drain(stubborn, 1);
    const t1 = Date.now();
    await stubborn.terminate('test');
    assert.ok(Date.now() - t1 >= 300, 'waited the grace period');
    assert.equal(groupRunning(stubborn.pid), false, 'the command that ignored SIGTERM is gone too');
    assert.equal(groupRunning(polite.pid), false);
  });

  it('re-attaches to a running process from the recorded offsets', async () => {
    const runDir = join(dir, 'orphan');
    const first = executor.launch({ runId: 'orphan', runDir, cwd: dir }, `node ${objective} --x 3 --steps 6 --sleep-ms 60`, env('orphan'));
    const early = await drain(first, 2); // a controller that read two reports, then "died"
    const offsets = { stdout: early.at(-1)!.stdoutOffset, stderr: early.at(-1)!.stderrOffset };
    assert.equal(isTrialProcessAlive(first.pid, 'orphan'), true);
    assert.equal(isTrialProcessAlive(first.pid, 'some-other-run'), false, 'a recycled pid is not taken for ours');
    const second = new LocalExecutor({ pollMs: 20 }).attach({ runId: 'orphan', runDir, pid: first.pid, stdoutOffset: offsets.stdout, stderrOffset: offsets.stderr })!;
    const rest = await drain(second);
    assert.deepEqual(await second.wait(), { exitCode: 0, signal: null }, 'exit status read from the exit_code file');
    const steps = [...early, ...rest].flatMap((b) => b.points.map((p) => p.step));
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6], 'every report exactly once');
  });

  it('reports a vanished process without an exit status as lost (null)', () => {
    assert.equal(new LocalExecutor().attach({ runId: 'gone', runDir: join(dir, 'gone'), pid: 2 ** 22 + 12345, stdoutOffset: 0, stderrOffset: 0 }), null);
  });
});
