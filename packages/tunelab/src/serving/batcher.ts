// Dynamic batching: rows (features) of concurrent requests wait in one queue and run together, up to
// `maxBatchSize` rows, once the batch is full, or nothing else is on its way (no request announced with `expect` is
// still being read or tokenized), or its oldest row has waited `maxWaitMs`. So a lone request runs at once instead
// of waiting for company that is not coming, and rows that queued during a forward pass run as soon as it ends.
// Rows of similar length go together (less padding). The forward pass is synchronous, so between batches the
// batcher yields to the event loop (setImmediate): requests that arrived meanwhile are read and queued before the
// next batch is chosen.
import type { Feature } from '../data/features.js';
import type { RowOutputs } from './heads/types.js';

export interface BatcherOptions {
  maxBatchSize: number;
  maxWaitMs: number;
  /** Rows allowed to wait; beyond it `submit` refuses (the server answers 503). */
  maxQueuedRows: number;
  /** One forward pass over the rows, in order (libtorch runs it synchronously; another engine may not). */
  run(features: Feature[]): RowOutputs[] | Promise<RowOutputs[]>;
  /**
   * Padded tokens (rows × longest row) one forward pass may take: a larger batch runs as several passes, the
   * inputs sorted by length and each input's rows kept in one pass (as `predict` runs them). Default: no limit.
   */
  maxTokensPerRun?: number;
  /** Called after each forward pass with its number of rows. */
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
  /** Requests announced by `expect` whose rows have not been submitted yet. */
  private expected = 0;

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

  /**
   * Announces a request whose rows are on their way (its body is being read, parsed and tokenized): queued rows
   * wait for it (up to `maxWaitMs`). Call the returned function once its rows are submitted or it failed.
   */
  expect(): () => void {
    this.expected++;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      this.expected--;
      this.schedule();
    };
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
    const wait = this.queue.length >= this.options.maxBatchSize || this.expected === 0 ? 0
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
      for (const rows of this.passesOf(batch)) await this.runPass(rows);
    } finally {
      this.running = false;
    }
    // Let the requests that came in during the forward pass be read before choosing the next batch.
    setImmediate(() => this.schedule());
  }

  private async runPass(rows: QueuedRow[]): Promise<void> {
    try {
      const outputs = await this.options.run(rows.map((row) => row.feature));
      rows.forEach((row, i) => this.deliver(row, outputs[i]));
    } catch (error) {
      this.fail(rows, error);
    } finally {
      this.options.onBatch?.(rows.length);
    }
  }

  /**
   * The batch cut into forward passes of at most `maxTokensPerRun` padded tokens: inputs sorted by their longest
   * row and packed in that order, never splitting one input (an input over the limit runs alone).
   */
  private passesOf(batch: QueuedRow[]): QueuedRow[][] {
    const limit = this.options.maxTokensPerRun ?? Infinity;
    const longest = (rows: QueuedRow[]) => Math.max(...rows.map((row) => row.feature.input_ids.length));
    if (batch.length * longest(batch) <= limit) return [batch];
    const byOwner = new Map<Owner, QueuedRow[]>();
    for (const row of batch) byOwner.set(row.owner, [...(byOwner.get(row.owner) ?? []), row]);
    const inputs = [...byOwner.values()].map((rows) => ({ rows, length: longest(rows) })).sort((a, b) => a.length - b.length);
    const passes: QueuedRow[][] = [];
    let pass: QueuedRow[] = [];
    for (const input of inputs) {
      // sorted by length, so this input's longest row is the pass's longest
      if (pass.length > 0 && (pass.length + input.rows.length) * input.length > limit) {
        passes.push(pass);
        pass = [];
      }
      pass.push(...input.rows);
    }
    if (pass.length > 0) passes.push(pass);
    return passes;
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
