// Where a rank learns who it is: the environment its launcher set.
// Four launchers, one answer. Precedence (first match wins):
//   1. torchrun / Kubeflow PyTorchJob / `tunelab train --nproc-per-node`: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
//   2. Open MPI `mpirun`: OMPI_COMM_WORLD_RANK / _SIZE / _LOCAL_RANK (+ MASTER_ADDR unless every rank is on one node)
//   3. Slurm `srun`: SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID; the rendezvous host is the first host of SLURM_JOB_NODELIST
// torchrun's variables win because torchrun started under srun or mpirun sets its own, and those are the ones its
// children must use.
import { InputError } from '../errors.js';

/** The rendezvous port torch uses when none is given (torch.distributed's default). */
export const DEFAULT_MASTER_PORT = 29500;

export type RankLauncher = 'torchrun' | 'mpirun' | 'slurm';

export interface RankEnv {
  /** Global rank, 0 ≤ rank < worldSize. */
  rank: number;
  worldSize: number;
  /** Rank among the processes of this machine: picks the GPU (`cuda:${localRank}`). */
  localRank: number;
  /** Host of rank 0, where the TCPStore rendezvous listens. */
  masterAddr: string;
  masterPort: number;
  /** Which contract the values came from. */
  launcher: RankLauncher;
}

/** A launcher variable is missing, not an integer, or inconsistent with the others. */
export class EnvContractError extends InputError {
  override name = 'EnvContractError';
}

type Env = Record<string, string | undefined>;

/**
 * The rank of this process under an external or tunelab launcher, or null when no launcher variables are set
 * (a plain single-process run).
 */
export function rankFromEnv(env: Env = process.env): RankEnv | null {
  if (env.RANK !== undefined || env.WORLD_SIZE !== undefined) return torchrunRank(env);
  if (env.OMPI_COMM_WORLD_RANK !== undefined) return mpirunRank(env);
  if (env.SLURM_PROCID !== undefined) return slurmRank(env);
  return null;
}

function torchrunRank(env: Env): RankEnv {
  const rank = requiredInt(env, 'RANK');
  const worldSize = requiredInt(env, 'WORLD_SIZE');
  // Kubeflow's PyTorchJob runs one process per pod and sets no LOCAL_RANK.
  const localRank = optionalInt(env, 'LOCAL_RANK') ?? 0;
  const single = worldSize === 1;
  const masterAddr = single ? (env.MASTER_ADDR ?? '127.0.0.1') : requiredString(env, 'MASTER_ADDR');
  const masterPort = single ? (optionalPort(env) ?? DEFAULT_MASTER_PORT) : requiredPort(env);
  return checked({ rank, worldSize, localRank, masterAddr, masterPort, launcher: 'torchrun' }, 'RANK', 'WORLD_SIZE');
}

function mpirunRank(env: Env): RankEnv {
  const rank = requiredInt(env, 'OMPI_COMM_WORLD_RANK');
  const worldSize = requiredInt(env, 'OMPI_COMM_WORLD_SIZE');
  const localRank = requiredInt(env, 'OMPI_COMM_WORLD_LOCAL_RANK');
  // Open MPI does not tell where rank 0 runs. On one node it is this one; across nodes the user says so.
  const localSize = optionalInt(env, 'OMPI_COMM_WORLD_LOCAL_SIZE');
  let masterAddr = env.MASTER_ADDR;
  if (masterAddr === undefined || masterAddr === '') {
    if (localSize !== worldSize) {
      throw new EnvContractError(
        `mpirun: ranks span several nodes (OMPI_COMM_WORLD_SIZE=${worldSize}, OMPI_COMM_WORLD_LOCAL_SIZE=${localSize ?? 'unset'}) ` +
          'but MASTER_ADDR is not set: pass `mpirun -x MASTER_ADDR=<host of rank 0>`');
    }
    masterAddr = '127.0.0.1';
  }
  const masterPort = optionalPort(env) ?? DEFAULT_MASTER_PORT;
  return checked({ rank, worldSize, localRank, masterAddr, masterPort, launcher: 'mpirun' },
    'OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE');
}

function slurmRank(env: Env): RankEnv {
  const rank = requiredInt(env, 'SLURM_PROCID');
  const worldSize = requiredInt(env, 'SLURM_NTASKS');
  const localRank = requiredInt(env, 'SLURM_LOCALID');
  let masterAddr = env.MASTER_ADDR;
  if (masterAddr === undefined || masterAddr === '') {
    const name = env.SLURM_JOB_NODELIST !== undefined ? 'SLURM_JOB_NODELIST' : 'SLURM_NODELIST';
    const nodelist = requiredString(env, name);
    masterAddr = firstSlurmHost(nodelist, name);
  }
  const masterPort = optionalPort(env) ?? DEFAULT_MASTER_PORT;
  return checked({ rank, worldSize, localRank, masterAddr, masterPort, launcher: 'slurm' }, 'SLURM_PROCID', 'SLURM_NTASKS');
}

function checked(r: RankEnv, rankName: string, sizeName: string): RankEnv {
  if (r.worldSize < 1) throw new EnvContractError(`${sizeName}=${r.worldSize}: must be at least 1`);
  if (r.rank >= r.worldSize) {
    throw new EnvContractError(`${rankName}=${r.rank} is not below ${sizeName}=${r.worldSize}`);
  }
  if (r.localRank > r.rank) {
    throw new EnvContractError(`local rank ${r.localRank} is above global rank ${r.rank} (${rankName})`);
  }
  return r;
}

function requiredString(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new EnvContractError(`${name} is not set`);
  return value;
}

function requiredInt(env: Env, name: string): number {
  return parseNonNegativeInt(requiredString(env, name), name);
}

function optionalInt(env: Env, name: string): number | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : parseNonNegativeInt(value, name);
}

function parseNonNegativeInt(value: string, name: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new EnvContractError(`${name}=${JSON.stringify(value)} is not a non-negative integer`);
  }
  return Number(value.trim());
}

function requiredPort(env: Env): number {
  requiredString(env, 'MASTER_PORT');
  return optionalPort(env)!;
}

function optionalPort(env: Env): number | undefined {
  const port = optionalInt(env, 'MASTER_PORT');
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new EnvContractError(`MASTER_PORT=${port} is not a TCP port (1-65535)`);
  }
  return port;
}

/** The first host of a Slurm node list: `node[01-03],gpu7` → `node01`. */
export function firstSlurmHost(nodelist: string, name = 'SLURM_JOB_NODELIST'): string {
  const hosts = expandSlurmNodelist(nodelist, name);
  return hosts[0]!;
}

/**
 * Expands Slurm's compact host list (the syntax of `scontrol show hostnames`):
 * `node[01-03,07],gpu7` → node01 node02 node03 node07 gpu7; several brackets in one name multiply
 * (`r[1-2]n[1-2]` → r1n1 r1n2 r2n1 r2n2); zero padding follows the range's start.
 */
export function expandSlurmNodelist(nodelist: string, name = 'SLURM_JOB_NODELIST'): string[] {
  const bad = (why: string) => new EnvContractError(`${name}=${JSON.stringify(nodelist)}: ${why}`);
  const hosts: string[] = [];
  for (const item of splitTopLevel(nodelist, bad)) {
    if (item === '') throw bad('empty host name');
    let names = [''];
    for (const part of item.split(/(\[[^\]]*\])/)) {
      if (part === '') continue;
      const alternatives = part.startsWith('[') ? expandRanges(part.slice(1, -1), bad) : [part];
      names = names.flatMap((prefix) => alternatives.map((a) => prefix + a));
    }
    hosts.push(...names);
  }
  if (hosts.length === 0) throw bad('no hosts');
  return hosts;
}

/** Splits at commas that are not inside brackets. */
function splitTopLevel(list: string, bad: (why: string) => Error): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list.trim()) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (depth < 0 || depth > 1) throw bad('unbalanced brackets');
    if (ch === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw bad('unbalanced brackets');
  items.push(current);
  return items;
}

function expandRanges(ranges: string, bad: (why: string) => Error): string[] {
  const out: string[] = [];
  for (const range of ranges.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m) throw bad(`bad range ${JSON.stringify(range)}`);
    const [, start, end] = m as unknown as [string, string, string | undefined];
    const width = start.length;
    const lo = Number(start);
    const hi = end === undefined ? lo : Number(end);
    if (hi < lo) throw bad(`range ${range} runs backwards`);
    for (let i = lo; i <= hi; i++) out.push(String(i).padStart(width, '0'));
  }
  return out;
}
