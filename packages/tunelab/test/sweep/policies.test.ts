// Every termination policy's decisions on hand-made curves, against hand-computed cutoffs (Azure's documented
// example included: best 0.8, slack_factor 0.2 → cutoff 0.8/1.2 = 0.667).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BanditPolicy } from '../../src/sweep/policies/bandit.js';
import { MedianStoppingPolicy } from '../../src/sweep/policies/median_stopping.js';
import { TruncationSelectionPolicy } from '../../src/sweep/policies/truncation_selection.js';
import { AshaPolicy } from '../../src/sweep/policies/asha.js';
import type { Goal, SweepView, TrialView } from '../../src/sweep/types.js';

function trial(number: number, values: number[], status: TrialView['status'] = 'running'): TrialView {
  return { number, params: {}, status, values };
}
function sweep(goal: Goal, ...trials: TrialView[]): SweepView {
  return { space: {}, goal, trials };
}

describe('bandit', () => {
  const azure = new BanditPolicy({ slack_factor: 0.2, evaluation_interval: 1, delay_evaluation: 0 });

  it('Azure\'s example: best 0.8 with slack_factor 0.2 cancels a trial whose best is below 0.667', () => {
    const leader = trial(0, [0.5, 0.6, 0.7, 0.8]);
    const weak = trial(1, [0.3, 0.4, 0.52, 0.5]);
    assert.deepEqual(azure.evaluate(sweep('maximize', leader, weak), weak),
      { stop: true, reason: 'bandit: best 0.52 < 0.8/(1+0.2) = 0.667 at interval 4' });
    const close = trial(2, [0.3, 0.4, 0.5, 0.67]);
    assert.deepEqual(azure.evaluate(sweep('maximize', leader, close), close),
      { stop: false, reason: 'bandit: best 0.67 ≥ 0.8/(1+0.2) = 0.667 at interval 4' });
  });

  it('minimizing: cutoff best·(1+slack); slack_amount: best ± amount', () => {
    const leader = trial(0, [0.5, 0.3]);
    const factor = new BanditPolicy({ slack_factor: 0.5, evaluation_interval: 1, delay_evaluation: 0 });
    assert.equal(factor.evaluate(sweep('minimize', leader, trial(1, [0.6, 0.46])), trial(1, [0.6, 0.46])).stop, true); // 0.46 > 0.45
    assert.equal(factor.evaluate(sweep('minimize', leader, trial(1, [0.6, 0.44])), trial(1, [0.6, 0.44])).stop, false);
    const amount = new BanditPolicy({ slack_amount: 0.1, evaluation_interval: 1, delay_evaluation: 0 });
    const late = trial(1, [0.9, 0.45]);
    assert.deepEqual(amount.evaluate(sweep('minimize', leader, late), late), { stop: true, reason: 'bandit: best 0.45 > 0.3+0.1 = 0.4 at interval 2' });
    const up = trial(1, [0.1, 0.15]);
    assert.deepEqual(amount.evaluate(sweep('maximize', trial(0, [0.2, 0.3]), up), up), { stop: true, reason: 'bandit: best 0.15 < 0.3−0.1 = 0.2 at interval 2' });
  });

  it('prints enough digits that the reason never reads as a contradiction ("0.411 > … = 0.411")', () => {
    const policy = new BanditPolicy({ slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 0 });
    const leader = trial(0, [0.374]);
    const close = trial(1, [0.41145]); // cutoff 0.374·1.1 = 0.4114: both are 0.411 at 3 digits
    assert.deepEqual(policy.evaluate(sweep('minimize', leader, close), close),
      { stop: true, reason: 'bandit: best 0.41145 > 0.374·(1+0.1) = 0.4114 at interval 1' });
  });

  it('compares with what the others reported within the same number of intervals', () => {
    const veteran = trial(0, [0.5, 0.5, 0.5, 0.99]); // its 0.99 came at interval 4
    const young = trial(1, [0.3, 0.45]);
    assert.equal(azure.evaluate(sweep('maximize', veteran, young), young).stop, false, 'judged against 0.5, not 0.99');
  });

  it('judges only multiples of evaluation_interval from delay_evaluation on', () => {
    const policy = new BanditPolicy({ slack_factor: 0.1, evaluation_interval: 2, delay_evaluation: 3 });
    const leader = trial(0, Array(10).fill(1));
    const judged: number[] = [];
    for (let n = 1; n <= 10; n++) {
      const bad = trial(1, Array(n).fill(0.1));
      if (policy.evaluate(sweep('maximize', leader, bad), bad).stop) judged.push(n);
    }
    assert.deepEqual(judged, [4, 6, 8, 10]);
  });
});

describe('median_stopping', () => {
  const policy = new MedianStoppingPolicy({ evaluation_interval: 1, delay_evaluation: 0 });
  const a = trial(0, [1.0, 0.8, 0.6], 'completed'); // running averages: 1.0, 0.9, 0.8
  const b = trial(1, [0.9, 0.7, 0.5]); //               0.9, 0.8, 0.7
  const c = trial(2, [1.2, 1.0]); //                    1.2, 1.1 (never reached 3)

  it('stops a trial whose best is worse than the median of the others\' running averages', () => {
    const t = trial(3, [1.1, 0.9, 0.76]);
    assert.deepEqual(policy.evaluate(sweep('minimize', a, b, c, t), t),
      { stop: true, reason: 'median_stopping: best 0.76 > median 0.75 of 2 trials\' running averages at interval 3' });
    const tie = trial(3, [1.1, 0.9, 0.75]);
    assert.equal(policy.evaluate(sweep('minimize', a, b, c, tie), tie).stop, false);
  });

  it('counts only trials that reached the interval', () => {
    const t = trial(3, [1.1, 0.9]); // median of 0.9, 0.8, 1.1 = 0.9
    assert.deepEqual(policy.evaluate(sweep('minimize', a, b, c, t), t),
      { stop: false, reason: 'median_stopping: best 0.9 ≤ median 0.9 of 3 trials\' running averages at interval 2' });
    const alone = trial(0, [5]);
    assert.equal(policy.evaluate(sweep('minimize', alone), alone).stop, false);
  });

  it('maximizing flips the comparison', () => {
    // median of the running averages at interval 3: (0.8 + 0.7) / 2 = 0.75
    const low = trial(3, [0.6, 0.7, 0.74]);
    assert.deepEqual(policy.evaluate(sweep('maximize', a, b, c, low), low),
      { stop: true, reason: 'median_stopping: best 0.74 < median 0.75 of 2 trials\' running averages at interval 3' });
    const high = trial(3, [0.6, 0.7, 0.79]);
    assert.equal(policy.evaluate(sweep('maximize', a, b, c, high), high).stop, false);
  });
});

describe('truncation_selection', () => {
  const policy = new TruncationSelectionPolicy({ truncation_percentage: 20, exclude_finished_jobs: false, evaluation_interval: 1, delay_evaluation: 0 });
  const others = [trial(0, [0.5, 0.4]), trial(1, [0.6, 0.45]), trial(2, [0.7, 0.5]), trial(3, [0.8, 0.55])];

  it('cancels the lowest 20% at an interval (⌊5 · 0.2⌋ = 1 trial)', () => {
    const worst = trial(4, [0.9, 0.6]);
    assert.deepEqual(policy.evaluate(sweep('minimize', ...others, worst), worst),
      { stop: true, reason: 'truncation_selection: best 0.6 ranks 5 of 5 at interval 2; lowest 20% = 1 cancelled' });
    const middling = trial(4, [0.9, 0.52]);
    assert.equal(policy.evaluate(sweep('minimize', ...others, middling), middling).stop, false);
  });

  it('compares a young trial with the others at the same interval', () => {
    const later = [trial(0, [0.5, 0.1, 0.05]), trial(1, [0.6, 0.2, 0.1]), trial(2, [0.7, 0.3]), trial(3, [0.8, 0.35])];
    const young = trial(4, [0.65]); // at interval 1 it beats two of them
    assert.equal(policy.evaluate(sweep('minimize', ...later, young), young).stop, false);
    const youngWorst = trial(4, [0.85]);
    assert.equal(policy.evaluate(sweep('minimize', ...later, youngWorst), youngWorst).stop, true);
  });

  it('cancels nobody while ⌊n · pct⌋ is 0, and can leave finished trials out', () => {
    const worst = trial(3, [0.9, 0.9]);
    assert.equal(policy.evaluate(sweep('minimize', ...others.slice(0, 3), worst), worst).stop, false); // ⌊4 · 0.2⌋ = 0
    const excluding = new TruncationSelectionPolicy({ truncation_percentage: 20, exclude_finished_jobs: true, evaluation_interval: 1, delay_evaluation: 0 });
    const finished = others.map((t) => ({ ...t, status: 'completed' as const }));
    assert.equal(excluding.evaluate(sweep('minimize', ...finished, worst), worst).stop, false);
  });
});

describe('asha', () => {
  const policy = new AshaPolicy({ grace_period: 1, reduction_factor: 3 });

  it('places rungs at grace·η^k below max_t', () => {
    assert.deepEqual(policy.rungs(100), [1, 3, 9, 27, 81]);
    assert.deepEqual(new AshaPolicy({ grace_period: 2, reduction_factor: 2, max_t: 16 }).rungs(100), [2, 4, 8]);
  });

  it('keeps the top 1/η at a rung', () => {
    const rivals = [trial(0, [0.5]), trial(1, [0.6]), trial(2, [0.7])];
    const t = trial(3, [0.65]); // n = 4 → top ⌊4/3⌋ = 1 continues; 0.65 ranks 3
    assert.deepEqual(policy.evaluate(sweep('minimize', ...rivals, t), t),
      { stop: true, reason: 'asha: best 0.65 ranks 3 of 4 at rung 1; top 1 (1/3) continue' });
    const best = trial(3, [0.4]);
    assert.equal(policy.evaluate(sweep('minimize', ...rivals, best), best).stop, false);
  });

  it('lets the first trial at a rung through and ignores intervals between rungs', () => {
    const first = trial(0, [9, 9, 9]);
    assert.equal(policy.evaluate(sweep('minimize', first), first).stop, false);
    const between = trial(1, [9, 9]);
    assert.deepEqual(policy.evaluate(sweep('minimize', trial(0, [0.1, 0.1]), between), between), { stop: false, reason: 'asha: interval 2 is not a rung' });
  });
});
