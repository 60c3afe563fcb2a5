// Typed errors of export/: bad input (a missing model folder, an unknown format, an occupied output folder) is an
// InputError — one line naming the flag and the path, exit code 2, nothing written.
import { InputError } from '../errors.js';

export class ExportError extends InputError {
  override name = 'ExportError';
}
