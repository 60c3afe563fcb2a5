import { InputError } from '../errors.js';

/**
 * Bad data: the message is one line that starts with where (`file:line`, `file: question <id>`, `file: record 12`)
 * and says what is wrong.
 */
export class DataError extends InputError {
  override name = 'DataError';
  constructor(readonly where: string, readonly problem: string) {
    super(`${where}: ${problem}`);
  }
}
