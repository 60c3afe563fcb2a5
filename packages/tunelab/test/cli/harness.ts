// Runs tunelab verbs in this process (the same commander program as bin/tunelab, the same error mapping) and
// captures stderr and the exit code they set — fast enough for dozens of bad-input cases. stdout is left alone: the
// test runner reports through it, so only verbs that fail before printing anything belong here.
import { Command, CommanderError } from 'commander';
import { register as registerEval } from '../../src/cli/eval.js';
import { register as registerExport } from '../../src/cli/export.js';
import { register as registerPredict } from '../../src/cli/predict.js';
import { register as registerServe } from '../../src/cli/serve.js';
import { register as registerTrain } from '../../src/cli/train.js';

export interface InProcessResult {
  exitCode: number;
  stderr: string;
}

export async function tunelab(args: string[]): Promise<InProcessResult> {
  const program = new Command('tunelab').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const register of [registerTrain, registerEval, registerPredict, registerExport, registerServe]) register(program);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  let stderr = '';
  const originalWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write;
  process.exitCode = 0;
  let exitCode: number;
  try {
    await program.parseAsync(args, { from: 'user' });
    exitCode = Number(process.exitCode ?? 0);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    stderr += `${err.message}\n`;
    exitCode = err.exitCode === 0 ? 0 : 2; // as bin/tunelab's main.ts maps commander's errors
  } finally {
    process.stderr.write = originalWrite;
    process.exitCode = 0;
  }
  return { exitCode, stderr };
}
