/** Metric inputs that cannot be scored (lengths differ, empty input, bad shapes). */
export class MetricInputError extends Error {
  override name = 'MetricInputError';
}
