// Learning-rate schedules: warmup, then linear decay to 0, half-cosine decay to 0, or constant.
// Same multipliers as Hugging Face's get_{linear,cosine,constant}_schedule_with_warmup: update number k
// (0-based, the k-th optimizer step) runs at baseLr * multiplier(k), so the first update of a warmed-up run has lr 0.

export const SCHEDULERS = ['linear', 'cosine', 'constant'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

export interface Schedule {
  name: SchedulerName;
  warmupSteps: number;
  totalSteps: number;
}

/** The multiplier of the base learning rate for optimizer update `step` (0-based). */
export function lrMultiplier(schedule: Schedule, step: number): number {
  const { name, warmupSteps, totalSteps } = schedule;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (name === 'constant') return 1;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (name === 'linear') return Math.max(0, 1 - progress);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** Warmup length from either an explicit step count or a ratio of the total (rounded up, as HF does). */
export function warmupSteps(totalSteps: number, opts: { warmupSteps?: number; warmupRatio?: number }): number {
  if (opts.warmupSteps !== undefined) return opts.warmupSteps;
  return Math.ceil((opts.warmupRatio ?? 0) * totalSteps);
}
