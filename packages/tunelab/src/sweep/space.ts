// The search space: Azure ML sweep distributions, their spec schema and how each turns a uniform number u in
// [0, 1) into a value (inverse CDF), so random, Sobol and TPE sampling share one definition of every law.
//   choice(values)                 a value, each equally likely
//   randint(upper)                 integer 0 … upper-1
//   uniform(min_value, max_value)  quniform(…, q) = round(uniform / q) · q
//   loguniform(min_value, max_value) = exp(uniform(min_value, max_value))  (bounds are natural logs)
//   qloguniform(…, q)              = round(loguniform / q) · q
//   normal(mu, sigma)              qnormal(…, q) = round(normal / q) · q
//   lognormal(mu, sigma) = exp(normal(mu, sigma))   qlognormal(…, q) = round(lognormal / q) · q
import { z } from 'zod';
import type { ParamValue } from '../track/store.js';
import { cleanFloat, normalQuantile } from './stats.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const positive = finite.refine((x) => x > 0, 'must be > 0');

const bounds = { min_value: finite, max_value: finite };
const gaussian = { mu: finite, sigma: positive };
const ordered = { message: 'min_value must be < max_value', path: ['max_value'] };
const isOrdered = (d: { min_value: number; max_value: number }) => d.min_value < d.max_value;

export const DISTRIBUTION_TYPES = [
  'choice', 'randint', 'uniform', 'quniform', 'loguniform', 'qloguniform', 'normal', 'qnormal', 'lognormal', 'qlognormal',
] as const;
export type DistributionType = (typeof DISTRIBUTION_TYPES)[number];

export const distributionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('choice'), values: z.array(scalar).min(1, 'choice needs at least one value') }),
  z.strictObject({ type: z.literal('randint'), upper: z.number().int().positive() }),
  z.strictObject({ type: z.literal('uniform'), ...bounds }).refine(isOrdered, ordered),
  z.strictObject({ type: z.literal('quniform'), ...bounds, q: positive }).refine(isOrdered, ordered),
  z.strictObject({ type: z.literal('loguniform'), ...bounds }).refine(isOrdered, ordered),
  z.strictObject({ type: z.literal('qloguniform'), ...bounds, q: positive }).refine(isOrdered, ordered),
  z.strictObject({ type: z.literal('normal'), ...gaussian }),
  z.strictObject({ type: z.literal('qnormal'), ...gaussian, q: positive }),
  z.strictObject({ type: z.literal('lognormal'), ...gaussian }),
  z.strictObject({ type: z.literal('qlognormal'), ...gaussian, q: positive }),
], { error: () => `type must be one of ${DISTRIBUTION_TYPES.join(', ')}` });

export type Distribution = z.infer<typeof distributionSchema>;
export type SearchSpace = Record<string, Distribution>;

/** The value of `dist` at quantile u (u in [0, 1); clamped away from 0 and 1 for the unbounded laws). */
export function valueAt(dist: Distribution, u: number): ParamValue {
  const p = Math.min(Math.max(u, 1e-12), 1 - 1e-12);
  switch (dist.type) {
    case 'choice': return dist.values[Math.min(Math.floor(u * dist.values.length), dist.values.length - 1)];
    case 'randint': return Math.min(Math.floor(u * dist.upper), dist.upper - 1);
    case 'uniform': return dist.min_value + u * (dist.max_value - dist.min_value);
    case 'quniform': return quantize(dist.min_value + u * (dist.max_value - dist.min_value), dist.q);
    case 'loguniform': return Math.exp(dist.min_value + u * (dist.max_value - dist.min_value));
    case 'qloguniform': return quantize(Math.exp(dist.min_value + u * (dist.max_value - dist.min_value)), dist.q);
    case 'normal': return dist.mu + dist.sigma * normalQuantile(p);
    case 'qnormal': return quantize(dist.mu + dist.sigma * normalQuantile(p), dist.q);
    case 'lognormal': return Math.exp(dist.mu + dist.sigma * normalQuantile(p));
    case 'qlognormal': return quantize(Math.exp(dist.mu + dist.sigma * normalQuantile(p)), dist.q);
  }
}

/** round(x / q) · q, without float noise. */
export function quantize(x: number, q: number): number {
  return cleanFloat(Math.round(x / q) * q);
}

/** Every value of a choice-only space, in a fixed order: the cartesian product, last key varying fastest. */
export function gridPoints(space: SearchSpace): Record<string, ParamValue>[] {
  let points: Record<string, ParamValue>[] = [{}];
  for (const [name, dist] of Object.entries(space)) {
    if (dist.type !== 'choice') throw new RangeError(`grid needs choice parameters; ${name} is ${dist.type}`);
    points = points.flatMap((point) => dist.values.map((value) => ({ ...point, [name]: value })));
  }
  return points;
}
