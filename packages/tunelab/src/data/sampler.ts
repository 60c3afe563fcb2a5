// Which features go in which batch, per epoch. Training order is a function of (seed, epoch) only; with
// `groupByLength` it follows HF's LengthGroupedSampler (mega-batches of similar lengths, so padding is small).
// Data-parallel ranks each take a disjoint slice of every global batch (batchSize × worldSize features).
import { Rng } from './rng.js';
import { shardOf } from '../distributed/sharding.js';

export interface Shard {
  rank: number;
  worldSize: number;
}

export interface TrainOrderOptions {
  /** Features per batch on each rank. */
  batchSize: number;
  seed: number;
  epoch: number;
  /** Group features of similar length into batches (HF's group_by_length). Default false. */
  groupByLength?: boolean;
  /** Mega-batch size in global batches; default as HF: min(n / (4 × global batch), 50), at least 1. */
  megaBatchMult?: number;
  shard?: Shard;
}

/**
 * Training batches for one epoch (feature indices per batch, this rank's share). Every rank gets the same number of
 * batches: a last global batch smaller than the world size is dropped.
 */
export function trainOrder(lengths: ArrayLike<number>, options: TrainOrderOptions): number[][] {
  const { worldSize, rank } = checkShard(options.shard);
  const globalBatch = checkBatchSize(options.batchSize) * worldSize;
  const rng = new Rng(options.seed, options.epoch);
  const order = rng.permutation(lengths.length);
  let batches: number[][];
  if (options.groupByLength) {
    const mult = options.megaBatchMult ?? Math.max(1, Math.min(Math.floor(lengths.length / (globalBatch * 4)), 50));
    batches = chunk(lengthGrouped(order, lengths, mult * globalBatch), globalBatch);
    // Shuffle batch order, but keep the batch holding the longest feature first (an out-of-memory shows at once).
    const rest = rng.shuffle(batches.slice(1));
    batches = [...batches.slice(0, 1), ...rest];
  } else {
    batches = chunk(order, globalBatch);
  }
  return batches.filter((batch) => batch.length >= worldSize).map((batch) => shardOf(batch, rank, worldSize));
}

/** Evaluation batches in data order; ranks take slices of each global batch (a rank may get one batch fewer). */
export function evalOrder(count: number, options: { batchSize: number; shard?: Shard }): number[][] {
  const { worldSize, rank } = checkShard(options.shard);
  const globalBatch = checkBatchSize(options.batchSize) * worldSize;
  const order = Array.from({ length: count }, (_, i) => i);
  return chunk(order, globalBatch).map((batch) => shardOf(batch, rank, worldSize)).filter((batch) => batch.length > 0);
}

/** HF's get_length_grouped_indices: mega-batches sorted longest first, the longest feature moved to the front. */
function lengthGrouped(order: number[], lengths: ArrayLike<number>, megaBatchSize: number): number[] {
  const megaBatches = chunk(order, megaBatchSize).map((mega) =>
    mega.map((index, position) => ({ index, position }))
      .sort((a, b) => lengths[b.index] - lengths[a.index] || a.position - b.position)
      .map(({ index }) => index));
  let longest = 0;
  megaBatches.forEach((mega, i) => {
    if (lengths[mega[0]] > lengths[megaBatches[longest][0]]) longest = i;
  });
  if (megaBatches.length > 0) [megaBatches[0][0], megaBatches[longest][0]] = [megaBatches[longest][0], megaBatches[0][0]];
  return megaBatches.flat();
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function checkShard(shard: Shard | undefined): Shard {
  const { rank, worldSize } = shard ?? { rank: 0, worldSize: 1 };
  if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new RangeError(`shard must have 0 <= rank < worldSize (got rank ${rank}, worldSize ${worldSize})`);
  }
  return { rank, worldSize };
}

function checkBatchSize(batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer (got ${batchSize})`);
  return batchSize;
}

