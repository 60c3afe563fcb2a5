// How `tunelab train` becomes data-parallel. Two roles, one command line:
// - the launcher: `--nproc-per-node N` without rank variables in the environment starts N ranks of the same command
//   (minus the launcher flags) through launch(), and turns a failing rank into this process's error and exit code;
// - a rank: rank variables in the environment (ours, torchrun/Kubeflow, Slurm or mpirun) join a c10d process group
//   (NCCL on CUDA, Gloo on CPU) and train with gradients all-reduced; rank 0 alone writes and tracks.
import { constants } from 'node:os';
import * as torch from '@tunelab/torch';
import { distributed } from '@tunelab/torch';
import { createDataParallel, type DataParallel } from './data-parallel.js';
import { rankFromEnv, type RankEnv } from './env.js';
import { launch, LaunchConfigError, LaunchInterruptedError, RankFailedError } from './launcher.js';
import type { TrainArgs } from '../train/args.js';
import { TrainConfigError } from '../train/errors.js';
import { fineTune } from '../train/finetune.js';
import type { Reporter } from '../train/progress.js';
import { recordRankError } from './rank-main.js';
import { exitCodeOf } from '../errors.js';

/** The launcher flags of `tunelab train`, as commander names them. */
export interface LaunchFlags {
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
}

const LAUNCH_FLAG_NAMES = ['nprocPerNode', 'nnodes', 'nodeRank', 'masterAddr', 'masterPort'] as const;
const LAUNCH_ARGV_FLAGS = ['--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port'];

/**
 * Removes the launcher flags from commander's parsed flags (the training arguments never see them) and returns them,
 * or null when `--nproc-per-node` was not given. Other launcher flags without it are a configuration error.
 */
export function takeLaunchFlags(flags: Record<string, unknown>): LaunchFlags | null {
  const given: Record<string, unknown> = {};
  for (const name of LAUNCH_FLAG_NAMES) {
    if (flags[name] !== undefined) given[name] = flags[name];
    delete flags[name];
  }
  if (Object.keys(given).length === 0) return null;
  if (given.nprocPerNode === undefined) {
    throw new TrainConfigError('--nnodes, --node-rank, --master-addr and --master-port need --nproc-per-node');
  }
  const integer = (name: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n)) throw new TrainConfigError(`--${kebab(name)}: expected an integer, got ${String(value)}`);
    return n;
  };
  return {
    nprocPerNode: integer('nprocPerNode', given.nprocPerNode)!,
    nnodes: integer('nnodes', given.nnodes),
    nodeRank: integer('nodeRank', given.nodeRank),
    masterAddr: given.masterAddr as string | undefined,
    masterPort: integer('masterPort', given.masterPort),
  };
}

/** True when this process is a rank started by a launcher (ours or an external one). */
export function isLaunchedRank(env: Record<string, string | undefined> = process.env): boolean {
  return rankFromEnv(env) !== null;
}

/**
 * Starts the ranks of this very command. Resolves when all ranks succeeded; otherwise sets the exit code the way
 * torchrun does (1 for a failed rank, 2 for bad launcher flags, 128 + signal when interrupted) after printing the
 * failing rank's error in one line.
 */
export async function launchTrainRanks(flags: LaunchFlags, argv: string[] = process.argv): Promise<void> {
  const rankArgv = [process.execPath, ...process.execArgv, argv[1], ...withoutLaunchFlags(argv.slice(2))];
  try {
    await launch({ ...flags, argv: rankArgv });
  } catch (err) {
    if (!(err instanceof RankFailedError || err instanceof LaunchConfigError || err instanceof LaunchInterruptedError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err instanceof LaunchInterruptedError ? 128 + constants.signals[err.signal] : exitCodeOf(err);
  }
}

/** The command line without the launcher flags (both `--flag value` and `--flag=value`). */
export function withoutLaunchFlags(args: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (LAUNCH_ARGV_FLAGS.includes(arg)) { i++; continue; }
    if (LAUNCH_ARGV_FLAGS.some((flag) => arg.startsWith(`${flag}=`))) continue;
    kept.push(arg);
  }
  return kept;
}

/** A rank's membership in the job: the data-parallel seam for the trainer, and how to leave. */
export interface RankSession {
  env: RankEnv;
  dataParallel: DataParallel;
  close(): void;
}

/**
 * The CUDA_VISIBLE_DEVICES a rank of a multi-process job runs with, so that `cuda` means its own GPU:
 * unset → its local rank; a list ("2,3": the GPUs a sweep handed the whole trial) → the entry at its local rank;
 * a single id (or none, "") stays, since the launcher already chose. Throws TrainConfigError when the list is
 * shorter than the ranks on this machine.
 */
export function rankVisibleDevices(visible: string | undefined, localRank: number): string {
  if (visible === undefined) return String(localRank);
  const ids = visible.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (ids.length <= 1) return visible;
  const own = ids[localRank];
  if (own === undefined) {
    throw new TrainConfigError(`CUDA_VISIBLE_DEVICES=${visible} lists ${ids.length} GPUs but this is local rank ${localRank}: ` +
      'give every rank on this machine its own GPU (as many ids as --nproc-per-node)');
  }
  return own;
}

/**
 * Joins the process group of the job this process is a rank of (null when it is not one). On CUDA each rank sees
 * only its own GPU (rankVisibleDevices), so `cuda` means that GPU.
 */
export function joinTrainingGroup(device: 'cpu' | 'cuda' | 'auto'): RankSession | null {
  const env = rankFromEnv(process.env);
  if (env === null) return null;
  // Before anything initialises CUDA: later, the visible devices are fixed for the life of the process.
  if (device !== 'cpu' && env.worldSize > 1) {
    process.env.CUDA_VISIBLE_DEVICES = rankVisibleDevices(process.env.CUDA_VISIBLE_DEVICES, env.localRank);
  }
  const onGpu = device !== 'cpu' && torch.cuda.isAvailable();
  const backend = onGpu && distributed.availableBackends().includes('nccl') ? 'nccl' : 'gloo';
  const group = distributed.initProcessGroup({
    backend, rank: env.rank, worldSize: env.worldSize, masterAddr: env.masterAddr, masterPort: env.masterPort,
  });
  const dataParallel = createDataParallel(group);
  return { env, dataParallel, close: () => { dataParallel.dispose(); group.destroy(); } };
}

/**
 * `tunelab train` as a library call, on as many ranks as asked: with `launch` (and no rank variables in the
 * environment) this process starts `launch.nprocPerNode` ranks of its own command line and waits for them; as a
 * rank (ours, torchrun, Slurm, mpirun) it joins the group and trains its share, rank 0 writing and tracking; else it
 * trains alone. `reporterFor(quiet)` gives the reporter: quiet on ranks other than 0, whose progress rank 0 shows.
 */
export async function fineTuneOnRanks(args: TrainArgs, launch: LaunchFlags | null, reporterFor: (quiet: boolean) => Reporter): Promise<void> {
  if (launch && !isLaunchedRank()) return launchTrainRanks(launch);
  const rank = joinTrainingGroup(args.device);
  const reporter = reporterFor(rank !== null && rank.env.rank !== 0);
  try {
    reporter.result(await fineTune(args, reporter, rank?.dataParallel));
  } catch (err) {
    if (rank) recordRankError(err);
    throw err;
  } finally {
    reporter.close();
    rank?.close();
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
