// torch.distributed for @tunelab/torch: c10d process groups (Gloo for CPU tensors, NCCL for CUDA tensors)
// with a TCPStore rendezvous at rank 0. Collectives are in place and block until every rank took part;
// a peer that dies or hangs makes them throw TorchError once the group's timeout passes.
import { TorchError } from './errors.js';
import { native, type Handle } from './native.js';
import { handleOf, wrapHandles, type Tensor } from './tensor.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'avg' | 'product' | 'min' | 'max';

export interface ProcessGroupOptions {
  /** 'gloo' for CPU tensors, 'nccl' for CUDA tensors (one GPU per rank). */
  backend: Backend;
  rank: number;
  worldSize: number;
  /** Host of rank 0, which listens on masterPort for the rendezvous. */
  masterAddr: string;
  masterPort: number;
  /** How long a collective waits for its peers before it throws (default 30 min, as torch). */
  timeoutMs?: number;
  /** How long joining waits for all worldSize ranks to arrive (default: timeoutMs). */
  rendezvousTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

type GroupHandle = { readonly __processGroup: unique symbol };
type WorkHandle = { readonly __work: unique symbol };
type ReducerHandle = { readonly __gradReducer: unique symbol };

/** The addon's distributed functions (native/distributed.cpp); present when built with c10d. */
interface DistributedBinding {
  distBackends(): Backend[];
  distCreateGroup(options: Required<ProcessGroupOptions>): GroupHandle;
  distDestroyGroup(group: GroupHandle): void;
  distAllReduce(group: GroupHandle, tensors: Handle[], op: ReduceOp): void;
  distAllReduceAsync(group: GroupHandle, tensors: Handle[], op: ReduceOp): WorkHandle;
  distWaitWork(work: WorkHandle): void;
  distWorkCompleted(work: WorkHandle): boolean;
  distBroadcast(group: GroupHandle, tensors: Handle[], src: number): void;
  distAllGather(group: GroupHandle, tensor: Handle): Handle[];
  distBarrier(group: GroupHandle): void;
  distCreateGradReducer(group: GroupHandle, params: Handle[], bucketBytes: number, hooks: boolean): ReducerHandle;
  distGradReducerFinish(reducer: ReducerHandle): void;
  distGradReducerBuckets(reducer: ReducerHandle): number;
  distGradReducerDispose(reducer: ReducerHandle): void;
}

function binding(): DistributedBinding {
  const b = native as unknown as Partial<DistributedBinding>;
  if (typeof b.distCreateGroup !== 'function') {
    throw new TorchError('this build of @tunelab/torch has no distributed support (native/distributed.cpp was not compiled)');
  }
  return b as DistributedBinding;
}

/** Backends compiled into this build: ['gloo'] on Debian's libtorch, ['gloo', 'nccl'] with CUDA libtorch. */
export function availableBackends(): Backend[] {
  const b = native as unknown as Partial<DistributedBinding>;
  return typeof b.distBackends === 'function' ? b.distBackends() : [];
}

/**
 * Joins a process group; returns once all worldSize ranks have (like torch.distributed.init_process_group with
 * init_method='tcp://masterAddr:masterPort'). Throws TorchError when they do not within timeoutMs.
 */
export function initProcessGroup(options: ProcessGroupOptions): ProcessGroup {
  return new ProcessGroup(options);
}

/**
 * Every group not yet destroyed. Like torch's process groups, a group lives until destroy(): were it garbage
 * collected, its connections would close under peers still using them.
 */
const liveGroups = new Set<ProcessGroup>();

function tensorList(tensors: Tensor | Tensor[], operation: string): Handle[] {
  return (Array.isArray(tensors) ? tensors : [tensors]).map((t) => handleOf(t, operation));
}

export class ProcessGroup {
  readonly backend: Backend;
  readonly rank: number;
  readonly worldSize: number;
  readonly timeoutMs: number;
  #handle: GroupHandle | null;

  constructor(options: ProcessGroupOptions) {
    const { backend, rank, worldSize, masterAddr, masterPort } = options;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const rendezvousTimeoutMs = options.rendezvousTimeoutMs ?? timeoutMs;
    for (const [name, value] of [['timeoutMs', timeoutMs], ['rendezvousTimeoutMs', rendezvousTimeoutMs]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new TorchError(`${name} must be a positive integer, got ${value}`);
    }
    this.#handle = binding().distCreateGroup({ backend, rank, worldSize, masterAddr, masterPort, timeoutMs, rendezvousTimeoutMs });
    this.backend = backend;
    this.rank = rank;
    this.worldSize = worldSize;
    this.timeoutMs = timeoutMs;
    liveGroups.add(this);
  }

  #h(operation: string): GroupHandle {
    if (this.#handle === null) throw new TorchError(`${operation}: the process group was destroyed`);
    return this.#handle;
  }

  /** Reduces each tensor across ranks, in place (every rank ends with the result). */
  allReduce(tensors: Tensor | Tensor[], options: { op?: ReduceOp } = {}): void {
    binding().distAllReduce(this.#h('allReduce'), tensorList(tensors, 'allReduce'), options.op ?? 'sum');
  }

  /**
   * Starts an all-reduce and returns at once; the backend's threads reduce while this thread goes on.
   * The tensors must not be read or written until wait().
   */
  allReduceAsync(tensors: Tensor | Tensor[], options: { op?: ReduceOp } = {}): Work {
    return new Work(binding().distAllReduceAsync(this.#h('allReduceAsync'), tensorList(tensors, 'allReduceAsync'),
      options.op ?? 'sum'));
  }

  /** Copies rank src's tensors into every other rank's, in place. */
  broadcast(tensors: Tensor | Tensor[], options: { src?: number } = {}): void {
    binding().distBroadcast(this.#h('broadcast'), tensorList(tensors, 'broadcast'), options.src ?? 0);
  }

  /** Every rank's tensor (same shape and dtype on all ranks), in rank order. */
  allGather(tensor: Tensor): Tensor[] {
    return wrapHandles(binding().distAllGather(this.#h('allGather'), handleOf(tensor, 'allGather')));
  }

  /** Returns once every rank has called barrier(). */
  barrier(): void {
    binding().distBarrier(this.#h('barrier'));
  }

  /**
   * A bucketed gradient all-reducer over fixed parameters (what DDP's Reducer does). With `overlap`,
   * autograd hooks start each bucket's all-reduce as soon as its gradients are final, while backward goes on.
   */
  gradientReducer(params: Tensor[], options: { bucketBytes: number; overlap: boolean }): GradientReducer {
    const handle = binding().distCreateGradReducer(this.#h('gradientReducer'), tensorList(params, 'gradientReducer'),
      options.bucketBytes, options.overlap);
    return new GradientReducer(handle);
  }

  /** Closes this rank's connections (until then the group stays alive, referenced or not). In-flight collectives
   * finish first; later calls throw. */
  destroy(): void {
    if (this.#handle === null) return;
    binding().distDestroyGroup(this.#handle);
    this.#handle = null;
    liveGroups.delete(this);
  }

  get isDestroyed(): boolean {
    return this.#handle === null;
  }
}

/** An all-reduce in flight (ProcessGroup.allReduceAsync). */
export class Work {
  #handle: WorkHandle;
  constructor(handle: WorkHandle) {
    this.#handle = handle;
  }
  /** Blocks until done; throws TorchError if the collective failed. */
  wait(): void {
    binding().distWaitWork(this.#handle);
  }
  isCompleted(): boolean {
    return binding().distWorkCompleted(this.#handle);
  }
}

export class GradientReducer {
  #handle: ReducerHandle;
  constructor(handle: ReducerHandle) {
    this.#handle = handle;
  }
  /** After backward: all-reduces what is left, waits for every bucket, and writes the rank average into each .grad. */
  averageGradients(): void {
    binding().distGradReducerFinish(this.#handle);
  }
  get bucketCount(): number {
    return binding().distGradReducerBuckets(this.#handle);
  }
  /** Removes the autograd hooks and frees the buckets. */
  dispose(): void {
    binding().distGradReducerDispose(this.#handle);
  }
}
