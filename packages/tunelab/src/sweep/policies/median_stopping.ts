// Median stopping (Azure ML): at judged interval N, stop the trial if its best so far is worse than the median,
// over the other trials that reached N, of their running averages over intervals 1…N. (The trial itself is
// left out of the median, as in Optuna's MedianPruner; with no other trial at N nothing is stopped.)
import type { Decision, SweepView, TerminationPolicy, TrialView } from '../types.js';
import { median } from '../stats.js';
import { bestOf, digitsToTell, fmt, isEvaluationInterval, isWorse, meanOf } from './compare.js';

export interface MedianStoppingConfig {
  evaluation_interval: number;
  delay_evaluation: number;
}

export class MedianStoppingPolicy implements TerminationPolicy {
  constructor(private readonly config: MedianStoppingConfig) {}

  evaluate(sweep: SweepView, trial: TrialView): Decision {
    const interval = trial.values.length;
    if (!isEvaluationInterval(interval, this.config)) return { stop: false, reason: `median_stopping: interval ${interval} not judged` };
    const averages = sweep.trials
      .filter((t) => t.number !== trial.number && t.values.length >= interval)
      .map((t) => meanOf(t.values.slice(0, interval)))
      .filter((v) => !Number.isNaN(v));
    if (averages.length === 0) return { stop: false, reason: `median_stopping: no other trial reached interval ${interval}` };
    const trialBest = bestOf(trial.values, sweep.goal);
    const threshold = median(averages);
    const stop = isWorse(trialBest, threshold, sweep.goal);
    const relation = stop ? (sweep.goal === 'maximize' ? '<' : '>') : (sweep.goal === 'maximize' ? '≥' : '≤');
    const digits = digitsToTell([trialBest, threshold]);
    return {
      stop,
      reason: `median_stopping: best ${fmt(trialBest, digits)} ${relation} median ${fmt(threshold, digits)} of ${averages.length} trials' running averages at interval ${interval}`,
    };
  }
}
