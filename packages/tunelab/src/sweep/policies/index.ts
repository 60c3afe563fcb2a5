// Policy registry: the spec's early_termination → a TerminationPolicy (none: never stop early).
import type { EarlyTermination } from '../spec.js';
import type { TerminationPolicy } from '../types.js';
import { BanditPolicy } from './bandit.js';
import { MedianStoppingPolicy } from './median_stopping.js';
import { TruncationSelectionPolicy } from './truncation_selection.js';
import { AshaPolicy } from './asha.js';

export function createPolicy(config: EarlyTermination | undefined): TerminationPolicy | undefined {
  if (config === undefined) return undefined;
  switch (config.type) {
    case 'bandit': return new BanditPolicy(config);
    case 'median_stopping': return new MedianStoppingPolicy(config);
    case 'truncation_selection': return new TruncationSelectionPolicy(config);
    case 'asha': return new AshaPolicy(config);
  }
}
