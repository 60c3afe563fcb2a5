// The `tunelab` command: one file per verb in this folder, each exporting `register(program)`.
import { Command } from 'commander';
import { exitCodeOf } from '../errors.js';
import { readFileSync } from 'node:fs';
import { verbs } from './verbs.js';

/** The version in package.json (two folders up from src/cli and from dist/cli). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** `error: unknown option '--lr-rate'\n(Did you mean --lr?)` → one line. */
function oneLineError(text: string): string {
  return `${text.trimEnd().replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)').replace(/\n/g, ' ')}\n`;
}

const program = new Command('tunelab')
  .description('Fine-tune BERT-family models, track runs and sweep hyperparameters')
  .version(packageVersion(), '-V, --version', 'print the tunelab version')
  // A mistyped flag is one line with commander's suggestion ("… (did you mean --lr?)"), not the help.
  .configureOutput({ outputError: (text, write) => write(oneLineError(text)) })
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : exitCodeOf(err)));

for (const register of verbs) register(program);

await program.parseAsync(process.argv);
