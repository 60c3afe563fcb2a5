// Errors of the training layer. Each names what was wrong and where (flag, config key, file), in one line.
import { DataError } from '../data/errors.js';
import { HubError } from '../hub/errors.js';
import { ModelError } from '../models/errors.js';
import { TokenizerError } from '../tokenizers/errors.js';
import { StoreInputError } from '../track/errors.js';

/** A flag or config value that is invalid, unknown, or conflicts with another (CLI exit code 2). */
export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}

/** Training data or a checkpoint that cannot be used: empty dataset, unknown label, checkpoint from another run. */
export class TrainInputError extends Error {
  override name = 'TrainInputError';
}

/**
 * Errors caused by what the user gave (flags, config, files, model folders, store URLs) rather than by a bug:
 * the CLI prints their one-line message and exits with code 2.
 */
export function isBadInput(err: unknown): boolean {
  return BAD_INPUT_CLASSES.some((errorClass) => err instanceof errorClass);
}

const BAD_INPUT_CLASSES: (abstract new (...args: never[]) => Error)[] = [
  TrainConfigError, TrainInputError, DataError, ModelError, TokenizerError, HubError, StoreInputError,
];
