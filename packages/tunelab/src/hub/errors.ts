import { InputError } from '../errors.js';

/** Base of every Hub failure; `repo` is the Hub id asked for. */
export class HubError extends InputError {
  override name = 'HubError';
  constructor(readonly repo: string, message: string) {
    super(message);
  }
}

/** The Hub could not be reached, or answered with a server error. */
export class HubNetworkError extends HubError {
  override name = 'HubNetworkError';
}

/** The repository or revision does not exist (or is private/gated without a token), or the id is malformed. */
export class HubNotFoundError extends HubError {
  override name = 'HubNotFoundError';
}

/** Offline (HF_HUB_OFFLINE or `offline: true`) and the cache does not hold what was asked for. */
export class HubOfflineError extends HubError {
  override name = 'HubOfflineError';
}
