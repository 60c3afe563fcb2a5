// Data-parallel training over a process group: what the trainer needs from distributed mode.
// After each backward the ranks' gradients are averaged in flat buckets (~25 MB, last layers first, as torch's
// DDP does), so every rank applies the same update. The bucketing runs in the binding's gradient reducer
// (flatten, all-reduce, average, write back into .grad), in one of two modes with the same result:
//   'after-backward': all buckets are reduced once backward has finished;
//   'overlap':        autograd hooks start a bucket's all-reduce as soon as its gradients are final, while backward
//                     still computes earlier layers (set up at the first call, so the first step runs after backward).
// bench/distributed-throughput.ts measures both. On 2 CPU cores with Gloo they came out equal within noise (Gloo's
// copies need the cores backward is using, so there is nothing to hide the communication behind): the default is
// 'after-backward', which is simpler and wastes nothing under gradient accumulation. With NCCL on GPUs, where
// communication runs on its own stream and links, 'overlap' is the one to pick (without gradient accumulation).
import * as torch from '@tunelab/torch';
import { distributed, type Tensor } from '@tunelab/torch';
import type { Distributed } from '../train/trainer.js';

export type GradientSyncMode = 'after-backward' | 'overlap';

export interface DataParallelOptions {
  /** Bucket size cap in bytes (default 25 MiB, DDP's bucket_cap_mb). */
  bucketBytes?: number;
  mode?: GradientSyncMode;
}

export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;
export const DEFAULT_MODE: GradientSyncMode = 'after-backward';

export function createDataParallel(group: distributed.ProcessGroup, options: DataParallelOptions = {}): DataParallel {
  return new DataParallel(group, options);
}

/** The trainer's data-parallel seam (train/trainer.ts `Distributed`) over a c10d process group. */
export class DataParallel implements Distributed {
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
    // A world of 1 reduces too, as torch's DDP does: `--nproc-per-node 1` shows what the process group costs.
    if (trainable.length === 0) return;
    this.#reducerFor(trainable).averageGradients();
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
    return torch.scope(() => torch.cat(this.#allGatherUneven(local)));
  }

  /** Every rank's bytes, in rank order: how evaluation outputs of all ranks reach every rank. */
  allGatherBytes(local: Uint8Array): Uint8Array[] {
    return torch.scope(() => this.#allGatherUneven(torch.fromTypedArray(local, [local.length], { dtype: 'uint8' }))
      .map((part) => part.cpu().toTypedArray() as Uint8Array));
  }

  /** Sums numbers over ranks (in float64): losses, correct counts, example counts for logging. */
  sumOverRanks(values: number[]): number[] {
    return torch.scope(() => {
      const t = torch.tensor(values, { dtype: 'float64', device: this.#device });
      this.group.allReduce(t);
      return t.cpu().toArray();
    });
  }

  /** True on every rank when `flag` is true on any: a stop one rank decides (a tracker's request), all ranks take. */
  anyRank(flag: boolean): boolean {
    return this.sumOverRanks([flag ? 1 : 0])[0]! > 0;
  }

  /** Each rank's tensor (first dimension may differ), in rank order, on the collective's device. */
  #allGatherUneven(local: Tensor): Tensor[] {
    const onDevice = local.to(this.#device).contiguous();
    const counts = this.group.allGather(torch.tensor([onDevice.shape[0] ?? 0], { dtype: 'int64', device: this.#device }))
      .map((t) => t.item());
    const longest = Math.max(...counts);
    const padded = counts[this.rank]! < longest
      ? torch.cat([onDevice, torch.zeros([longest - counts[this.rank]!, ...onDevice.shape.slice(1)],
        { dtype: onDevice.dtype, device: this.#device })])
      : onDevice;
    return this.group.allGather(padded).map((t, r) => t.narrow(0, 0, counts[r]!));
  }

  /** NCCL reduces CUDA tensors only; Gloo, host tensors. */
  get #device(): 'cpu' | 'cuda' {
    return this.group.backend === 'nccl' ? 'cuda' : 'cpu';
  }

  dispose(): void {
    this.#reducer?.reducer.dispose();
    this.#reducer = null;
  }

  /** The reducer of these parameters: made at the first call, remade if the trainer passes other parameters. */
  #reducerFor(params: Tensor[]): distributed.GradientReducer {
    if (this.#reducer !== null && !sameTensors(this.#reducer.params, params)) this.dispose();
    if (this.#reducer === null) {
      const reducer = this.group.gradientReducer(params, { bucketBytes: this.bucketBytes, overlap: this.mode === 'overlap' });
      this.#reducer = { params: [...params], reducer };
    }
    return this.#reducer.reducer;
  }
}

function sameTensors(a: Tensor[], b: Tensor[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
