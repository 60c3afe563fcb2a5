// Errors of the training layer. Each names what was wrong and where (flag, config key, file), in one line. Both are
// InputErrors: the CLI prints the line and exits 2 (see ../errors.ts, the one place that maps errors to exit codes).
import { InputError } from '../errors.js';

/** A flag or config value that is invalid, unknown, or conflicts with another (CLI exit code 2). */
export class TrainConfigError extends InputError {
  override name = 'TrainConfigError';
}

/** Training data or a checkpoint that cannot be used: empty dataset, unknown label, checkpoint from another run. */
export class TrainInputError extends InputError {
  override name = 'TrainInputError';
}
