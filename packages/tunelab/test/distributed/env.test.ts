// Env contracts: the variables torchrun/Kubeflow, Slurm and Open MPI set, as each documents them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvContractError, expandSlurmNodelist, firstSlurmHost, rankFromEnv } from 'tunelab/distributed/env';

test('no launcher variables: a single-process run', () => {
  assert.equal(rankFromEnv({ PATH: '/usr/bin', HOME: '/root' }), null);
});

test('torchrun: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT', () => {
  // What `torchrun --nnodes 2 --nproc-per-node 4 --node-rank 1 --master-addr 10.0.0.5` gives its 3rd local process.
  const env = { RANK: '6', WORLD_SIZE: '8', LOCAL_RANK: '2', LOCAL_WORLD_SIZE: '4', GROUP_RANK: '1',
    MASTER_ADDR: '10.0.0.5', MASTER_PORT: '29400' };
  assert.deepEqual(rankFromEnv(env),
    { rank: 6, worldSize: 8, localRank: 2, masterAddr: '10.0.0.5', masterPort: 29400, launcher: 'torchrun' });
});

test('Kubeflow PyTorchJob: one process per pod, no LOCAL_RANK', () => {
  const env = { RANK: '3', WORLD_SIZE: '4', MASTER_ADDR: 'job-master-0', MASTER_PORT: '23456' };
  assert.deepEqual(rankFromEnv(env),
    { rank: 3, worldSize: 4, localRank: 0, masterAddr: 'job-master-0', masterPort: 23456, launcher: 'torchrun' });
});

test('torchrun variables win over the Slurm and MPI ones of the job around them', () => {
  const env = { RANK: '1', WORLD_SIZE: '2', LOCAL_RANK: '1', MASTER_ADDR: 'a', MASTER_PORT: '1234',
    SLURM_PROCID: '0', SLURM_NTASKS: '1', SLURM_LOCALID: '0', SLURM_JOB_NODELIST: 'n1',
    OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '1', OMPI_COMM_WORLD_LOCAL_RANK: '0' };
  assert.equal(rankFromEnv(env)?.launcher, 'torchrun');
  assert.equal(rankFromEnv(env)?.rank, 1);
});

test('torchrun contract errors name the variable', () => {
  assert.throws(() => rankFromEnv({ RANK: '0' }), (e: unknown) =>
    e instanceof EnvContractError && /WORLD_SIZE is not set/.test(e.message));
  assert.throws(() => rankFromEnv({ RANK: 'one', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' }),
    /RANK="one" is not a non-negative integer/);
  assert.throws(() => rankFromEnv({ RANK: '2', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' }),
    /RANK=2 is not below WORLD_SIZE=2/);
  assert.throws(() => rankFromEnv({ RANK: '0', WORLD_SIZE: '2', MASTER_PORT: '1' }), /MASTER_ADDR is not set/);
  assert.throws(() => rankFromEnv({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '70000' }),
    /MASTER_PORT=70000 is not a TCP port/);
  // A world of one needs no rendezvous.
  assert.deepEqual(rankFromEnv({ RANK: '0', WORLD_SIZE: '1' }),
    { rank: 0, worldSize: 1, localRank: 0, masterAddr: '127.0.0.1', masterPort: 29500, launcher: 'torchrun' });
});

test('Slurm srun: SLURM_PROCID/NTASKS/LOCALID, master = first host of SLURM_JOB_NODELIST', () => {
  const env = { SLURM_PROCID: '5', SLURM_NTASKS: '6', SLURM_LOCALID: '1', SLURM_JOB_NODELIST: 'gpu[003-005],login1' };
  assert.deepEqual(rankFromEnv(env),
    { rank: 5, worldSize: 6, localRank: 1, masterAddr: 'gpu003', masterPort: 29500, launcher: 'slurm' });
  // MASTER_ADDR / MASTER_PORT set by the batch script take precedence.
  assert.deepEqual(rankFromEnv({ ...env, MASTER_ADDR: 'head', MASTER_PORT: '12000' }),
    { rank: 5, worldSize: 6, localRank: 1, masterAddr: 'head', masterPort: 12000, launcher: 'slurm' });
  // Older Slurm only sets SLURM_NODELIST.
  const { SLURM_JOB_NODELIST: _, ...old } = env;
  assert.equal(rankFromEnv({ ...old, SLURM_NODELIST: 'c7' })?.masterAddr, 'c7');
  assert.throws(() => rankFromEnv(old), /SLURM_NODELIST is not set/);
});

test('Slurm node lists expand like `scontrol show hostnames`', () => {
  assert.deepEqual(expandSlurmNodelist('node[01-03],gpu7'), ['node01', 'node02', 'node03', 'gpu7']);
  assert.equal(firstSlurmHost('node[01-03],gpu7'), 'node01');
  assert.deepEqual(expandSlurmNodelist('n[8-10,15]'), ['n8', 'n9', 'n10', 'n15']);
  assert.deepEqual(expandSlurmNodelist('r[1-2]c[07-08]'), ['r1c07', 'r1c08', 'r2c07', 'r2c08']);
  assert.deepEqual(expandSlurmNodelist('a-b.cluster,x[0]-ib'), ['a-b.cluster', 'x0-ib']);
  assert.equal(firstSlurmHost('[099-100]'), '099');
  for (const bad of ['node[01-03', 'node]1[', 'node[3-1]', 'node[a-b]', 'a,,b', '']) {
    assert.throws(() => expandSlurmNodelist(bad), (e: unknown) =>
      e instanceof EnvContractError && e.message.startsWith(`SLURM_JOB_NODELIST=${JSON.stringify(bad)}`), bad);
  }
});

test('Open MPI mpirun: OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK', () => {
  const oneNode = { OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_LOCAL_RANK: '1',
    OMPI_COMM_WORLD_LOCAL_SIZE: '4' };
  assert.deepEqual(rankFromEnv(oneNode),
    { rank: 1, worldSize: 4, localRank: 1, masterAddr: '127.0.0.1', masterPort: 29500, launcher: 'mpirun' });
  const twoNodes = { ...oneNode, OMPI_COMM_WORLD_RANK: '3', OMPI_COMM_WORLD_LOCAL_RANK: '1',
    OMPI_COMM_WORLD_LOCAL_SIZE: '2' };
  assert.throws(() => rankFromEnv(twoNodes), /MASTER_ADDR is not set.*mpirun -x MASTER_ADDR/);
  assert.deepEqual(rankFromEnv({ ...twoNodes, MASTER_ADDR: 'node1', MASTER_PORT: '4000' }),
    { rank: 3, worldSize: 4, localRank: 1, masterAddr: 'node1', masterPort: 4000, launcher: 'mpirun' });
  assert.throws(() => rankFromEnv({ ...oneNode, OMPI_COMM_WORLD_LOCAL_RANK: undefined }),
    /OMPI_COMM_WORLD_LOCAL_RANK is not set/);
});

test('MPI variables win over Slurm ones (mpirun inside an allocation)', () => {
  const env = { OMPI_COMM_WORLD_RANK: '0', OMPI_COMM_WORLD_SIZE: '2', OMPI_COMM_WORLD_LOCAL_RANK: '0',
    OMPI_COMM_WORLD_LOCAL_SIZE: '2', SLURM_PROCID: '0', SLURM_NTASKS: '1', SLURM_LOCALID: '0', SLURM_JOB_NODELIST: 'n1' };
  assert.equal(rankFromEnv(env)?.launcher, 'mpirun');
  assert.equal(rankFromEnv(env)?.worldSize, 2);
});
