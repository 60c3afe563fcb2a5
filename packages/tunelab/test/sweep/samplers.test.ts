// Grid exhaustiveness, and TPE beating random search on known functions over fixed seeds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GridSampler } from '../../src/sweep/samplers/grid.js';
import { RandomSampler } from '../../src/sweep/samplers/random.js';
import { TpeSampler } from '../../src/sweep/samplers/bayesian.js';
import type { SearchSpace } from '../../src/sweep/space.js';
import type { Params } from '../../src/track/store.js';
import type { Sampler, TrialView } from '../../src/sweep/types.js';

describe('grid', () => {
  it('visits every combination of the choice values exactly once', () => {
    const space: SearchSpace = {
      lr: { type: 'choice', values: [1e-5, 3e-5, 1e-4] },
      bs: { type: 'choice', values: [16, 32] },
      opt: { type: 'choice', values: ['adam', 'sgd'] },
    };
    const sampler = new GridSampler();
    const view = { space, goal: 'minimize' as const, trials: [] };
    const seen = Array.from({ length: 12 }, (_, n) => JSON.stringify(sampler.sample(view, { number: n })));
    assert.equal(new Set(seen).size, 12);
    for (const lr of [1e-5, 3e-5, 1e-4]) for (const bs of [16, 32]) for (const opt of ['adam', 'sgd']) {
      assert.ok(seen.includes(JSON.stringify({ lr, bs, opt })), `${lr} ${bs} ${opt}`);
    }
    assert.throws(() => sampler.sample(view, { number: 12 }), RangeError);
  });
});

/** Runs a sequential sweep of `budget` trials on `objective`; returns the best value found. */
function optimise(sampler: Sampler, space: SearchSpace, objective: (p: Params) => number, budget: number): { best: number; trials: TrialView[] } {
  const trials: TrialView[] = [];
  for (let n = 0; n < budget; n++) {
    const params = sampler.sample({ space, goal: 'minimize', trials }, { number: n });
    trials.push({ number: n, params, status: 'completed', values: [objective(params)] });
  }
  return { best: Math.min(...trials.map((t) => t.values[0])), trials };
}

describe('bayesian (TPE)', () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];

  it('beats random search on a 2-D quadratic bowl over fixed seeds', () => {
    const space: SearchSpace = { x: { type: 'uniform', min_value: -5, max_value: 5 }, y: { type: 'uniform', min_value: -5, max_value: 5 } };
    const bowl = (p: Params) => ((p.x as number) - 1.3) ** 2 + ((p.y as number) + 2.1) ** 2;
    const tpe = seeds.map((s) => optimise(new TpeSampler(s), space, bowl, 60).best);
    const random = seeds.map((s) => optimise(new RandomSampler(s), space, bowl, 60).best);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(tpe) < mean(random) / 3, `TPE mean best ${mean(tpe)} vs random ${mean(random)}`);
    assert.ok(tpe.filter((v, i) => v < random[i]).length >= 7, `TPE won ${tpe.filter((v, i) => v < random[i]).length}/8`);
  });

  it('beats random search on Branin (2-D, three minima, f* = 0.397887)', () => {
    const space: SearchSpace = { x: { type: 'uniform', min_value: -5, max_value: 10 }, y: { type: 'uniform', min_value: 0, max_value: 15 } };
    const branin = (p: Params) => {
      const x = p.x as number;
      const y = p.y as number;
      return (y - 5.1 / (4 * Math.PI ** 2) * x ** 2 + 5 / Math.PI * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
    };
    const tpe = seeds.map((s) => optimise(new TpeSampler(s), space, branin, 60).best - 0.397887);
    const random = seeds.map((s) => optimise(new RandomSampler(s), space, branin, 60).best - 0.397887);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(tpe) < mean(random), `TPE mean regret ${mean(tpe)} vs random ${mean(random)}`);
  });

  it('learns which choice is good and keeps quniform values on the grid', () => {
    const space: SearchSpace = {
      opt: { type: 'choice', values: ['sgd', 'adam', 'rmsprop'] },
      warmup: { type: 'quniform', min_value: 0, max_value: 1000, q: 50 },
    };
    const objective = (p: Params) => (p.opt === 'adam' ? 0 : 1) + Math.abs((p.warmup as number) - 300) / 1000;
    const { trials } = optimise(new TpeSampler(3), space, objective, 50);
    const late = trials.slice(25);
    assert.ok(late.filter((t) => t.params.opt === 'adam').length >= 15, 'mostly adam once the model has data');
    assert.ok(trials.every((t) => (t.params.warmup as number) % 50 === 0 && (t.params.warmup as number) >= 0 && (t.params.warmup as number) <= 1000));
  });

  it('draws the startup trials at random, reproducibly', () => {
    const space: SearchSpace = { x: { type: 'uniform', min_value: 0, max_value: 1 } };
    const view = { space, goal: 'minimize' as const, trials: [] };
    assert.deepEqual(new TpeSampler(9).sample(view, { number: 0 }), new TpeSampler(9).sample(view, { number: 0 }));
  });
});
