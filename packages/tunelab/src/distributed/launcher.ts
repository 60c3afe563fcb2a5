// The rank launcher behind `tunelab train --nproc-per-node N`: torchrun's contract, in-process.
// Starts N ranks of one command on this node with RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT set,
// forwards SIGINT/SIGTERM to them, and when one rank fails stops the others and reports that rank's error.
// On one node without a given port (flag or MASTER_PORT) the rendezvous takes a free port, as torchrun --standalone
// does, so jobs running side by side (a sweep's distributed trials) do not collide on 29500.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MASTER_PORT } from './env.js';
import { ERROR_FILE_ENV } from './rank-main.js';
import { InputError } from '../errors.js';

export interface LaunchOptions {
  /** Processes on this node (one per GPU on CUDA). */
  nprocPerNode: number;
  /** Machines in the job; each runs this launcher with its own nodeRank. */
  nnodes?: number;
  nodeRank?: number;
  /** Host of global rank 0 (node 0), reachable from every node. */
  masterAddr?: string;
  /** Rendezvous port; default: `env.MASTER_PORT`, else a free port with one node, else 29500 (every node must agree). */
  masterPort?: number;
  /** The command each rank runs: [executable, ...args]. */
  argv: string[];
  /** Base environment of every rank (default: this process's). */
  env?: Record<string, string | undefined>;
  /** How long a rank may take to exit after SIGTERM before it is killed (ms). */
  stopGraceMs?: number;
  /** Where ranks' stdout/stderr go (default: this process's). Their stderr is also kept to report errors. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface RankIdentity {
  rank: number;
  localRank: number;
  nodeRank: number;
}

/** A rank exited non-zero or was killed by a signal the launcher did not send; the job was stopped. */
export class RankFailedError extends Error {
  override name = 'RankFailedError';
  constructor(
    readonly failed: RankIdentity,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    /** The rank's own error message (from its error file, else the tail of its stderr). */
    readonly rankError: string,
  ) {
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    super(`rank ${failed.rank} (node ${failed.nodeRank}, local rank ${failed.localRank}) ${how}` +
      (rankError ? `: ${rankError}` : ''));
  }
}

/** The launcher received SIGINT/SIGTERM, forwarded it, and every rank has exited. */
export class LaunchInterruptedError extends Error {
  override name = 'LaunchInterruptedError';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}: every rank was stopped`);
  }
}

/** Bad launcher arguments (the CLI maps this to exit code 2). */
export class LaunchConfigError extends InputError {
  override name = 'LaunchConfigError';
}

interface RankProcess extends RankIdentity {
  child: ChildProcess;
  errorFile: string;
  stderrTail: string;
  exited: Promise<void>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True once the launcher itself sent this rank a signal (so its death is not a root cause). */
  stoppedByLauncher: boolean;
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const STDERR_TAIL_BYTES = 8192;
/** After the first failure, other ranks usually fail too (a lost peer); wait this long to see which failed first. */
const ROOT_CAUSE_WINDOW_MS = 300;

/**
 * Runs the ranks of this node and resolves when all of them exit 0. Rejects with RankFailedError
 * (one rank failed: all were stopped), LaunchInterruptedError (SIGINT/SIGTERM forwarded) or LaunchConfigError.
 */
export async function launch(options: LaunchOptions): Promise<void> {
  const config = validate({ ...options, masterPort: await masterPortOf(options) });
  const errorDir = mkdtempSync(join(tmpdir(), 'tunelab-launch-'));
  const ranks: RankProcess[] = [];
  let interrupted: NodeJS.Signals | null = null;
  let stopping = false;

  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const r of ranks) {
      if (r.exitCode !== null || r.signal !== null) continue;
      r.stoppedByLauncher = true;
      signalRank(r, signal);
    }
    const killTimer = setTimeout(() => {
      for (const r of ranks) if (r.exitCode === null && r.signal === null) signalRank(r, 'SIGKILL');
    }, config.stopGraceMs);
    killTimer.unref();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    stopAll(signal);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, onSignal);

  try {
    for (let localRank = 0; localRank < config.nprocPerNode; localRank++) {
      ranks.push(startRank(config, localRank, errorDir));
    }
    const failure = await firstFailure(ranks, () => stopping);
    if (failure && !interrupted) stopAll('SIGTERM');
    await Promise.all(ranks.map((r) => r.exited));
    if (interrupted) throw new LaunchInterruptedError(interrupted);
    if (failure) {
      throw new RankFailedError(failure, failure.exitCode, failure.signal, rankError(failure));
    }
  } finally {
    for (const s of FORWARDED_SIGNALS) process.off(s, onSignal);
    rmSync(errorDir, { recursive: true, force: true });
  }
}

type Config = Required<Omit<LaunchOptions, 'env'>> & { env: Record<string, string | undefined> };

function validate(o: LaunchOptions): Config {
  const intAtLeast = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) {
      throw new LaunchConfigError(`--${name} must be an integer ≥ ${min}, got ${value}`);
    }
  };
  const config: Config = {
    nprocPerNode: o.nprocPerNode,
    nnodes: o.nnodes ?? 1,
    nodeRank: o.nodeRank ?? 0,
    masterAddr: o.masterAddr ?? '127.0.0.1',
    masterPort: o.masterPort ?? DEFAULT_MASTER_PORT,
    argv: o.argv,
    env: o.env ?? process.env,
    stopGraceMs: o.stopGraceMs ?? 5000,
    stdout: o.stdout ?? process.stdout,
    stderr: o.stderr ?? process.stderr,
  };
  intAtLeast('nproc-per-node', config.nprocPerNode, 1);
  intAtLeast('nnodes', config.nnodes, 1);
  intAtLeast('node-rank', config.nodeRank, 0);
  intAtLeast('master-port', config.masterPort, 1);
  if (config.masterPort > 65535) throw new LaunchConfigError(`--master-port must be ≤ 65535, got ${config.masterPort}`);
  if (config.nodeRank >= config.nnodes) {
    throw new LaunchConfigError(`--node-rank ${config.nodeRank} must be below --nnodes ${config.nnodes}`);
  }
  if (config.nnodes > 1 && ['127.0.0.1', 'localhost', '::1'].includes(config.masterAddr)) {
    throw new LaunchConfigError(`--nnodes ${config.nnodes} needs --master-addr: a host every node can reach`);
  }
  if (config.argv.length === 0) throw new LaunchConfigError('no command to launch');
  return config;
}

/**
 * The rendezvous port: the one given, else MASTER_PORT of the ranks' environment; else, with one node, a port free
 * right now (another node could not learn it), else torch's default.
 */
async function masterPortOf(o: LaunchOptions): Promise<number> {
  if (o.masterPort !== undefined) return o.masterPort;
  const fromEnv = (o.env ?? process.env).MASTER_PORT;
  if (fromEnv !== undefined && fromEnv !== '') {
    const port = Number(fromEnv);
    if (!/^\d+$/.test(fromEnv.trim()) || port < 1 || port > 65535) {
      throw new LaunchConfigError(`MASTER_PORT=${JSON.stringify(fromEnv)} is not a TCP port (1-65535)`);
    }
    return port;
  }
  return (o.nnodes ?? 1) === 1 ? freePort() : DEFAULT_MASTER_PORT;
}

/**
 * A TCP port free on 127.0.0.1 now: the kernel picks one for a listener on port 0, which is closed at once. Rank 0
 * binds it moments later (torchrun --standalone takes the same small risk that someone else grabs it meanwhile).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`no port from ${String(address)}`))));
    });
  });
}

function rankEnvironment(config: Config, localRank: number, errorFile: string): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(config.env)) if (v !== undefined) base[k] = v;
  // Each rank gets its share of the cores unless the user chose (torchrun sets OMP_NUM_THREADS=1).
  const threads = Math.max(1, Math.floor(availableParallelism() / config.nprocPerNode));
  return {
    ...base,
    OMP_NUM_THREADS: base.OMP_NUM_THREADS ?? String(threads),
    RANK: String(config.nodeRank * config.nprocPerNode + localRank),
    WORLD_SIZE: String(config.nnodes * config.nprocPerNode),
    LOCAL_RANK: String(localRank),
    LOCAL_WORLD_SIZE: String(config.nprocPerNode),
    GROUP_RANK: String(config.nodeRank),
    NODE_RANK: String(config.nodeRank),
    MASTER_ADDR: config.masterAddr,
    MASTER_PORT: String(config.masterPort),
    [ERROR_FILE_ENV]: errorFile,
  };
}

function startRank(config: Config, localRank: number, errorDir: string): RankProcess {
  const rank = config.nodeRank * config.nprocPerNode + localRank;
  const errorFile = join(errorDir, `rank-${rank}.json`);
  const [command, ...args] = config.argv as [string, ...string[]];
  // Own process group per rank (detached), so stopping a rank also stops what it started.
  const child = spawn(command, args, {
    env: rankEnvironment(config, localRank, errorFile),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const r: RankProcess = {
    rank, localRank, nodeRank: config.nodeRank, child, errorFile, stderrTail: '',
    exitCode: null, signal: null, stoppedByLauncher: false, exited: Promise.resolve(),
  };
  child.stdout!.pipe(config.stdout, { end: false });
  child.stderr!.on('data', (chunk: Buffer) => {
    config.stderr.write(chunk);
    r.stderrTail = (r.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });
  r.exited = new Promise((resolve) => {
    child.on('error', (err) => {
      r.exitCode = 127;
      r.stderrTail += `\ncannot start ${command}: ${err.message}`;
      resolve();
    });
    // 'close' (not 'exit'): the rank's stdio is drained, so its last error line is in stderrTail.
    child.on('close', (code, signal) => {
      r.exitCode = code;
      r.signal = signal;
      resolve();
    });
  });
  return r;
}

function signalRank(r: RankProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-r.child.pid!, signal);
  } catch {
    // Already gone.
  }
}

function failed(r: RankProcess): boolean {
  return (r.exitCode !== null && r.exitCode !== 0) || r.signal !== null;
}

/**
 * Waits until every rank succeeded (→ null) or one failed (→ the root cause). Once a rank fails its peers
 * fail soon after with "connection closed" errors; the root cause is a rank killed by a signal nobody here sent,
 * else the rank that failed first.
 */
async function firstFailure(ranks: RankProcess[], stopping: () => boolean): Promise<RankProcess | null> {
  const failures: RankProcess[] = [];
  await new Promise<void>((resolve) => {
    let pending = ranks.length;
    let windowOpen = false;
    for (const r of ranks) {
      void r.exited.then(() => {
        pending--;
        if (failed(r) && !r.stoppedByLauncher) {
          failures.push(r);
          if (!windowOpen && !stopping()) {
            windowOpen = true;
            setTimeout(resolve, ROOT_CAUSE_WINDOW_MS);
          }
        }
        if (pending === 0) resolve();
      });
    }
  });
  return failures.find((r) => r.signal !== null) ?? failures[0] ?? null;
}

/** The failing rank's error: what it recorded in its error file, else the error line of its stderr. */
function rankError(r: RankProcess): string {
  try {
    const recorded = JSON.parse(readFileSync(r.errorFile, 'utf8')) as { message?: unknown };
    if (typeof recorded.message === 'string') return recorded.message;
  } catch {
    // No error file: the rank died before it could write one (killed, or not a tunelab rank).
  }
  return errorLineOf(r.stderrTail);
}

/** The last line of a stderr tail that names an error, else its last non-empty line. */
export function errorLineOf(stderrTail: string): string {
  const lines = stderrTail.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^Node\.js v\d/.test(l));
  const errorLine = [...lines].reverse().find((l) => /^(\w+)?(Error|Exception)\b/.test(l));
  return errorLine ?? lines.at(-1) ?? '';
}
