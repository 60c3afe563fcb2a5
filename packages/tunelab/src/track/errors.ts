// Typed errors of the tracking store. Callers branch on the class, never on message text.
import { InputError } from '../errors.js';

/** Base class: every error the store throws on bad input or a broken contract. */
export class StoreError extends InputError {
  override name = 'StoreError';
}

/** An id (or name) that names no experiment, run, sweep or trial. */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
  constructor(readonly kind: 'experiment' | 'run' | 'sweep' | 'trial' | 'artifact', readonly id: string) {
    super(`${kind} not found: ${id}`);
  }
}

/** A write to a run that already finished: finished runs are immutable. */
export class RunFinishedError extends StoreError {
  override name = 'RunFinishedError';
  constructor(readonly runId: string, readonly status: string) {
    super(`run ${runId} is ${status}: finished runs are immutable`);
  }
}

/** A second experiment (or other uniquely named thing) with a name already taken. */
export class DuplicateError extends StoreError {
  override name = 'DuplicateError';
  constructor(readonly kind: 'experiment', readonly key: string) {
    super(`${kind} already exists: ${key}`);
  }
}

/** Malformed input to a store method (bad status, non-scalar param, bad metric name, bad store URL). */
export class StoreInputError extends StoreError {
  override name = 'StoreInputError';
}

/** The database does not answer (server down, network, refused connection): not the caller's input, so exit 1. */
export class StoreUnreachableError extends Error {
  override name = 'StoreUnreachableError';
}
