// The training step in CUDA graphs (`--cuda-graphs`, decided in train/cuda-graphs.ts): one graph per batch shape
// [B, T] (bucket) holds forward, backward, clipping and the fused AdamW update, and replays them with one launch.
// - The first batch of a shape runs eagerly: that warm-up creates the optimizer state, cuBLAS workspaces and the
//   autocast plans outside any capture (PyTorch's rule: warm up before capturing). Its second batch is captured, on
//   the binding's side stream (never the legacy default stream), and every batch of that shape after it is replayed.
// - Static buffers: the capture reads its inputs from tensors made for it; each batch is copied into them.
// - The learning rate is a device tensor written before each replay; AdamW's step counts live on the device.
// - Dropout stays random: libtorch's capture registers the default CUDA generator, so each replay draws from its
//   philox seed at an offset the replay advances, as eager steps do (and the RNG state a checkpoint saves follows).
// - The graphs share one memory pool: they are never replayed at the same time, and what outlives a replay (the
//   weights, AdamW's moments, the static inputs and outputs) is held outside or kept alive.
// Graphs are a cache: everything a checkpoint needs stays in the model's and the optimizer's tensors.
import * as torch from '@tunelab/torch';
import { nn, type optim, type Tensor } from '@tunelab/torch';
import { padRows, type Batch } from '../data/collate.js';
import { firstLineOf } from '../errors.js';
import { TrainInputError } from './errors.js';
import { toModelInputs, type TrainableModel } from './inference.js';
import { withAutocast, type Precision } from './precision.js';
import type { Profiler } from './profile.js';

export interface GraphStepSetup {
  model: TrainableModel;
  optimizer: optim.AdamW;
  params: Tensor[];
  /** 0 turns clipping off. */
  maxGradNorm: number;
  precision: Precision;
  /** Told once, in one line, when a capture fails and training goes on eagerly. */
  onFallback: (line: string) => void;
}

/** What one step leaves on the device: its loss and the gradient norm before clipping (both fresh tensors). */
export interface StepOutputs {
  loss: Tensor;
  gradNorm: Tensor;
}

type ModelInputs = ReturnType<typeof toModelInputs>;

interface CapturedStep {
  graph: torch.cuda.CUDAGraph;
  /** The tensors the capture read: each batch of this shape is copied into them. */
  inputs: ModelInputs;
  /** The tensors the capture wrote: each replay overwrites them. */
  outputs: StepOutputs;
}

export class GraphedSteps {
  readonly #setup: GraphStepSetup;
  readonly #captured = new Map<string, CapturedStep>();
  readonly #warmedUp = new Set<string>();
  readonly #lr: Tensor;
  #pool: [number, number] | undefined;
  #failed = false;
  /** The most rows a batch had so far: the batch size. */
  #fullRows = 0;

  constructor(setup: GraphStepSetup) {
    this.#setup = setup;
    this.#lr = torch.keep(torch.zeros([], { dtype: 'float32', device: 'cuda' }));
  }

  /**
   * Runs the step of `batch` with learning rate `lr` from a graph (capturing it at the shape's second batch); null
   * when the caller must run it eagerly: the shape's first batch (its warm-up), or after a capture failed.
   */
  step(given: Batch, lr: number, profiler: Profiler): StepOutputs | null {
    if (this.#failed) return null;
    this.#fullRows = Math.max(this.#fullRows, given.size[0]);
    const batch = this.#asFullShape(given);
    const shape = batch.size.join('x');
    let captured = this.#captured.get(shape);
    if (captured === undefined) {
      if (!this.#warmedUp.has(shape)) {
        this.#warmedUp.add(shape);
        return null;
      }
      this.#lr.fill_(lr);
      const fresh = profiler.time('graphCapture', () => this.#capture(batch));
      if (fresh === null) return null;
      this.#captured.set(shape, fresh);
      captured = fresh;
    } else {
      const inputs = captured.inputs;
      profiler.time('copy', () => copyBatchInto(inputs, batch));
      this.#lr.fill_(lr);
    }
    const { graph, outputs } = captured;
    return profiler.time('graphStep', () => {
      graph.replay();
      // Copies: the next replay overwrites the static outputs, and the loop reads these only when it logs.
      return { loss: torch.keep(outputs.loss.clone()), gradNorm: torch.keep(outputs.gradNorm.clone()) };
    });
  }

  /**
   * A short batch (an epoch's last) as a full one, its extra rows ignored by the loss (data/collate.ts padRows), once
   * that full shape has run (been warmed up or captured): a shape of its own would cost an eager first step for a
   * batch seen once an epoch (0.17–0.23 s on an H200, more than 20 replays). Otherwise, or when its labels cannot be
   * ignored, as it is.
   */
  #asFullShape(batch: Batch): Batch {
    if (batch.size[0] >= this.#fullRows) return batch;
    const padded = padRows(batch, this.#fullRows);
    const shape = padded?.size.join('x');
    return padded && shape && (this.#captured.has(shape) || this.#warmedUp.has(shape)) ? padded : batch;
  }

  /** Shapes captured so far (for tests and the profile). */
  get capturedShapes(): string[] {
    return [...this.#captured.keys()];
  }

  dispose(): void {
    for (const { graph, inputs, outputs } of this.#captured.values()) {
      graph.reset();
      for (const tensor of [...Object.values(inputs), outputs.loss, outputs.gradNorm]) tensor.dispose();
    }
    this.#captured.clear();
    this.#lr.dispose();
  }

  /** Records the step of `batch`'s shape, with `batch` already in its static inputs; null (and one line) on failure. */
  #capture(batch: Batch): CapturedStep | null {
    const inputs = torch.scope(() => keepAll(toModelInputs(batch, 'cuda', true)));
    try {
      const { graph, outputs } = captureGraph(this.#pool, () => this.#queueStep(inputs));
      this.#pool ??= graph.pool();
      return { graph, inputs, outputs };
    } catch (err) {
      this.#failed = true;
      this.#setup.optimizer.zeroGrad(); // gradients a failed capture may have left
      for (const tensor of Object.values(inputs)) tensor.dispose();
      this.#setup.onFallback(`CUDA graphs off: capturing the ${batch.size.join('×')} step failed (${firstLineOf(err)}); training goes on eagerly`);
      return null;
    }
  }

  /** The eager step (trainer.ts microStep + optimizerStep for one micro-batch), with the device-side learning rate. */
  #queueStep(inputs: ModelInputs): StepOutputs {
    const { model, optimizer, params, maxGradNorm, precision } = this.#setup;
    return torch.scope(() => {
      const out = withAutocast(precision, 'cuda', () => model.forward(inputs, { train: true }));
      if (!out.loss) throw new TrainInputError('the model returned no loss: the training batch carries no labels');
      const loss = out.loss.float();
      loss.backward();
      const gradNorm = nn.utils.clipGradNorm(params, maxGradNorm > 0 ? maxGradNorm : Number.POSITIVE_INFINITY);
      optimizer.capturableStep(this.#lr);
      // Gradients go back to the pool inside the capture: each replay makes them anew, as eager steps do.
      optimizer.zeroGrad();
      return { loss: torch.keep(loss.detach()), gradNorm: torch.keep(gradNorm) };
    });
  }
}

/**
 * Records what `queue` launches into a new CUDA graph that allocates from `pool` (undefined: a pool of its own). When
 * queueing or the capture fails, the capture is ended and the graph reset before the error goes on.
 */
export function captureGraph<T>(pool: [number, number] | undefined, queue: () => T): { graph: torch.cuda.CUDAGraph; outputs: T } {
  const graph = new torch.cuda.CUDAGraph();
  try {
    graph.captureBegin(pool);
    let outputs: T;
    try {
      outputs = queue();
    } catch (err) {
      try { graph.captureEnd(); } catch { /* the queued work's own error is the one to report */ }
      throw err;
    }
    graph.captureEnd();
    return { graph, outputs };
  } catch (err) {
    try { graph.reset(); } catch { /* nothing was captured */ }
    throw err;
  }
}

export function keepAll(inputs: ModelInputs): ModelInputs {
  for (const tensor of Object.values(inputs)) torch.keep(tensor);
  return inputs;
}

/**
 * Copies the batch into the static inputs of its shape: host → device through pinned memory without waiting
 * (toModelInputs on CUDA), then device → device, queued behind the previous replay, so the host never waits here.
 */
export function copyBatchInto(inputs: ModelInputs, batch: Batch): void {
  torch.scope(() => {
    const fresh = toModelInputs(batch, 'cuda', true);
    for (const [name, tensor] of Object.entries(inputs)) {
      const source = fresh[name];
      if (source === undefined) throw new TrainInputError(`a ${batch.size.join('×')} batch has no ${name}, which its shape's first batches had`);
      tensor.copy_(source);
    }
  });
}
