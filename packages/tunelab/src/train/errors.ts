// Errors of the training layer. Each names what was wrong and where (flag, config key, file), in one line.

/** A flag or config value that is invalid, unknown, or conflicts with another (CLI exit code 2). */
export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}

/** Training data or a checkpoint that cannot be used: empty dataset, unknown label, checkpoint from another run. */
export class TrainInputError extends Error {
  override name = 'TrainInputError';
}
