// The one split every caller needs: was it the user's input, or a bug/environment failure? Every error class that
// means "what you gave was wrong" (flags, config, data files, model folders, store URLs, sweep specs, HTTP input of
// the CLI) extends InputError; `exitCodeOf` is the one place that turns an error into the CLI's exit code.
import { CommanderError } from 'commander';

/**
 * The user's input was wrong. Contract: the message is one line that names what and where (flag, config key,
 * `file:line`); the CLI prints it and exits 2, and nothing was written before it was thrown.
 */
export class InputError extends Error {
  override name = 'InputError';
}

/** Exit code 2 for bad input (InputError, or a commander parse error such as InvalidArgumentError), 1 for anything else. */
export function exitCodeOf(error: unknown): 1 | 2 {
  if (error instanceof InputError) return 2;
  if (error instanceof CommanderError) return 2; // commander's own errors: unknown option, InvalidArgumentError, …
  return 1;
}

/** The first line of an error's message: what a one-line message quotes of its cause. */
export function firstLineOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** True when `error` is the user's fault (exit code 2). */
export function isInputError(error: unknown): boolean {
  return exitCodeOf(error) === 2;
}
