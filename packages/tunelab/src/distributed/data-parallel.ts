// Data-parallel training over a process group: what the trainer needs from distributed mode.
// After each backward the ranks' gradients are averaged, bucket by bucket (~25 MB, flat, last layers first, as
// torch's DDP does), so every rank applies the same update. Two ways, same result:
//   'after-backward': flatten each bucket after backward, all-reduce them asynchronously, write back.
//   'overlap':        autograd hooks (in the native reducer) start a bucket's all-reduce as soon as its gradients
//                     are final, while backward still computes earlier layers; the first step runs after backward
//                     (the hooks are registered then).
// bench/distributed-allreduce.ts measures both; DEFAULT_MODE is the faster one on CPU/Gloo.
import * as torch from '@tunelab/torch';
import { distributed, type Tensor } from '@tunelab/torch';

/** The seam the trainer calls (train/ declares the same shape). */
export interface DistributedTraining {
  rank: number;
  worldSize: number;
  /** After backward: replaces each parameter's .grad with the average over ranks. */
  allReduceGradients(params: Tensor[]): void;
}

export type GradientSyncMode = 'after-backward' | 'overlap';

export interface DataParallelOptions {
  /** Bucket size cap in bytes (default 25 MiB, DDP's bucket_cap_mb). */
  bucketBytes?: number;
  mode?: GradientSyncMode;
}

export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;
export const DEFAULT_MODE: GradientSyncMode = 'after-backward';

/** The parameters passed to allReduceGradients changed after the overlapped reducer was set up for others. */
export class DataParallelError extends Error {
  override name = 'DataParallelError';
}

export function createDataParallel(group: distributed.ProcessGroup, options: DataParallelOptions = {}): DataParallel {
  return new DataParallel(group, options);
}

export class DataParallel implements DistributedTraining {
  readonly group: distributed.ProcessGroup;
  readonly bucketBytes: number;
  readonly mode: GradientSyncMode;
  #reducer: { params: Tensor[]; reducer: distributed.GradientReducer } | null = null;

  constructor(group: distributed.ProcessGroup, options: DataParallelOptions = {}) {
    this.group = group;
    this.bucketBytes = options.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    this.mode = options.mode ?? DEFAULT_MODE;
    if (!Number.isInteger(this.bucketBytes) || this.bucketBytes < 1) {
      throw new RangeError(`bucketBytes must be a positive integer, got ${this.bucketBytes}`);
    }
  }

  get rank(): number {
    return this.group.rank;
  }

  get worldSize(): number {
    return this.group.worldSize;
  }

  /** Rank 0 alone writes checkpoints, metrics and tracking. */
  get isMain(): boolean {
    return this.group.rank === 0;
  }

  allReduceGradients(params: Tensor[]): void {
    const trainable = params.filter((p) => p.requiresGrad);
    if (this.worldSize === 1 || trainable.length === 0) return;
    if (this.mode === 'overlap') this.#overlapReducer(trainable).averageGradients();
    else this.#averageAfterBackward(trainable);
  }

  /** Makes every rank's parameters equal to rank src's (call once before training). */
  broadcastParameters(params: Tensor[], src = 0): void {
    torch.noGrad(() => this.group.broadcast(params, { src }));
  }

  /**
   * Concatenates every rank's tensor along dim 0 in rank order (the first dimension may differ between ranks;
   * the others and the dtype must not). With eval shards from shardRange this restores the dataset order.
   */
  gatherShards(local: Tensor): Tensor {
    return torch.scope(() => {
      const counts = this.group.allGather(torch.tensor([local.shape[0] ?? 0], { dtype: 'int64' }))
        .map((t) => t.item());
      const longest = Math.max(...counts);
      const padded = counts[this.rank]! < longest
        ? torch.cat([local, torch.zeros([longest - counts[this.rank]!, ...local.shape.slice(1)],
          { dtype: local.dtype, device: local.device })])
        : local.contiguous();
      const parts = this.group.allGather(padded).map((t, r) => t.narrow(0, 0, counts[r]!));
      return torch.cat(parts);
    });
  }

  /** Sums numbers over ranks (in float64): losses, correct counts, example counts for logging. */
  sumOverRanks(values: number[]): number[] {
    return torch.scope(() => {
      const t = torch.tensor(values, { dtype: 'float64' });
      this.group.allReduce(t);
      return t.toArray();
    });
  }

  dispose(): void {
    this.#reducer?.reducer.dispose();
    this.#reducer = null;
  }

  #averageAfterBackward(params: Tensor[]): void {
    torch.scope(() => {
      const buckets = planBuckets(params, this.bucketBytes);
      // Start every bucket's reduction first: Gloo reduces bucket k while this thread flattens bucket k + 1.
      const flats = buckets.map((bucket) => torch.cat(bucket.map((p) => (p.grad ?? torch.zerosLike(p)).reshape(-1))));
      const works = flats.map((flat) => this.group.allReduceAsync(flat, { op: 'avg' }));
      buckets.forEach((bucket, b) => {
        works[b]!.wait();
        const pieces = flats[b]!.split(bucket.map((p) => p.numel()));
        bucket.forEach((p, i) => {
          const averaged = pieces[i]!.view(p.shape);
          const grad = p.grad;
          if (grad === null) p.grad = torch.keep(averaged.clone());
          else grad.copy_(averaged);
        });
      });
    });
  }

  #overlapReducer(params: Tensor[]): distributed.GradientReducer {
    if (this.#reducer === null) {
      this.#reducer = { params, reducer: this.group.gradientReducer(params, { bucketBytes: this.bucketBytes, overlap: true }) };
    } else if (!sameTensors(this.#reducer.params, params)) {
      throw new DataParallelError(
        `allReduceGradients: the overlapped reducer hooks ${this.#reducer.params.length} parameters set up at the first ` +
          `step; it was called with ${params.length} different ones`);
    }
    return this.#reducer.reducer;
  }
}

/** Buckets of at most bucketBytes (one dtype and device each), from the last parameter to the first. */
export function planBuckets(params: Tensor[], bucketBytes: number): Tensor[][] {
  const buckets: Tensor[][] = [];
  let bytes = 0;
  for (const p of [...params].reverse()) {
    const size = p.numel() * bytesPerElement(p.dtype);
    const last = buckets.at(-1);
    if (last !== undefined && last[0]!.dtype === p.dtype && last[0]!.device === p.device && bytes + size <= bucketBytes) {
      last.push(p);
      bytes += size;
    } else {
      buckets.push([p]);
      bytes = size;
    }
  }
  return buckets;
}

function bytesPerElement(dtype: torch.DType): number {
  switch (dtype) {
    case 'float64': case 'int64': return 8;
    case 'float32': case 'int32': return 4;
    case 'float16': case 'bfloat16': case 'int16': return 2;
    default: return 1;
  }
}

function sameTensors(a: Tensor[], b: Tensor[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
