// Errors of the task layer: a flag or a model folder that does not fit the task (CLI exit code 2).
import { InputError } from '../errors.js';

/** A task flag, or a model folder, that does not fit `--task` (one line naming the flag or folder). */
export class TaskConfigError extends InputError {
  override name = 'TaskConfigError';
}
