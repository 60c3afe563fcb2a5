// Asynchronous successive halving (ASHA; beyond Azure ML). Rungs sit at intervals grace_period·η^k (below max_t).
// When a trial reaches a rung it continues only if its best so far is within the top 1/η of every trial that
// reached that rung (itself included), judged on their bests up to the rung; as in Optuna, while fewer than η
// trials reached the rung only the best one continues.
import type { Decision, SweepView, TerminationPolicy, TrialView } from '../types.js';
import { bestOf, fmt, isWorse } from './compare.js';

export interface AshaConfig {
  grace_period: number;
  reduction_factor: number;
  max_t?: number;
}

export class AshaPolicy implements TerminationPolicy {
  constructor(private readonly config: AshaConfig) {}

  /** The rung intervals up to `limit`. */
  rungs(limit: number): number[] {
    const rungs: number[] = [];
    for (let r = this.config.grace_period; r <= limit && (this.config.max_t === undefined || r < this.config.max_t); r *= this.config.reduction_factor) {
      rungs.push(r);
    }
    return rungs;
  }

  evaluate(sweep: SweepView, trial: TrialView): Decision {
    const interval = trial.values.length;
    if (!this.rungs(interval).includes(interval)) return { stop: false, reason: `asha: interval ${interval} is not a rung` };
    const eta = this.config.reduction_factor;
    const atRung = sweep.trials.filter((t) => t.number !== trial.number && t.values.length >= interval)
      .map((t) => bestOf(t.values.slice(0, interval), sweep.goal));
    const trialBest = bestOf(trial.values, sweep.goal);
    const n = atRung.length + 1;
    const promoted = Math.max(1, Math.floor(n / eta));
    const rank = 1 + atRung.filter((v) => isWorse(trialBest, v, sweep.goal)).length;
    const stop = rank > promoted;
    return {
      stop,
      reason: `asha: best ${fmt(trialBest)} ranks ${rank} of ${n} at rung ${interval}; top ${promoted} (1/${eta}) continue`,
    };
  }
}
