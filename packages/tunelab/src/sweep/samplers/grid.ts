// Grid sampling (Azure's `grid`): choice parameters only; trial n takes the n-th point of the cartesian product,
// so max_total_trials ≥ grid size visits every combination exactly once.
import type { Params } from '../../track/store.js';
import { gridPoints } from '../space.js';
import type { Sampler, SweepView } from '../types.js';

export class GridSampler implements Sampler {
  sample(sweep: SweepView, trial: { number: number }): Params {
    const points = gridPoints(sweep.space);
    if (trial.number >= points.length) throw new RangeError(`grid has ${points.length} points; trial ${trial.number} is past the end`);
    return points[trial.number];
  }
}
