// Sampler registry: the spec's sampling_algorithm → a Sampler. A new sampler is a file here plus one line below.
import type { SweepSpec } from '../spec.js';
import type { Sampler } from '../types.js';
import { RandomSampler } from './random.js';
import { GridSampler } from './grid.js';
import { TpeSampler } from './bayesian.js';

/** Seeds are filled in when the sweep is created (spec.withSeed), so `?? 0` only serves hand-built specs. */
export function createSampler(spec: SweepSpec): Sampler {
  const sampling = spec.sampling_algorithm;
  switch (sampling.type) {
    case 'random': return new RandomSampler(sampling.seed ?? 0, sampling.rule);
    case 'grid': return new GridSampler();
    case 'bayesian': return new TpeSampler(sampling.seed ?? 0);
  }
}
