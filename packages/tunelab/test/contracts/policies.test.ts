// The TerminationPolicy contract, for every policy: pure (frozen inputs, same answer every time), silent before
// its first judged interval, and every decision's reason names the policy, the numbers and the interval.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPolicy } from '../../src/sweep/policies/index.js';
import { earlyTerminationSchema } from '../../src/sweep/spec.js';
import type { SweepView, TrialView } from '../../src/sweep/types.js';

const CONFIGS = [
  { type: 'bandit', slack_factor: 0.1, delay_evaluation: 3 },
  { type: 'bandit', slack_amount: 0.05, evaluation_interval: 2 },
  { type: 'median_stopping', delay_evaluation: 3 },
  { type: 'truncation_selection', truncation_percentage: 30, delay_evaluation: 3 },
  { type: 'asha', grace_period: 3, reduction_factor: 2 },
];

/** Eight trials with decaying losses; trial k plateaus at 0.2 + 0.1·k. */
function curves(): TrialView[] {
  return Array.from({ length: 8 }, (_, k) => ({
    number: k, params: { k }, status: k < 4 ? 'completed' : 'running',
    values: Array.from({ length: 12 - k }, (_, i) => 0.2 + 0.1 * k + Math.exp(-(i + 1) / 3)),
  }));
}

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
};

for (const raw of CONFIGS) {
  const config = earlyTerminationSchema.parse(raw);
  const policy = createPolicy(config)!;
  describe(`TerminationPolicy contract: ${JSON.stringify(raw)}`, () => {
    it('is pure: frozen inputs, identical decisions on repeated calls', () => {
      for (const goal of ['minimize', 'maximize'] as const) {
        const view: SweepView = deepFreeze({ space: {}, goal, trials: curves() });
        for (const trial of view.trials) {
          for (let n = 1; n <= trial.values.length; n++) {
            const judged = { ...trial, values: trial.values.slice(0, n) };
            assert.deepEqual(policy.evaluate(view, judged), policy.evaluate(view, judged));
          }
        }
      }
    });

    it('never stops before its first judged interval, and stops the worst trial eventually', () => {
      const first = config.type === 'asha' ? config.grace_period : Math.max(1, 'delay_evaluation' in config ? config.delay_evaluation : 1);
      const view: SweepView = { space: {}, goal: 'minimize', trials: curves() };
      for (const trial of view.trials) {
        for (let n = 1; n < first; n++) assert.equal(policy.evaluate(view, { ...trial, values: trial.values.slice(0, n) }).stop, false);
      }
      const worst = view.trials[7];
      const stopped = worst.values.some((_, i) => policy.evaluate(view, { ...worst, values: worst.values.slice(0, i + 1) }).stop);
      assert.ok(stopped, 'the trial that plateaus highest is stopped at some interval');
    });

    it('gives reasons with the policy name, the numbers compared and the interval', () => {
      const view: SweepView = { space: {}, goal: 'minimize', trials: curves() };
      const worst = view.trials[7];
      for (let n = 1; n <= worst.values.length; n++) {
        const decision = policy.evaluate(view, { ...worst, values: worst.values.slice(0, n) });
        assert.ok(decision.reason.startsWith(`${config.type}:`), decision.reason);
        if (decision.stop) {
          assert.match(decision.reason, /\d\.\d/, 'numbers');
          assert.match(decision.reason, new RegExp(`(interval|rung) ${n}\\b`));
        }
      }
    });
  });
}
