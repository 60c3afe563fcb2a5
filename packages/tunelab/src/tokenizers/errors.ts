import { InputError } from '../errors.js';

/** A tokenizer could not be loaded, or was asked for something it cannot do (bad options, missing special token). */
export class TokenizerError extends InputError {
  override name = 'TokenizerError';
}
