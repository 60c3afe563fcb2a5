// The Sampler contract, for every sampler: reads frozen snapshots and writes nothing, deterministic for a seed
// and trial number, and every value it proposes lies in the declared space.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSampler } from '../../src/sweep/samplers/index.js';
import { parseSpec } from '../../src/sweep/spec-file.js';
import type { Distribution, SearchSpace } from '../../src/sweep/space.js';
import type { ParamValue } from '../../src/track/store.js';
import type { SweepView, TrialView } from '../../src/sweep/types.js';

const SPACES: Record<string, string> = {
  'random': `learning_rate: { type: loguniform, min_value: -13.8, max_value: -6.9 }
  batch_size: { type: choice, values: [16, 32] }
  layers: { type: randint, upper: 4 }
  dropout: { type: quniform, min_value: 0, max_value: 0.5, q: 0.05 }
  noise: { type: qnormal, mu: 0, sigma: 1, q: 0.1 }
  scale: { type: lognormal, mu: 0, sigma: 0.5 }`,
  '{ type: random, rule: sobol, seed: 3 }': `learning_rate: { type: loguniform, min_value: -13.8, max_value: -6.9 }
  batch_size: { type: choice, values: [16, 32] }
  warmup: { type: qloguniform, min_value: 0, max_value: 6.9, q: 10 }
  shift: { type: normal, mu: 2, sigma: 3 }
  mult: { type: qlognormal, mu: 0, sigma: 1, q: 1 }`,
  'grid': `learning_rate: { type: choice, values: [0.001, 0.01, 0.1] }
  batch_size: { type: choice, values: [16, 32] }`,
  '{ type: bayesian, seed: 5 }': `learning_rate: { type: uniform, min_value: 0.0001, max_value: 0.1 }
  batch_size: { type: choice, values: [16, 32, 64] }
  warmup: { type: quniform, min_value: 0, max_value: 500, q: 50 }`,
};

function specFor(sampling: string, space: string) {
  return parseSpec(`trial: { command: 'true' }
search_space:
  ${space}
sampling_algorithm: ${sampling}
objective: { primary_metric: loss, goal: minimize }
limits: { max_total_trials: 40 }
`, `${sampling}.yml`);
}

function inSpace(value: ParamValue, dist: Distribution): boolean {
  const onGrid = (x: number, q: number) => Math.abs(x / q - Math.round(x / q)) < 1e-9;
  const n = value as number;
  switch (dist.type) {
    case 'choice': return dist.values.includes(value as never);
    case 'randint': return Number.isInteger(n) && n >= 0 && n < dist.upper;
    case 'uniform': return n >= dist.min_value && n <= dist.max_value;
    case 'quniform': return onGrid(n, dist.q) && n >= dist.min_value - dist.q && n <= dist.max_value + dist.q;
    case 'loguniform': return n >= Math.exp(dist.min_value) && n <= Math.exp(dist.max_value);
    case 'qloguniform': return onGrid(n, dist.q) && n <= Math.exp(dist.max_value) + dist.q;
    case 'normal': return Number.isFinite(n);
    case 'qnormal': return onGrid(n, dist.q);
    case 'lognormal': return n > 0;
    case 'qlognormal': return onGrid(n, dist.q) && n >= 0;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

for (const [sampling, space] of Object.entries(SPACES)) {
  const spec = await specFor(sampling, space);
  describe(`Sampler contract: ${sampling}`, () => {

    /** Sequential history with a synthetic objective, frozen so any write would throw. */
    function history(count: number): TrialView[] {
      const sampler = createSampler(spec);
      const trials: TrialView[] = [];
      for (let n = 0; n < count; n++) {
        const params = sampler.sample(deepFreeze({ space: spec.search_space, goal: 'minimize', trials: [...trials] }) as SweepView, { number: n });
        trials.push(deepFreeze({ number: n, params, status: 'completed', values: [Object.values(params).filter((v) => typeof v === 'number').reduce((s, v) => s + Math.abs(v as number), 0)] }));
      }
      return trials;
    }

    it('proposes every parameter of the space, inside its distribution, without writing to its input', () => {
      const trials = history(spec.limits.max_total_trials);
      for (const trial of trials) {
        assert.deepEqual(Object.keys(trial.params).sort(), Object.keys(spec.search_space).sort());
        for (const [name, dist] of Object.entries(spec.search_space as SearchSpace)) {
          assert.ok(inSpace(trial.params[name], dist), `${name} = ${trial.params[name]} outside ${JSON.stringify(dist)}`);
        }
      }
    });

    it('is deterministic: the same history and trial number give the same params', () => {
      const count = spec.limits.max_total_trials; // 6 for the grid, 40 otherwise
      const first = history(count);
      const second = history(count);
      assert.deepEqual(first.map((t) => t.params), second.map((t) => t.params));
      assert.ok(new Set(first.map((t) => JSON.stringify(t.params))).size > 1, 'not constant');
    });
  });
}
