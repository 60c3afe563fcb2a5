// c10d over Gloo between real processes: collectives, timeouts that turn a hung or dead peer into TorchError,
// and the bucketed gradient reducer (after backward and overlapped through autograd hooks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '@tunelab/torch';
import { distributed, TorchError } from '@tunelab/torch';

const rankScript = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'distributed-rank.ts');

interface RankOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  result: Record<string, unknown> | null;
  stderr: string;
}

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the ranks of a scenario; once rank 0 has exited, the others get `afterRank0` (e.g. a hung peer: SIGKILL). */
async function runRanks(scenario: string, env: Record<string, string> = {}, afterRank0?: NodeJS.Signals): Promise<RankOutcome[]> {
  const port = await freePort();
  const worldSize = 2;
  const children: ReturnType<typeof spawn>[] = [];
  return Promise.all(Array.from({ length: worldSize }, (_, rank) => new Promise<RankOutcome>((resolve) => {
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', rankScript, scenario], {
      env: { ...process.env, ...env, RANK: String(rank), WORLD_SIZE: String(worldSize), MASTER_PORT: String(port),
        OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('close', (code, signal) => {
      if (rank === 0 && afterRank0) for (const other of children.slice(1)) other.kill(afterRank0);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      resolve({ code, signal, result: line ? JSON.parse(line.slice(7)) : null, stderr });
    });
  })));
}

// A libtorch without gloo headers (pip's torch wheels ship none) builds the addon without Gloo: then these tests skip,
// except under CI, whose Debian libtorch + libgloo-dev must have it.
const needsGloo = {
  skip: distributed.availableBackends().includes('gloo') || process.env.CI === 'true' ? false
    : 'this build has no gloo backend (libtorch without gloo headers)',
};

test('gloo is compiled into this build', needsGloo, () => {
  assert.ok(distributed.availableBackends().includes('gloo'));
});

test('2 ranks over TCPStore: all_reduce (sum/avg/max/min/product), broadcast, all_gather, barrier', needsGloo, async () => {
  const ranks = await runRanks('collectives');
  for (const [rank, outcome] of ranks.entries()) {
    assert.equal(outcome.code, 0, `rank ${rank}: ${outcome.stderr}`);
    assert.deepEqual(outcome.result, {
      sum: [1 + 2, 10 + 20],
      avg: [[0.5, 1], [1, -0.5]],
      max: [1, 0, 5],
      min: [0, -1],
      product: [2 * 3],
      many: [[0 + 1], [[3, 3], [3, 3]]],
      broadcast: [7, 8, 9],
      gathered: [{ shape: [1, 2], values: [0, 0] }, { shape: [1, 2], values: [1, 2] }],
      async: [1.5],
      asyncCompleted: true,
    }, `rank ${rank}`);
  }
});

test('a hung peer: the collective throws TorchError after the timeout and the process lives on', needsGloo, async () => {
  const [rank0] = await runRanks('hungPeer', { TIMEOUT_MS: '1500' }, 'SIGKILL');
  assert.equal(rank0!.code, 0, rank0!.stderr);
  const result = rank0!.result as { error: string; isTorchError: boolean; elapsedMs: number };
  assert.equal(result.isTorchError, true);
  assert.match(result.error, /^TorchError: allReduce failed on rank 0 of 2 \(gloo\): .*Timed out/);
  assert.ok(result.elapsedMs >= 1400 && result.elapsedMs < 10000, `timed out after ${result.elapsedMs} ms`);
});

test('a dead peer: the collective throws TorchError at once, not after the timeout', needsGloo, async () => {
  const [rank0, rank1] = await runRanks('deadPeer', { TIMEOUT_MS: '30000' });
  assert.equal(rank1!.signal, 'SIGKILL');
  assert.equal(rank0!.code, 0, rank0!.stderr);
  const result = rank0!.result as { error: string; isTorchError: boolean; elapsedMs: number };
  assert.equal(result.isTorchError, true);
  assert.match(result.error, /^TorchError: allReduce failed on rank 0 of 2 \(gloo\): /);
  assert.ok(result.elapsedMs < 10000, `failed after ${result.elapsedMs} ms`);
});

test('gradient reducer: averaged gradients equal the mean of every rank\'s, with and without hooks', needsGloo, async () => {
  const ranks = await runRanks('gradientReducer');
  for (const [rank, outcome] of ranks.entries()) {
    assert.equal(outcome.code, 0, `rank ${rank}: ${outcome.stderr}`);
    const result = outcome.result as Record<string, { steps: number[]; accumulated: number; buckets: number }>;
    for (const mode of ['afterBackward', 'overlap']) {
      const r = result[mode]!;
      // 4 buckets of ≤ 48 bytes (float64): [onlyRank0, b2], [w2], [b1], [w1].
      assert.equal(r.buckets, 4, `${mode} buckets`);
      for (const diff of r.steps) assert.ok(diff < 1e-12, `rank ${rank} ${mode}: max |Δgrad| ${diff}`);
      assert.ok(r.accumulated < 1e-12, `rank ${rank} ${mode} accumulated: max |Δgrad| ${r.accumulated}`);
    }
  }
});

test('rendezvous without peers fails with a TorchError naming the address', needsGloo, () => {
  assert.throws(
    () => distributed.initProcessGroup({ backend: 'gloo', rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: 1, rendezvousTimeoutMs: 500 }),
    (e: unknown) => e instanceof TorchError && /^rendezvous of rank 0 of 2 at 127\.0\.0\.1:1 \(gloo, timeout 500 ms\) failed: /.test(e.message));
});

test('bad arguments are TorchErrors; a destroyed group refuses collectives', needsGloo, async () => {
  const masterPort = await freePort();
  const bad = (options: Partial<distributed.ProcessGroupOptions>, message: RegExp) => assert.throws(
    () => distributed.initProcessGroup({ backend: 'gloo', rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort, ...options }),
    (e: unknown) => e instanceof TorchError && message.test(e.message));
  bad({ rank: 1 }, /rank 1 is outside world size 1/);
  bad({ masterPort: 70000 }, /masterPort 70000 is not a TCP port/);
  bad({ backend: 'mpi' as distributed.Backend }, /unknown backend 'mpi'/);
  bad({ timeoutMs: 0 }, /timeoutMs must be a positive integer/);
  bad({ rendezvousTimeoutMs: 1.5 }, /rendezvousTimeoutMs must be a positive integer/);
  if (!distributed.availableBackends().includes('nccl')) bad({ backend: 'nccl' }, /no nccl backend/);

  // A world of one needs no peers: the collectives are identities.
  const pg = distributed.initProcessGroup({ backend: 'gloo', rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort });
  torch.scope(() => {
    const t = torch.tensor([1.5, -2], { dtype: 'float32' });
    pg.allReduce(t, { op: 'avg' });
    assert.deepEqual(t.toArray(), [1.5, -2]);
    assert.throws(() => pg.allReduce(torch.zeros([2, 3]).transpose(0, 1)), /allReduce: tensors must be contiguous/);
    assert.throws(() => pg.allReduce(torch.tensor([1, 2]), { op: 'avg' }), /op 'avg' needs floating-point tensors/);
    assert.throws(() => pg.allReduce(t, { op: 'mean' as distributed.ReduceOp }), /unknown reduce op 'mean'/);
    assert.throws(() => pg.broadcast(t, { src: 1 }), /broadcast: src 1 is not a rank/);
    assert.throws(() => pg.gradientReducer([torch.zeros([2])], { bucketBytes: 1024, overlap: true }),
      /params\[0\] must be a leaf tensor that requires grad/);
  });
  pg.destroy();
  assert.equal(pg.isDestroyed, true);
  assert.throws(() => pg.barrier(), (e: unknown) => e instanceof TorchError && /barrier: the process group was destroyed/.test(e.message));
});
