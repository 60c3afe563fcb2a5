// Local process executor: each trial is `sh -c <command>` in its own process group (detached), with stdout and
// stderr going to files in the run's folder rather than pipes. The process therefore outlives a killed
// controller, and a restarted controller re-attaches to it (attach) and reads on from the recorded byte offsets:
// no trial is lost and none runs twice. A wrapper shell writes the exit status to `exit_code` (temp + rename)
// so it is known even to a process that did not start the trial.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter, parseProtocolLine } from '../../track/protocol.js';
import type { Params } from '../../track/store.js';
import {
  EXIT_FILE, STDERR_FILE, STDOUT_FILE,
  type ExitInfo, type Executor, type LaunchTarget, type OutputBatch, type RecordedAttempt, type TrialHandle,
} from '../types.js';

export { EXIT_FILE, STDERR_FILE, STDOUT_FILE };

// $1: the trial command, $2: where to write its exit status. The wrapper traps TERM (a handler, so the command
// still gets default signal handling) to outlive the group-wide SIGTERM and record how the command ended.
const WRAPPER = 'trap : TERM INT HUP; sh -c "$1"; code=$?; printf "%s" "$code" > "$2.tmp" && mv "$2.tmp" "$2"; exit "$code"';

export interface LocalExecutorOptions {
  /** How often output files are read. */
  pollMs?: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

export class LocalExecutor implements Executor {
  private readonly pollMs: number;
  private readonly killGraceMs: number;

  constructor(options: LocalExecutorOptions = {}) {
    this.pollMs = options.pollMs ?? 250;
    this.killGraceMs = options.killGraceMs ?? 10_000;
  }

  launch(trial: LaunchTarget, command: string, env: Record<string, string>): TrialHandle {
    mkdirSync(trial.runDir, { recursive: true });
    const out = openSync(join(trial.runDir, STDOUT_FILE), 'a');
    const err = openSync(join(trial.runDir, STDERR_FILE), 'a');
    try {
      const child = spawn('/bin/sh', ['-c', WRAPPER, 'tunelab-trial', command, join(trial.runDir, EXIT_FILE)], {
        cwd: trial.cwd, env, detached: true, stdio: ['ignore', out, err],
      });
      if (child.pid === undefined) throw new Error(`could not start trial command: ${command}`);
      return new LocalTrialHandle(child.pid, trial.runDir, { stdout: 0, stderr: 0 }, this.pollMs, this.killGraceMs, child);
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  /**
   * Re-attaches to a trial started by an earlier (now dead) controller (`pid` 0: known to have exited, only its
   * output and exit status are left to read). Null when the process is gone without having recorded an exit
   * status (it was killed with its wrapper): the attempt is lost and must be re-queued.
   */
  attach(trial: RecordedAttempt): TrialHandle | null {
    const alive = isTrialProcessAlive(trial.pid, trial.runId);
    if (!alive && !existsSync(join(trial.runDir, EXIT_FILE))) return null;
    return new LocalTrialHandle(trial.pid, trial.runDir, { stdout: trial.stdoutOffset, stderr: trial.stderrOffset }, this.pollMs, this.killGraceMs);
  }

  /**
   * What became of an attempt whose pid was never recorded (its launcher died between spawning and recording):
   * its process group (found by TUNELAB_RUN_ID on Linux), 'exited' (only its exit status is left), 'vanished'
   * (it wrote output but is gone without a status) or 'never-started' (no trace at all).
   */
  findUnrecorded(runId: string, runDir: string): { pid: number } | 'exited' | 'vanished' | 'never-started' {
    const pid = findProcessGroupOf(runId);
    if (pid !== null) return { pid };
    if (existsSync(join(runDir, EXIT_FILE))) return 'exited';
    const wroteOutput = [STDOUT_FILE, STDERR_FILE].some((file) => {
      try {
        return statSync(join(runDir, file)).size > 0;
      } catch {
        return false;
      }
    });
    return wroteOutput ? 'vanished' : 'never-started';
  }
}

/**
 * Whether the process group `pid` still runs the attempt of run `runId`: on Linux its environment must carry
 * TUNELAB_RUN_ID=<runId> (guards against a recycled pid); elsewhere any live process counts.
 */
export function isTrialProcessAlive(pid: number, runId: string): boolean {
  if (pid <= 0) return false; // kill(0 or negative) would address our own group or everyone
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`TUNELAB_RUN_ID=${runId}`);
  } catch {
    return !existsSync('/proc/self/environ');
  }
}

class LocalTrialHandle implements TrialHandle {
  readonly reports: AsyncIterable<OutputBatch>;
  private readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private terminating: Promise<void> | undefined;

  constructor(
    readonly pid: number,
    private readonly runDir: string,
    offsets: { stdout: number; stderr: number },
    private readonly pollMs: number,
    private readonly killGraceMs: number,
    child?: ChildProcess,
  ) {
    this.exited = child ? this.watchChild(child) : this.watchForeign();
    void this.exited.then((info) => { this.exitInfo = info; });
    this.reports = { [Symbol.asyncIterator]: () => this.readOutput(offsets) };
  }

  wait(): Promise<ExitInfo> {
    return this.exited;
  }

  /**
   * Waits for the whole process group, not just the wrapper: a command run under an intermediate shell can
   * outlive that shell (and ignore SIGTERM), and must still be gone when this resolves.
   */
  terminate(_reason: string): Promise<void> {
    this.terminating ??= (async () => {
      signalGroup(this.pid, 'SIGTERM');
      const grace = new AbortController(); // cancelled once the group is gone, so no timer keeps the process alive
      const gone = await Promise.race([
        this.groupGone().then(() => true),
        sleep(this.killGraceMs, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      if (!gone) signalGroup(this.pid, 'SIGKILL');
      await this.groupGone();
      await this.exited;
    })();
    return this.terminating;
  }

  private async groupGone(): Promise<void> {
    while (groupRunning(this.pid)) await sleep(Math.min(this.pollMs, 50));
  }

  private watchChild(child: ChildProcess): Promise<ExitInfo> {
    return new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ exitCode: code, signal }));
    });
  }

  /** A process we did not start cannot be waited for: poll until its wrapper is gone, then read exit_code. */
  private async watchForeign(): Promise<ExitInfo> {
    while (!existsSync(join(this.runDir, EXIT_FILE)) && processRunning(this.pid)) await sleep(this.pollMs);
    const recorded = readExitCode(this.runDir);
    return recorded === null ? { exitCode: null, signal: 'unknown' } : { exitCode: recorded, signal: null };
  }

  private async *readOutput(offsets: { stdout: number; stderr: number }): AsyncGenerator<OutputBatch> {
    const streams = {
      stdout: { file: join(this.runDir, STDOUT_FILE), offset: offsets.stdout, splitter: new LineSplitter() },
      stderr: { file: join(this.runDir, STDERR_FILE), offset: offsets.stderr, splitter: new LineSplitter() },
    };
    for (;;) {
      const finished = this.exitInfo !== undefined; // decided before reading, so the last read sees all output
      const batch: OutputBatch = { stdoutOffset: 0, stderrOffset: 0, logs: [], points: [], params: {} };
      for (const name of ['stdout', 'stderr'] as const) {
        const stream = streams[name];
        const chunk = await readFrom(stream.file, stream.offset);
        const split = stream.splitter.push(chunk);
        const lines = [...split.lines];
        let consumed = split.consumed;
        if (finished) {
          const tail = stream.splitter.flush();
          lines.push(...tail.lines);
          consumed += tail.consumed;
        }
        stream.offset += consumed;
        collectLines(name, lines, batch);
      }
      batch.stdoutOffset = streams.stdout.offset;
      batch.stderrOffset = streams.stderr.offset;
      if (batch.logs.length > 0 || finished) yield batch;
      if (finished) return;
      await Promise.race([sleep(this.pollMs), this.exited]);
    }
  }
}

/** Sorts lines into log text and protocol reports (`@tunelab {…}` on either stream counts). */
function collectLines(stream: 'stdout' | 'stderr', lines: string[], batch: OutputBatch): void {
  if (lines.length === 0) return;
  batch.logs.push({ stream, text: lines.join('\n') + '\n' });
  const wallTime = Date.now();
  for (const line of lines) {
    const parsed = parseProtocolLine(line);
    if (parsed.kind === 'report') {
      for (const [name, value] of Object.entries(parsed.report.metrics)) batch.points.push({ name, step: parsed.report.step, value, wallTime });
      Object.assign(batch.params, parsed.report.params ?? ({} as Params));
    } else if (parsed.kind === 'invalid') {
      batch.logs.push({ stream: 'log', text: `tunelab: ignored malformed report on ${stream} (${parsed.error}): ${line}\n` });
    }
  }
}

/** Bytes of `file` from `offset` to its current end (empty when the file does not exist yet). */
async function readFrom(file: string, offset: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function readExitCode(runDir: string): number | null {
  try {
    const code = Number.parseInt(readFileSync(join(runDir, EXIT_FILE), 'utf8'), 10);
    return Number.isInteger(code) ? code : null;
  } catch {
    return null;
  }
}

/** The process group leader whose environment carries TUNELAB_RUN_ID=<runId> (Linux only; null elsewhere). */
function findProcessGroupOf(runId: string): number | null {
  if (!existsSync('/proc/self/environ')) return null;
  const marker = `TUNELAB_RUN_ID=${runId}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== Number(entry) || fields[0] === 'Z') continue; // group leaders only
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) return Number(entry);
    } catch {
      // gone, or not ours to read
    }
  }
  return null;
}

/**
 * Whether any live (non-zombie) process is left in process group `pgid`. Linux: scans /proc (a zombie member
 * may linger where PID 1 does not reap); elsewhere: kill(-pgid, 0).
 */
export function groupRunning(pgid: number): boolean {
  if (pgid <= 0) return false;
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state, ppid, pgrp, …
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // exited while we looked
    }
  }
  return false;
}

/** Whether `pid` runs and is not a zombie (an orphan's zombie may linger where PID 1 does not reap). */
function processRunning(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat');
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 0) return; // no process (see TrialHandle.pid); never signal our own group
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}
