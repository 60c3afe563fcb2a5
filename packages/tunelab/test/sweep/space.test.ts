// Each distribution's law on many draws, for both sampling rules (seeded random and Sobol): Kolmogorov–Smirnov
// against the exact CDF for continuous laws, chi-square against exact bin probabilities for discrete ones.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RandomSampler } from '../../src/sweep/samplers/random.js';
import type { Distribution } from '../../src/sweep/space.js';
import { normalCdf } from '../../src/sweep/stats.js';

const N = 4000;
const KS_CRITICAL = 1.95 / Math.sqrt(N); // α = 0.001

function draws(dist: Distribution, rule: 'random' | 'sobol', seed = 11): number[] {
  const sampler = new RandomSampler(seed, rule);
  const view = { space: { x: dist }, goal: 'minimize' as const, trials: [] };
  return Array.from({ length: N }, (_, n) => sampler.sample(view, { number: n }).x as number);
}

function ksStatistic(sample: number[], cdf: (x: number) => number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  });
  return d;
}

/** Chi-square statistic and its 0.001 critical value (Wilson–Hilferty), bins with expected count < 5 merged. */
function chiSquare(sample: (number | string)[], probabilities: Map<number | string, number>): { statistic: number; critical: number } {
  const counts = new Map<number | string, number>();
  for (const v of sample) {
    assert.ok(probabilities.has(v), `unexpected value ${v}`);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  let statistic = 0;
  let bins = 0;
  let pendingObserved = 0;
  let pendingExpected = 0;
  for (const [value, p] of probabilities) {
    pendingObserved += counts.get(value) ?? 0;
    pendingExpected += p * sample.length;
    if (pendingExpected >= 5) {
      statistic += (pendingObserved - pendingExpected) ** 2 / pendingExpected;
      bins += 1;
      pendingObserved = 0;
      pendingExpected = 0;
    }
  }
  if (pendingExpected > 0) statistic += (pendingObserved - pendingExpected) ** 2 / Math.max(pendingExpected, 1e-9);
  const df = Math.max(1, bins - 1);
  const z = 3.09;
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { statistic, critical };
}

const isMultiple = (x: number, q: number) => Math.abs(x / q - Math.round(x / q)) < 1e-9;

for (const rule of ['random', 'sobol'] as const) {
  describe(`distribution laws, rule ${rule}`, () => {
    it('uniform(min, max)', () => {
      const xs = draws({ type: 'uniform', min_value: -2, max_value: 3 }, rule);
      assert.ok(xs.every((x) => x >= -2 && x < 3));
      assert.ok(ksStatistic(xs, (x) => (x + 2) / 5) < KS_CRITICAL);
    });

    it('loguniform: bounds are natural logs, ln(value) is uniform', () => {
      const xs = draws({ type: 'loguniform', min_value: -13.8, max_value: -6.9 }, rule);
      assert.ok(xs.every((x) => x >= Math.exp(-13.8) && x <= Math.exp(-6.9)));
      assert.ok(ksStatistic(xs, (x) => (Math.log(x) + 13.8) / 6.9) < KS_CRITICAL);
    });

    it('normal(mu, sigma)', () => {
      const xs = draws({ type: 'normal', mu: 1, sigma: 2 }, rule);
      assert.ok(ksStatistic(xs, (x) => normalCdf((x - 1) / 2)) < KS_CRITICAL);
      const mean = xs.reduce((s, x) => s + x, 0) / N;
      const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (N - 1));
      assert.ok(Math.abs(mean - 1) < 4 * 2 / Math.sqrt(N), `mean ${mean}`);
      assert.ok(Math.abs(sd - 2) < 0.1, `sd ${sd}`);
    });

    it('lognormal(mu, sigma) = exp(normal)', () => {
      const xs = draws({ type: 'lognormal', mu: 0.5, sigma: 0.4 }, rule);
      assert.ok(xs.every((x) => x > 0));
      assert.ok(ksStatistic(xs, (x) => normalCdf((Math.log(x) - 0.5) / 0.4)) < KS_CRITICAL);
    });

    it('choice(values): each value equally likely', () => {
      const values = ['a', 'b', 'c', 'd'];
      const xs = draws({ type: 'choice', values }, rule) as unknown as string[];
      const { statistic, critical } = chiSquare(xs, new Map(values.map((v) => [v, 0.25])));
      assert.ok(statistic < critical, `${statistic} ≥ ${critical}`);
    });

    it('randint(upper): integers 0 … upper-1, uniform', () => {
      const xs = draws({ type: 'randint', upper: 7 }, rule);
      const { statistic, critical } = chiSquare(xs, new Map(Array.from({ length: 7 }, (_, k) => [k, 1 / 7])));
      assert.ok(statistic < critical, `${statistic} ≥ ${critical}`);
    });

    it('quniform: round(uniform / q) · q, half-width end bins', () => {
      const xs = draws({ type: 'quniform', min_value: 0, max_value: 1, q: 0.25 }, rule);
      assert.ok(xs.every((x) => isMultiple(x, 0.25)));
      const p = new Map([[0, 0.125], [0.25, 0.25], [0.5, 0.25], [0.75, 0.25], [1, 0.125]]);
      const { statistic, critical } = chiSquare(xs, p);
      assert.ok(statistic < critical, `${statistic} ≥ ${critical}`);
    });

    it('qloguniform: round(exp(uniform) / q) · q', () => {
      const high = Math.log(100);
      const xs = draws({ type: 'qloguniform', min_value: 0, max_value: high, q: 10 }, rule);
      const p = new Map<number, number>();
      for (let k = 0; k <= 10; k++) {
        const lo = Math.max(10 * k - 5, 1);
        const hi = Math.min(10 * k + 5, 100);
        p.set(10 * k, (Math.log(hi) - Math.log(lo)) / high);
      }
      const { statistic, critical } = chiSquare(xs, p);
      assert.ok(statistic < critical, `${statistic} ≥ ${critical}`);
    });

    it('qnormal: round(normal / q) · q', () => {
      const xs = draws({ type: 'qnormal', mu: 0, sigma: 1, q: 0.5 }, rule);
      assert.ok(xs.every((x) => isMultiple(x, 0.5)));
      const p = new Map<number, number>();
      for (let k = -12; k <= 12; k++) p.set(k * 0.5, normalCdf(k * 0.5 + 0.25) - normalCdf(k * 0.5 - 0.25));
      const { statistic, critical } = chiSquare(xs, p);
      assert.ok(statistic < critical, `${statistic} ≥ ${critical}`);
    });

    it('qlognormal: round(exp(normal) / q) · q', () => {
      const xs = draws({ type: 'qlognormal', mu: 1, sigma: 0.5, q: 1 }, rule);
      const p = new Map<number, number>();
      const cdf = (x: number) => (x <= 0 ? 0 : normalCdf((Math.log(x) - 1) / 0.5));
      for (let k = 0; k <= 40; k++) p.set(k, cdf(k + 0.5) - cdf(k - 0.5));
      const { statistic, critical } = chiSquare(xs, p);
      assert.ok(statistic < critical, `${statistic} ≥ ${critical}`);
    });
  });
}

describe('seeding', () => {
  it('gives the same params for the same seed and trial number, and different ones otherwise', () => {
    const space = { a: { type: 'uniform' as const, min_value: 0, max_value: 1 }, b: { type: 'randint' as const, upper: 1000 } };
    const view = { space, goal: 'minimize' as const, trials: [] };
    for (const rule of ['random', 'sobol'] as const) {
      const one = new RandomSampler(5, rule);
      const again = new RandomSampler(5, rule);
      const other = new RandomSampler(6, rule);
      assert.deepEqual(one.sample(view, { number: 17 }), again.sample(view, { number: 17 }));
      assert.notDeepEqual(one.sample(view, { number: 17 }), other.sample(view, { number: 17 }));
      assert.notDeepEqual(one.sample(view, { number: 17 }), one.sample(view, { number: 18 }));
    }
  });
});
