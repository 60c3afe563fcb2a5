import { InputError } from '../errors.js';

/** Metric inputs that cannot be scored (lengths differ, empty input, bad shapes). */
export class MetricInputError extends InputError {
  override name = 'MetricInputError';
}
