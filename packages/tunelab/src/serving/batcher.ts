// Dynamic batching: rows (features) of concurrent requests wait in one queue and run together, up to
// `maxBatchSize` rows, once the batch is full or its oldest row has waited `maxWaitMs`. Rows of similar length go
// together (less padding). The forward pass is synchronous, so between batches the batcher yields to the event
// loop (setImmediate): requests that arrived meanwhile are read and queued before the next batch is chosen.
import type { Feature } from '../data/features.js';
import type { RowOutputs } from './heads/types.js';

export interface BatcherOptions {
  maxBatchSize: number;
  maxWaitMs: number;
  /** Rows allowed to wait; beyond it `submit` refuses (the server answers 503). */
  maxQueuedRows: number;
  /** One forward pass over the rows, in order (libtorch runs it synchronously; another engine may not). */
  run(features: Feature[]): RowOutputs[] | Promise<RowOutputs[]>;
  /** Called after each batch with its number of rows. */
  onBatch?(rows: number): void;
}

export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

interface Owner {
  rows: RowOutputs[];
  remaining: number;
  failed: boolean;
  resolve(rows: RowOutputs[]): void;
  reject(error: unknown): void;
}

interface QueuedRow {
  feature: Feature;
  arrivedAt: number;
  owner: Owner;
  index: number;
}

export class DynamicBatcher {
  private queue: QueuedRow[] = [];
  private running = false;
  private scheduled: { immediate: boolean; cancel(): void } | null = null;
  private waitMs: number;

  constructor(private readonly options: BatcherOptions) {
    this.waitMs = options.maxWaitMs;
    if (!Number.isInteger(options.maxBatchSize) || options.maxBatchSize < 1) throw new RangeError('maxBatchSize must be an integer ≥ 1');
  }

  /** Rows waiting for a batch. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Nothing queued and no batch running. */
  get idle(): boolean {
    return this.queue.length === 0 && !this.running;
  }

  /** Whether `rows` more rows fit in the queue now. */
  hasRoomFor(rows: number): boolean {
    return this.queue.length + rows <= this.options.maxQueuedRows;
  }

  /** Stops waiting for company: what is queued runs now, and later rows run as they come (shutdown). */
  flushWithoutWaiting(): void {
    this.waitMs = 0;
    this.scheduled?.cancel();
    this.scheduled = null;
    this.schedule();
  }

  /** Queues the rows of one input; resolves with their outputs, in order, once all have run. */
  submit(features: Feature[]): Promise<RowOutputs[]> {
    if (!this.hasRoomFor(features.length)) {
      return Promise.reject(new QueueFullError(`${this.queue.length} rows are waiting (at most ${this.options.maxQueuedRows})`));
    }
    if (features.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const owner: Owner = { rows: new Array(features.length), remaining: features.length, failed: false, resolve, reject };
      const now = performance.now();
      features.forEach((feature, index) => this.queue.push({ feature, arrivedAt: now, owner, index }));
      this.schedule();
    });
  }

  /** Runs the next batch now when it is full or its oldest row has waited long enough, else sets a timer for it. */
  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const wait = this.queue.length >= this.options.maxBatchSize ? 0
      : Math.max(0, this.queue[0].arrivedAt + this.waitMs - performance.now());
    if (this.scheduled && (this.scheduled.immediate || wait > 0)) return;
    this.scheduled?.cancel();
    if (wait === 0) {
      const handle = setImmediate(() => void this.flush());
      this.scheduled = { immediate: true, cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(() => void this.flush(), wait);
      this.scheduled = { immediate: false, cancel: () => clearTimeout(handle) };
    }
  }

  private async flush(): Promise<void> {
    this.scheduled = null;
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    this.running = true;
    try {
      const outputs = await this.options.run(batch.map((row) => row.feature));
      batch.forEach((row, i) => this.deliver(row, outputs[i]));
    } catch (error) {
      this.fail(batch, error);
    } finally {
      this.running = false;
      this.options.onBatch?.(batch.length);
    }
    // Let the requests that came in during the forward pass be read before choosing the next batch.
    setImmediate(() => this.schedule());
  }

  /** The oldest row and the rows closest to it in length, up to the batch size (all of them when they fit). */
  private takeBatch(): QueuedRow[] {
    const size = this.options.maxBatchSize;
    if (this.queue.length <= size) {
      const all = this.queue;
      this.queue = [];
      return all;
    }
    const target = this.queue[0].feature.input_ids.length;
    const order = this.queue.map((row, i) => ({ i, distance: Math.abs(row.feature.input_ids.length - target) }))
      .sort((a, b) => a.distance - b.distance || a.i - b.i);
    const chosen = new Set(order.slice(0, size).map(({ i }) => i));
    const batch = this.queue.filter((_, i) => chosen.has(i));
    this.queue = this.queue.filter((_, i) => !chosen.has(i));
    return batch;
  }

  private deliver(row: QueuedRow, outputs: RowOutputs): void {
    const owner = row.owner;
    if (owner.failed) return;
    owner.rows[row.index] = outputs;
    if (--owner.remaining === 0) owner.resolve(owner.rows);
  }

  /** A failed batch fails its inputs; their rows still queued are dropped. */
  private fail(batch: QueuedRow[], error: unknown): void {
    const owners = new Set(batch.map((row) => row.owner));
    for (const owner of owners) {
      owner.failed = true;
      owner.reject(error);
    }
    this.queue = this.queue.filter((row) => !owners.has(row.owner));
  }
}
