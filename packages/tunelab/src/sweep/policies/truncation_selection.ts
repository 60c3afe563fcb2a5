// Truncation selection (Azure ML): at each judged interval N, rank the trials that reached N (this one included)
// by their best value over intervals 1…N and cancel this trial if it is among the lowest truncation_percentage%
// (⌊n·pct/100⌋ trials; ties rank in the trial's favour). Young trials are thus compared with the others as they
// were at the same interval. exclude_finished_jobs leaves completed trials out of the ranking.
import type { Decision, SweepView, TerminationPolicy, TrialView } from '../types.js';
import { bestOf, fmt, isEvaluationInterval, isWorse } from './compare.js';

export interface TruncationSelectionConfig {
  truncation_percentage: number;
  exclude_finished_jobs: boolean;
  evaluation_interval: number;
  delay_evaluation: number;
}

export class TruncationSelectionPolicy implements TerminationPolicy {
  constructor(private readonly config: TruncationSelectionConfig) {}

  evaluate(sweep: SweepView, trial: TrialView): Decision {
    const interval = trial.values.length;
    const pct = this.config.truncation_percentage;
    if (!isEvaluationInterval(interval, this.config)) return { stop: false, reason: `truncation_selection: interval ${interval} not judged` };
    const others = sweep.trials.filter((t) => t.number !== trial.number && t.values.length >= interval &&
      !(this.config.exclude_finished_jobs && t.status === 'completed'));
    const trialBest = bestOf(trial.values, sweep.goal);
    const competitors = others.map((t) => bestOf(t.values.slice(0, interval), sweep.goal));
    const n = competitors.length + 1;
    const cancelled = Math.floor((n * pct) / 100);
    const rank = 1 + competitors.filter((v) => isWorse(trialBest, v, sweep.goal)).length;
    const stop = cancelled > 0 && rank > n - cancelled;
    return {
      stop,
      reason: `truncation_selection: best ${fmt(trialBest)} ranks ${rank} of ${n} at interval ${interval}; lowest ${pct}% = ${cancelled} cancelled`,
    };
  }
}
