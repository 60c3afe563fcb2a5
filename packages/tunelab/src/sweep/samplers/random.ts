// Random sampling (Azure's `random`): every parameter drawn independently from its distribution. Rule `random`
// uses a seeded stream per trial number; rule `sobol` takes point `number` of a digitally shifted Sobol' sequence
// (one dimension per parameter, in spec order), which covers the space more evenly for the same budget.
import type { Params } from '../../track/store.js';
import { valueAt, type SearchSpace } from '../space.js';
import { Rng } from '../rng.js';
import { sobolPoint } from '../sobol.js';
import type { Sampler, SweepView } from '../types.js';

export class RandomSampler implements Sampler {
  constructor(private readonly seed: number, private readonly rule: 'random' | 'sobol' = 'random') {}

  sample(sweep: SweepView, trial: { number: number }): Params {
    const names = Object.keys(sweep.space);
    const quantiles = this.rule === 'sobol'
      ? sobolPoint(trial.number, names.length, this.seed)
      : drawUniforms(names.length, new Rng(this.seed, 'random', trial.number));
    return paramsAt(sweep.space, quantiles);
  }
}

export function drawUniforms(count: number, rng: Rng): number[] {
  return Array.from({ length: count }, () => rng.next());
}

/** Params whose i-th parameter sits at quantile `quantiles[i]` of its distribution. */
export function paramsAt(space: SearchSpace, quantiles: number[]): Params {
  const params: Params = {};
  Object.entries(space).forEach(([name, dist], i) => { params[name] = valueAt(dist, quantiles[i]); });
  return params;
}
