/** A tokenizer could not be loaded, or was asked for something it cannot do (bad options, missing special token). */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
}
