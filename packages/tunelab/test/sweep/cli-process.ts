// Runs the `tunelab` CLI as a child process (through tsx), for crash, worker and CLI tests: by default the
// fixture entry with only the store/sweep verbs (fast to start), with `main: true` the real src/cli/main.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const LEAN = fileURLToPath(new URL('./fixtures/cli-entry.ts', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resolves once the output matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  detached?: boolean;
  /** Run the full src/cli/main.ts instead of the lean fixture entry. */
  main?: boolean;
}

export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const entry = options.main ? MAIN : LEAN;
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', entry, ...args], {
    env: { ...process.env, ...options.env }, cwd: options.cwd, detached: options.detached ?? false, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    listeners.forEach((l) => l());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => {
    resolve(code ?? signal ?? 'unknown');
    listeners.forEach((l) => l());
  }));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            listeners.delete(check);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(new Error(`exited before printing ${pattern}:\n${text}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<{ code: number | string; output: string }> {
  const cli = startCli(args, options);
  const code = await cli.exited;
  return { code, output: cli.output() };
}

export async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
