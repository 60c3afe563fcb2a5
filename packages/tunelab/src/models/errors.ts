// Typed errors of the model layer. Each names the file (and key or line) it is about, in one line.
import { InputError } from '../errors.js';

/** Base class of every error models/ throws on bad input: callers branch on the class, never on message text. */
export class ModelError extends InputError {
  override name = 'ModelError';
}

/** config.json (or a config object) that is not valid JSON, has a wrong field, or a bad combination of fields. */
export class ConfigError extends ModelError {
  override name = 'ConfigError';
}

/** A `model_type` with no class for the requested task in the registry (auto.ts). */
export class UnsupportedModelError extends ModelError {
  override name = 'UnsupportedModelError';
}

/** A file the model needs (config.json, weights) is not in the folder or Hub repository. */
export class ModelFileNotFoundError extends ModelError {
  override name = 'ModelFileNotFoundError';
}

/** A weights file that cannot be read, or whose tensors do not fit the model (shape mismatch). */
export class WeightsError extends ModelError {
  override name = 'WeightsError';
}

/** loadStateDict(…, { strict: true }) found missing or unexpected keys. */
export class StateDictError extends ModelError {
  override name = 'StateDictError';
  constructor(readonly missingKeys: string[], readonly unexpectedKeys: string[]) {
    super(`state dict does not match the model: missing keys [${missingKeys.join(', ')}], ` +
      `unexpected keys [${unexpectedKeys.join(', ')}]`);
  }
}

/** Model inputs of the wrong dtype, rank or shape, or longer than the position embeddings allow. */
export class ModelInputError extends ModelError {
  override name = 'ModelInputError';
}
