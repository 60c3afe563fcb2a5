// Bandit (Azure ML): at each judged interval N, stop the trial if its best so far falls outside the slack of the
// best value any trial reported within its first N intervals. Maximizing: cutoff = best/(1+slack_factor) or
// best − slack_amount; minimizing: best·(1+slack_factor) or best + slack_amount. Azure's example: best 0.8,
// slack_factor 0.2 → cutoff 0.8/1.2 = 0.667; a trial whose best is below 0.667 is cancelled.
import type { Decision, SweepView, TerminationPolicy, TrialView } from '../types.js';
import { bestOf, digitsToTell, fmt, isEvaluationInterval, isWorse } from './compare.js';

export interface BanditConfig {
  slack_factor?: number;
  slack_amount?: number;
  evaluation_interval: number;
  delay_evaluation: number;
}

export class BanditPolicy implements TerminationPolicy {
  constructor(private readonly config: BanditConfig) {}

  evaluate(sweep: SweepView, trial: TrialView): Decision {
    const interval = trial.values.length;
    if (!isEvaluationInterval(interval, this.config)) return { stop: false, reason: `bandit: interval ${interval} not judged` };
    const goal = sweep.goal;
    const trialBest = bestOf(trial.values, goal);
    const others = sweep.trials.filter((t) => t.number !== trial.number).flatMap((t) => t.values.slice(0, interval));
    const best = bestOf([...others, ...trial.values], goal);
    const { cutoff, formula } = this.cutoff(best, goal === 'maximize');
    const stop = isWorse(trialBest, cutoff, goal);
    const relation = stop ? (goal === 'maximize' ? '<' : '>') : (goal === 'maximize' ? '≥' : '≤');
    const digits = digitsToTell([trialBest, cutoff]); // never "0.411 > … = 0.411"
    return {
      stop,
      reason: `bandit: best ${fmt(trialBest, digits)} ${relation} ${formula(digits)} = ${fmt(cutoff, digits)} at interval ${interval}`,
    };
  }

  /** The cutoff, and its formula printed with `digits` significant digits. */
  private cutoff(best: number, maximize: boolean): { cutoff: number; formula: (digits: number) => string } {
    const { slack_factor: factor, slack_amount: amount } = this.config;
    if (factor !== undefined) {
      return maximize
        ? { cutoff: best / (1 + factor), formula: (d) => `${fmt(best, d)}/(1+${factor})` }
        : { cutoff: best * (1 + factor), formula: (d) => `${fmt(best, d)}·(1+${factor})` };
    }
    const slack = amount ?? 0;
    return maximize
      ? { cutoff: best - slack, formula: (d) => `${fmt(best, d)}−${slack}` }
      : { cutoff: best + slack, formula: (d) => `${fmt(best, d)}+${slack}` };
  }
}
