// The launcher: rank environment, stopping every rank when one fails, the failing rank's error, signal forwarding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import {
  errorLineOf, freePort, launch, LaunchConfigError, RankFailedError,
} from 'tunelab/distributed/launcher';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const tsNode = [process.execPath, '--conditions=development', '--import', 'tsx'];
const rankArgv = [...tsNode, join(fixtures, 'launched-rank.ts')];

interface RankRecord { pid: number; env: Record<string, string> }

function withOutDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-test-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function readRank(dir: string, rank: number): RankRecord {
  return JSON.parse(readFileSync(join(dir, `rank-${rank}.json`), 'utf8')) as RankRecord;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const quiet = () => ({ stdout: new PassThrough().resume(), stderr: new PassThrough().resume() });

test('every rank gets the torchrun variables; all exit 0 → launch resolves', async () => {
  await withOutDir(async (dir) => {
    await launch({
      nprocPerNode: 3, nnodes: 2, nodeRank: 1, masterAddr: '10.1.2.3', masterPort: 23456,
      argv: rankArgv, env: { ...process.env, OUT_DIR: dir, OMP_NUM_THREADS: undefined }, ...quiet(),
    });
    for (const [localRank, rank] of [[0, 3], [1, 4], [2, 5]] as const) {
      assert.deepEqual(readRank(dir, rank).env, {
        RANK: String(rank), WORLD_SIZE: '6', LOCAL_RANK: String(localRank), LOCAL_WORLD_SIZE: '3', NODE_RANK: '1',
        MASTER_ADDR: '10.1.2.3', MASTER_PORT: '23456',
        OMP_NUM_THREADS: String(Math.max(1, Math.floor(availableParallelism() / 3))),
      });
    }
  });
});

test('one node, no port given: a free port, different for jobs launched side by side (torchrun --standalone)', async () => {
  await withOutDir(async (dir) => {
    const dirs = [join(dir, 'a'), join(dir, 'b')];
    const env = (out: string) => ({ ...process.env, OUT_DIR: out, MASTER_PORT: undefined });
    await Promise.all(dirs.map((out) => { mkdirSync(out); return launch({ nprocPerNode: 2, argv: rankArgv, env: env(out), ...quiet() }); }));
    const ports = dirs.map((out) => {
      const [a, b] = [readRank(out, 0).env.MASTER_PORT, readRank(out, 1).env.MASTER_PORT];
      assert.equal(a, b, 'both ranks of a job meet on one port');
      return Number(a);
    });
    assert.ok(ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536), String(ports));
    assert.notEqual(ports[0], ports[1], 'concurrent jobs rendezvous on different ports');
  });
});

test('the port of MASTER_PORT is kept, several nodes default to 29500, a bad MASTER_PORT is refused', async () => {
  await withOutDir(async (dir) => {
    await launch({ nprocPerNode: 1, argv: rankArgv, env: { ...process.env, OUT_DIR: dir, MASTER_PORT: '23457' }, ...quiet() });
    assert.equal(readRank(dir, 0).env.MASTER_PORT, '23457');
    await launch({ nprocPerNode: 1, nnodes: 2, nodeRank: 1, masterAddr: '10.1.2.3', argv: rankArgv,
      env: { ...process.env, OUT_DIR: dir, MASTER_PORT: undefined }, ...quiet() });
    assert.equal(readRank(dir, 1).env.MASTER_PORT, '29500', 'other nodes could not learn a port picked here');
  });
  await assert.rejects(launch({ nprocPerNode: 1, argv: ['true'], env: { MASTER_PORT: '80x' } }),
    (e: unknown) => e instanceof LaunchConfigError && e.message === 'MASTER_PORT="80x" is not a TCP port (1-65535)');
});

test('freePort gives a port that can be listened on', async () => {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a rank that throws: the others are stopped and the error names the rank and its message', async () => {
  await withOutDir(async (dir) => {
    const started = Date.now();
    const error = await launch({
      nprocPerNode: 3, argv: rankArgv, stopGraceMs: 60_000, ...quiet(),
      env: { ...process.env, OUT_DIR: dir, RANK_PLAN: JSON.stringify({ 0: 'wait', 1: 'throw', 2: 'wait' }) },
    }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof RankFailedError, String(error));
    assert.equal(error.failed.rank, 1);
    assert.equal(error.exitCode, 1);
    assert.equal(error.message, 'rank 1 (node 0, local rank 1) exited with code 1: RangeError: boom on rank 1 at step 3');
    for (const rank of [0, 2]) {
      assert.ok(existsSync(join(dir, `sigterm-${rank}`)), `rank ${rank} got SIGTERM`);
      assert.equal(alive(readRank(dir, rank).pid), false, `rank ${rank} stopped`);
    }
    assert.ok(Date.now() - started < 30_000, 'stopped by SIGTERM, without waiting for the 60 s kill timeout');
  });
});

test('a rank killed by SIGKILL: the job stops and says so', async () => {
  await withOutDir(async (dir) => {
    const error = await launch({
      nprocPerNode: 2, argv: rankArgv, ...quiet(),
      env: { ...process.env, OUT_DIR: dir, RANK_PLAN: JSON.stringify({ 0: 'wait', 1: 'sigkill' }) },
    }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof RankFailedError, String(error));
    assert.equal(error.failed.rank, 1);
    assert.equal(error.signal, 'SIGKILL');
    assert.match(error.message, /^rank 1 \(node 0, local rank 1\) was killed by SIGKILL/);
    assert.equal(alive(readRank(dir, 0).pid), false);
  });
});

test('a rank outside runRank: its error line comes from its stderr', async () => {
  await withOutDir(async (dir) => {
    const stderr = new PassThrough();
    let forwarded = '';
    stderr.on('data', (c: Buffer) => { forwarded += c.toString(); });
    const error = await launch({
      nprocPerNode: 2, argv: rankArgv, stdout: new PassThrough().resume(), stderr,
      env: { ...process.env, OUT_DIR: dir, RANK_PLAN: JSON.stringify({ 0: 'throw-plain', 1: 'wait' }) },
    }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof RankFailedError, String(error));
    assert.equal(error.failed.rank, 0);
    assert.equal(error.rankError, 'TypeError: plain failure on rank 0');
    assert.match(forwarded, /TypeError: plain failure on rank 0/, 'rank stderr is forwarded');
  });
});

test('a rank that ignores SIGTERM is killed after the grace period', async () => {
  await withOutDir(async (dir) => {
    const error = await launch({
      nprocPerNode: 2, argv: rankArgv, stopGraceMs: 300, ...quiet(),
      env: { ...process.env, OUT_DIR: dir, RANK_PLAN: JSON.stringify({ 0: 'ignore-sigterm', 1: 'throw' }) },
    }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof RankFailedError);
    assert.equal(error.failed.rank, 1);
    assert.ok(existsSync(join(dir, 'sigterm-0')));
    assert.equal(alive(readRank(dir, 0).pid), false);
  });
});

test('SIGTERM to the launcher is forwarded to every rank; it exits 128+15', async () => {
  await withOutDir(async (dir) => {
    const launcher = spawn(tsNode[0]!, [...tsNode.slice(1), join(fixtures, 'launch-main.ts'), '--nproc-per-node', '2',
      '--', ...rankArgv], {
      env: { ...process.env, OUT_DIR: dir, RANK_PLAN: JSON.stringify({ 0: 'wait', 1: 'wait' }) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    launcher.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number | null>((resolve) => launcher.on('close', (code) => resolve(code)));
    while (launcher.exitCode === null && (!existsSync(join(dir, 'rank-0.json')) || !existsSync(join(dir, 'rank-1.json')))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    launcher.kill('SIGTERM');
    assert.equal(await exited, 143);
    assert.match(stderr, /launcher: interrupted by SIGTERM: every rank was stopped/);
    for (const rank of [0, 1]) {
      assert.ok(existsSync(join(dir, `sigterm-${rank}`)), `rank ${rank} got SIGTERM`);
      assert.equal(alive(readRank(dir, rank).pid), false);
    }
  });
});

test('bad launcher arguments are LaunchConfigErrors naming the flag', async () => {
  const cases: [Parameters<typeof launch>[0], RegExp][] = [
    [{ nprocPerNode: 0, argv: ['true'] }, /--nproc-per-node must be an integer ≥ 1, got 0/],
    [{ nprocPerNode: 1, nnodes: 2, nodeRank: 2, masterAddr: 'h', argv: ['true'] }, /--node-rank 2 must be below --nnodes 2/],
    [{ nprocPerNode: 1, nnodes: 2, argv: ['true'] }, /--nnodes 2 needs --master-addr/],
    [{ nprocPerNode: 1, masterPort: 70000, argv: ['true'] }, /--master-port must be ≤ 65535/],
    [{ nprocPerNode: 1, argv: [] }, /no command to launch/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(launch(options), (e: unknown) => e instanceof LaunchConfigError && message.test(e.message));
  }
});

test('a command that cannot start fails like a rank', async () => {
  const error = await launch({ nprocPerNode: 1, argv: ['/nonexistent/tunelab-rank'], ...quiet() })
    .then(() => null, (e: unknown) => e);
  assert.ok(error instanceof RankFailedError);
  assert.match(error.message, /rank 0 .* exited with code 127: cannot start \/nonexistent\/tunelab-rank: spawn .* ENOENT/);
});

test('errorLineOf picks the error line of a Node stack trace', () => {
  const tail = 'file:///x.ts:3\n  throw e\n  ^\n\nError: disk full\n    at main (x.ts:3:9)\n\nNode.js v20.19.0\n';
  assert.equal(errorLineOf(tail), 'Error: disk full');
  assert.equal(errorLineOf('Segmentation fault\n'), 'Segmentation fault');
  assert.equal(errorLineOf(''), '');
});
