// Evaluation and prediction forward passes in CUDA graphs (`--cuda-graphs`, decided in train/cuda-graphs.ts): one
// graph per batch shape [B, T] (and per "with labels or not"), as for the training step (train/graph-step.ts):
// - the first batch of a shape runs eagerly (its warm-up: kernels and cuBLAS plans are chosen outside a capture),
//   the second is captured, the ones after it replay the graph with a single launch;
// - static buffers: each batch is copied into the inputs the capture read, and each replay overwrites the outputs
//   it wrote, so the caller gets copies;
// - the graphs share one memory pool (they never run at the same time) and live as long as the cache: the trainer
//   keeps one cache for all its evaluations, so the captures are paid once per shape, not once per evaluation.
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import type { Batch } from '../data/collate.js';
import { resolveInferenceGraphs, type CudaGraphMode } from './cuda-graphs.js';
import { firstLineOf } from '../errors.js';
import { captureGraph, copyBatchInto, keepAll } from './graph-step.js';
import { toModelInputs, type TrainableModel } from './inference.js';
import { withAutocast, type ComputeDevice, type Precision } from './precision.js';

/** The tensors of a forward pass's output, by name (loss, logits, …). */
export type ForwardOutputs = Record<string, Tensor>;
type ModelInputs = ReturnType<typeof toModelInputs>;

interface CapturedForward {
  graph: torch.cuda.CUDAGraph;
  inputs: ModelInputs;
  outputs: ForwardOutputs;
}

export class GraphedForwards {
  readonly #captured = new Map<string, CapturedForward>();
  readonly #warmedUp = new Set<string>();
  #pool: [number, number] | undefined;
  #failed = false;

  /** `onFallback` is told once, in one line, when a capture fails and inference goes on eagerly. */
  constructor(private readonly precision: Precision, private readonly onFallback: (line: string) => void) {}

  /**
   * The no-grad forward of `batch` replayed from its shape's graph (captured at the shape's second batch); copies of
   * the outputs, owned by the caller's scope. null when the caller must run it eagerly: a shape's first batch, or
   * after a capture failed.
   */
  forward(model: TrainableModel, batch: Batch, withLabels: boolean): ForwardOutputs | null {
    if (this.#failed) return null;
    const key = `${batch.size.join('x')}${withLabels ? '+labels' : ''}`;
    let captured = this.#captured.get(key);
    if (captured === undefined) {
      if (!this.#warmedUp.has(key)) {
        this.#warmedUp.add(key);
        return null;
      }
      const fresh = this.#capture(model, batch, withLabels);
      if (fresh === null) return null;
      this.#captured.set(key, fresh);
      captured = fresh;
    } else {
      copyBatchInto(captured.inputs, batch);
    }
    captured.graph.replay();
    return Object.fromEntries(Object.entries(captured.outputs).map(([name, tensor]) => [name, tensor.clone()]));
  }

  /** Shapes captured so far (for tests). */
  get capturedShapes(): string[] {
    return [...this.#captured.keys()];
  }

  dispose(): void {
    for (const { graph, inputs, outputs } of this.#captured.values()) {
      graph.reset();
      for (const tensor of [...Object.values(inputs), ...Object.values(outputs)]) tensor.dispose();
    }
    this.#captured.clear();
  }

  #capture(model: TrainableModel, batch: Batch, withLabels: boolean): CapturedForward | null {
    const inputs = torch.scope(() => keepAll(toModelInputs(batch, 'cuda', withLabels)));
    try {
      const { graph, outputs } = captureGraph(this.#pool, () => torch.scope(() => {
        const out = withAutocast(this.precision, 'cuda', () => model.forward(inputs));
        const kept: ForwardOutputs = {};
        for (const [name, value] of Object.entries(out)) if (value) kept[name] = torch.keep(value.detach());
        return kept;
      }));
      this.#pool ??= graph.pool();
      return { graph, inputs, outputs };
    } catch (err) {
      this.#failed = true;
      for (const tensor of Object.values(inputs)) tensor.dispose();
      this.onFallback(`CUDA graphs off for inference: capturing the ${batch.size.join('×')} forward failed (${firstLineOf(err)}); going on eagerly`);
      return null;
    }
  }
}

/**
 * The forward-graph cache `--cuda-graphs` asks for on `device` (null: eager passes). `say` gets one line when graphs
 * were asked for and cannot be used, and when a capture fails.
 */
export function createForwardGraphs(mode: CudaGraphMode, device: ComputeDevice, precision: Precision,
  say: (line: string) => void): GraphedForwards | null {
  const decision = resolveInferenceGraphs(mode, device, torch.cuda.graphsAvailable());
  if (decision.fallback) say(decision.fallback);
  return decision.enabled ? new GraphedForwards(precision, say) : null;
}
