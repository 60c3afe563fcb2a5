// Bayesian sampling: the Tree-structured Parzen Estimator (Bergstra et al. 2011, as in Optuna's univariate TPE).
// Completed trials are split into the best γ(n) = min(⌈0.1·n⌉, 25) ("below") and the rest ("above"); for each
// parameter a Parzen density l(x) is fitted to "below" and g(x) to "above" (each with a flat prior component),
// 24 candidates are drawn from l and the one maximising l(x)/g(x) is proposed. The first `startupTrials` are
// random. Like Azure ML, only choice, uniform and quniform are supported (spec.ts enforces it).
import type { ParamValue, Params } from '../../track/store.js';
import { quantize, type Distribution } from '../space.js';
import { Rng } from '../rng.js';
import { normalCdf, normalQuantile } from '../stats.js';
import type { Sampler, SweepView, TrialView } from '../types.js';
import { drawUniforms, paramsAt } from './random.js';

export interface TpeOptions {
  startupTrials: number;
  candidates: number;
  priorWeight: number;
}

const DEFAULTS: TpeOptions = { startupTrials: 10, candidates: 24, priorWeight: 1 };

export class TpeSampler implements Sampler {
  private readonly options: TpeOptions;

  constructor(private readonly seed: number, options: Partial<TpeOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  sample(sweep: SweepView, trial: { number: number }): Params {
    const rng = new Rng(this.seed, 'tpe', trial.number);
    const scored = sweep.trials
      .filter((t) => t.status === 'completed')
      .map((t) => ({ trial: t, loss: lossOf(t, sweep.goal) }))
      .filter((s) => Number.isFinite(s.loss))
      .sort((a, b) => a.loss - b.loss);
    if (scored.length < this.options.startupTrials) {
      return paramsAt(sweep.space, drawUniforms(Object.keys(sweep.space).length, rng));
    }
    const nBelow = Math.min(Math.ceil(0.1 * scored.length), 25);
    const below = scored.slice(0, nBelow).map((s) => s.trial);
    const above = scored.slice(nBelow).map((s) => s.trial);
    const params: Params = {};
    for (const [name, dist] of Object.entries(sweep.space)) {
      params[name] = this.proposeParam(dist, below.map((t) => t.params[name]), above.map((t) => t.params[name]), rng);
    }
    return params;
  }

  private proposeParam(dist: Distribution, below: ParamValue[], above: ParamValue[], rng: Rng): ParamValue {
    if (dist.type === 'choice') {
      const l = categoricalDensity(dist.values, below, this.options.priorWeight);
      const g = categoricalDensity(dist.values, above, this.options.priorWeight);
      let best = 0;
      let bestScore = -Infinity;
      for (let i = 0; i < this.options.candidates; i++) {
        const index = drawCategory(l, rng);
        const score = Math.log(l[index]) - Math.log(g[index]);
        if (score > bestScore) { bestScore = score; best = index; }
      }
      return dist.values[best];
    }
    if (dist.type !== 'uniform' && dist.type !== 'quniform') {
      throw new RangeError(`bayesian sampling supports choice, uniform and quniform, not ${dist.type}`);
    }
    const l = new ParzenEstimator(below as number[], dist.min_value, dist.max_value, this.options.priorWeight);
    const g = new ParzenEstimator(above as number[], dist.min_value, dist.max_value, this.options.priorWeight);
    let best = l.sample(rng);
    let bestScore = -Infinity;
    for (let i = 0; i < this.options.candidates; i++) {
      const x = l.sample(rng);
      const score = l.logDensity(x) - g.logDensity(x);
      if (score > bestScore) { bestScore = score; best = x; }
    }
    return dist.type === 'quniform' ? quantize(best, dist.q) : best;
  }
}

/** The trial's best primary-metric value, as a loss (lower is better). */
function lossOf(trial: TrialView, goal: SweepView['goal']): number {
  const finite = trial.values.filter(Number.isFinite);
  if (finite.length === 0) return NaN;
  return goal === 'minimize' ? Math.min(...finite) : -Math.max(...finite);
}

function categoricalDensity(values: readonly ParamValue[], observed: ParamValue[], priorWeight: number): number[] {
  const counts = values.map((v) => observed.filter((o) => o === v).length);
  const total = observed.length + priorWeight;
  return counts.map((c) => (c + priorWeight / values.length) / total);
}

function drawCategory(probabilities: number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < probabilities.length; i++) {
    u -= probabilities[i];
    if (u < 0) return i;
  }
  return probabilities.length - 1;
}

/**
 * A mixture of Gaussians truncated to [low, high]: one per observation plus a wide prior at the centre.
 * Each bandwidth is the larger gap to its sorted neighbours, clipped to [(high-low)/min(100, n+1), high-low].
 */
class ParzenEstimator {
  private readonly mus: number[];
  private readonly sigmas: number[];
  private readonly weights: number[];
  private readonly masses: number[];

  constructor(observations: number[], private readonly low: number, private readonly high: number, priorWeight: number) {
    const range = high - low;
    const prior = (low + high) / 2;
    const points = [...observations, prior].sort((a, b) => a - b);
    const minSigma = range / Math.min(100, points.length + 1);
    const bandwidth = (mu: number) => {
      const i = points.indexOf(mu);
      const left = i > 0 ? mu - points[i - 1] : mu - low;
      const right = i < points.length - 1 ? points[i + 1] - mu : high - mu;
      return Math.min(Math.max(left, right, minSigma), range);
    };
    this.mus = [...observations, prior];
    this.sigmas = [...observations.map(bandwidth), range];
    const total = observations.length + priorWeight;
    this.weights = [...observations.map(() => 1 / total), priorWeight / total];
    this.masses = this.mus.map((mu, i) => normalCdf((high - mu) / this.sigmas[i]) - normalCdf((low - mu) / this.sigmas[i]));
  }

  sample(rng: Rng): number {
    const k = drawCategory(this.weights, rng);
    const mu = this.mus[k];
    const sigma = this.sigmas[k];
    const a = normalCdf((this.low - mu) / sigma);
    const b = normalCdf((this.high - mu) / sigma);
    const p = a + rng.next() * (b - a);
    const x = p > 0 && p < 1 ? mu + sigma * normalQuantile(p) : mu;
    return Math.min(Math.max(x, this.low), this.high);
  }

  logDensity(x: number): number {
    let density = 0;
    for (let i = 0; i < this.mus.length; i++) {
      const z = (x - this.mus[i]) / this.sigmas[i];
      density += this.weights[i] * Math.exp(-0.5 * z * z) / (this.sigmas[i] * Math.sqrt(2 * Math.PI) * this.masses[i]);
    }
    return Math.log(density);
  }
}
