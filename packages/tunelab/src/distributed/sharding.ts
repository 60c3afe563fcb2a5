// How ranks split data so that N ranks train exactly like one process with an N-times larger batch:
// every rank walks the same epoch order (same seed) in global batches of worldSize × perRankBatch examples
// and takes its own contiguous part of each. Evaluation splits the eval set into contiguous ranges, so
// gathering the ranks' outputs in rank order restores the dataset order.

export interface ShardRange {
  /** First index of this rank's part (inclusive). */
  start: number;
  /** End of this rank's part (exclusive); start === end when the rank has nothing. */
  end: number;
}

/**
 * This rank's contiguous part of `count` items: sizes differ by at most one, lower ranks take the extra ones
 * (as torch's `tensor_split` does).
 */
export function shardRange(count: number, rank: number, worldSize: number): ShardRange {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`shard count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`worldSize must be ≥ 1, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new RangeError(`rank ${rank} is outside world size ${worldSize}`);
  }
  const base = Math.floor(count / worldSize);
  const extra = count % worldSize;
  const start = rank * base + Math.min(rank, extra);
  return { start, end: start + base + (rank < extra ? 1 : 0) };
}

/** This rank's part of one global batch (or of any list): `items.slice(shardRange(...))`. */
export function shardOf<T>(items: readonly T[], rank: number, worldSize: number): T[] {
  const { start, end } = shardRange(items.length, rank, worldSize);
  return items.slice(start, end);
}

/**
 * What to multiply this rank's mean loss by so that averaging gradients over ranks yields the gradient of the
 * mean loss over the whole global batch, also when a (last) global batch does not split evenly:
 * Σ_r (n_r·W/N)·∇mean_r / W = Σ_r (n_r/N)·∇mean_r = ∇(global mean). Exactly 1 for even splits.
 */
export function shardLossScale(localCount: number, globalCount: number, worldSize: number): number {
  if (globalCount <= 0) throw new RangeError(`global batch must hold examples, got ${globalCount}`);
  return (localCount * worldSize) / globalCount;
}
