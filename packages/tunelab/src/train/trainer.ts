// The training loop, top to bottom: batch, forward, backward, (all-reduce), clip, step, log, evaluate, save.
// Everything that makes a resume exact lives in the checkpoint: weights, AdamW moments, the step (the schedule is a
// pure function of it), RNG states, and the data position (epoch + micro-batch index in that epoch's seeded order).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@tunelab/torch';
import { nn, optim, type Tensor } from '@tunelab/torch';
import {
  loadCheckpoint, pruneCheckpoints, resumeKeyDifferences, saveCheckpoint,
  type BestMetric, type LogEntry, type ResumeKey, type TrainerState,
} from './checkpoint.js';
import { TrainInputError } from './errors.js';
import { noDecayParameterNames } from '../models/modules.js';
import { toModelInputs, type Batch, type TrainableModel } from './inference.js';
import { LossScaler, withAutocast, type ComputeDevice, type Precision } from './precision.js';
import { GraphedSteps } from './graph-step.js';
import { createProfiler, type Profiler, type TrainingProfile } from './profile.js';
import { unpadsBatch } from './unpad.js';
import { lrMultiplier, warmupSteps, type Schedule, type SchedulerName } from './schedule.js';

export interface TrainerOptions {
  outputDir: string;
  epochs: number;
  /** Stop after this many optimizer steps (overrides `epochs`). */
  maxSteps?: number;
  lr: number;
  weightDecay: number;
  scheduler: SchedulerName;
  warmupSteps?: number;
  warmupRatio?: number;
  gradAccum: number;
  /** 0 turns clipping off. */
  maxGradNorm: number;
  device: ComputeDevice;
  precision: Precision;
  evalEvery: number | 'epoch';
  /** Checkpoint every N steps, at each epoch's end, or never (null: `--save-strategy no`). */
  saveEvery: number | 'epoch' | null;
  /** Keep at most this many checkpoints, deleting the oldest (HF's save_total_limit); absent: keep all. */
  saveTotalLimit?: number;
  logEvery: number;
  earlyStoppingPatience?: number;
  /** e.g. { name: 'eval_f1', greaterIsBetter: true }: which evaluation is the best (ties: lower eval_loss, then earlier). */
  metricForBest: { name: string; greaterIsBetter: boolean };
  /** The best evaluation's weights become the final model (HF's load_best_model_at_end); default off: the last weights. */
  loadBestModelAtEnd?: boolean;
  /** A checkpoint folder to continue from. */
  resumeFrom?: string | null;
  /** Settings that must match the checkpoint's (batch size, seed, data …). */
  resumeKey: ResumeKey;
  /** Time each part of the loop (train/profile.ts; on CUDA with a device sync per part): TrainResult.profile. */
  profile?: boolean;
  /**
   * Capture the step in CUDA graphs, one per batch shape (train/graph-step.ts); only on CUDA, with one micro-batch
   * per step, no fp16 loss scaling and one rank (resolveCudaGraphs says why not, elsewhere it is ignored).
   */
  cudaGraphs?: boolean;
  /** Eager steps run a batch unpadded when its padding share is at least this (train/unpad.ts); absent/null: never. */
  unpadMinPadding?: number | null;
}

/**
 * Data-parallel seam (distributed/data-parallel.ts implements it over c10d): each rank trains on its shard from
 * `trainBatches`; every rank evaluates its part of the eval set and sees everyone's predictions, so all ranks reach
 * the same metrics and the same early-stopping decision; rank 0 alone writes and reports.
 */
export interface Distributed {
  rank: number;
  worldSize: number;
  /** After backward: replaces each parameter's .grad with the average over ranks. */
  allReduceGradients(params: Tensor[]): void | Promise<void>;
  /** Makes every rank's parameters equal to rank 0's. */
  broadcastParameters(params: Tensor[]): void;
  /** Every rank's bytes, in rank order. */
  allGatherBytes(local: Uint8Array): Uint8Array[];
  /** True on every rank when `flag` is true on any. */
  anyRank(flag: boolean): boolean;
}

export interface ProgressInfo {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  lr: number;
}

export interface TrainerSetup {
  model: TrainableModel;
  /** The micro-batches of `epoch`, in the order fixed by the seed and the epoch (same list on every call). */
  trainBatches: (epoch: number) => Batch[];
  /** Metrics of the current weights on the validation data, named `eval_*`; absent → no evaluation during training. */
  evaluate?: () => Record<string, number>;
  /** Writes a loadable model folder (model + tokenizer) into `dir`. */
  saveModel: (dir: string) => Promise<void> | void;
  options: TrainerOptions;
  onLog?: (entry: LogEntry) => void;
  onProgress?: (info: ProgressInfo) => void;
  onCheckpoint?: (dir: string) => void;
  /**
   * Told once (rank 0) after the setup was accepted (data, resume checkpoint, schedule) and before the first step, how
   * long the run is planned to be; awaited, so the caller can create its outputs only once nothing can refuse the run.
   */
  onPlan?: (plan: TrainingPlan) => void | Promise<void>;
  /** One-line notices for the user (rank 0), e.g. why CUDA graphs fell back to eager steps. */
  onMessage?: (text: string) => void;
  /** Asked after every step; a reason (e.g. a stop requested from the dashboard) ends training there. */
  stopRequested?: () => string | null;
  distributed?: Distributed;
}

export interface TrainingPlan {
  totalSteps: number;
  stepsPerEpoch: number;
  epochs: number;
}

export interface TrainResult {
  state: TrainerState;
  totalSteps: number;
  /** The evaluation whose weights the model holds at the end (loadBestModelAtEnd); null: the last step's weights. */
  loadedBest: BestMetric | null;
  /** Seconds spent in this call and every run it resumed. */
  trainRuntimeS: number;
  trainSamplesPerSecond: number;
  stoppedEarly: boolean;
  /** Why training ended before its last step when someone asked it to; null otherwise. */
  stopReason: string | null;
  /** Where the wall time went (options.profile); null when not profiled. */
  profile: TrainingProfile | null;
}

export const BEST_MODEL_DIR = 'best-model';

/**
 * AdamW with two groups: weight decay on everything but biases and LayerNorm weights (HF's rule). It is the fused
 * form, as the HF Trainer's default `adamw_torch_fused`: on CUDA libtorch's kernel (≥ 2.1), on the CPU one pass per
 * parameter (5.8× faster than the single-tensor form on BERT-mini's 11M parameters on 2 cores).
 */
export function createOptimizer(model: TrainableModel, lr: number, weightDecay: number, device: ComputeDevice = 'cpu'): optim.AdamW {
  const noDecay = noDecayParameterNames(model);
  const named = model.namedParameters().filter(([, p]) => p.requiresGrad);
  return new optim.AdamW([
    { params: named.filter(([name]) => !noDecay.has(name)).map(([, p]) => p), weightDecay },
    { params: named.filter(([name]) => noDecay.has(name)).map(([, p]) => p), weightDecay: 0 },
  ], { lr, weightDecay, fused: optim.AdamW.fusedAvailable(device) });
}

export async function train(setup: TrainerSetup): Promise<TrainResult> {
  const { model, options: opts, distributed } = setup;
  const profiler = createProfiler(opts.profile ?? false, opts.device);
  const isMain = (distributed?.rank ?? 0) === 0;
  const worldSize = distributed?.worldSize ?? 1;
  const optimizer = profiler.time('setup', () => createOptimizer(model, opts.lr, opts.weightDecay, opts.device));
  const params = optimizer.paramGroups.flatMap((group) => group.params);
  const scaler = opts.precision === 'fp16' ? new LossScaler() : null;
  const graphs = opts.cudaGraphs && opts.device === 'cuda' && opts.gradAccum === 1 && !scaler && !distributed
    ? new GraphedSteps({
      model, optimizer, params, maxGradNorm: opts.maxGradNorm, precision: opts.precision,
      onFallback: (line) => { if (isMain) setup.onMessage?.(line); },
    })
    : null;

  // Epoch 0's batches are collated once: they give the epoch length, and the loop reuses them if it starts there.
  let firstEpochBatches: Batch[] | null = profiler.time('data', () => setup.trainBatches(0));
  const batchesPerEpoch = firstEpochBatches.length;
  if (batchesPerEpoch === 0) throw new TrainInputError('the training set produced no batches');
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / opts.gradAccum);
  const totalSteps = opts.maxSteps ?? Math.ceil(opts.epochs * stepsPerEpoch);
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const schedule: Schedule = { name: opts.scheduler, totalSteps, warmupSteps: warmupSteps(totalSteps, opts) };
  const state = profiler.time('setup', () => opts.resumeFrom ? restore(opts.resumeFrom, model, optimizer, scaler, opts, schedule) : freshState());
  if (isMain) await setup.onPlan?.({ totalSteps, stepsPerEpoch, epochs });

  const startedAt = performance.now();
  const runtimeBefore = state.trainRuntimeS;
  const elapsed = () => runtimeBefore + (performance.now() - startedAt) / 1000;
  let stoppedEarly = false;
  let stopReason: string | null = null;
  const pending = new PendingLosses();
  let lastLr = opts.lr * lrMultiplier(schedule, state.globalStep);
  let loggedLoss: number | null = null;

  for (let epoch = state.epoch; epoch < epochs && state.globalStep < totalSteps && !stoppedEarly && !stopReason; epoch++) {
    const batches = epoch === 0 && firstEpochBatches ? firstEpochBatches : profiler.time('data', () => setup.trainBatches(epoch));
    firstEpochBatches = null;
    profiler.epochBatches(epoch, batches, opts.unpadMinPadding);
    for (let i = state.batchInEpoch; i < batches.length && state.globalStep < totalSteps; i++) {
      // One optimizer step = one group of `gradAccum` micro-batches (the epoch's last group may be shorter).
      const groupStart = i - (i % opts.gradAccum);
      const groupSize = Math.min(opts.gradAccum, batches.length - groupStart);
      const graphed = graphs?.step(batches[i], opts.lr * lrMultiplier(schedule, state.globalStep), profiler) ?? null;
      if (graphed) {
        lastLr = opts.lr * lrMultiplier(schedule, state.globalStep);
        pending.addMicroBatch(graphed.loss);
        pending.endStep(graphed.gradNorm);
      } else {
        pending.addMicroBatch(microStep(model, batches[i], groupSize, opts, scaler, profiler));
        if (i + 1 < groupStart + groupSize) continue;

        if (distributed) await profiler.timeAsync('allReduce', async () => distributed.allReduceGradients(params));
        lastLr = opts.lr * lrMultiplier(schedule, state.globalStep);
        pending.endStep(optimizerStep(optimizer, params, lastLr, opts.maxGradNorm, scaler, profiler));
      }
      profiler.endStep(batches.slice(groupStart, i + 1));
      state.globalStep += 1;
      state.samplesSeen += sumBatchSizes(batches, groupStart, i + 1) * worldSize;
      const epochDone = i + 1 === batches.length;
      [state.epoch, state.batchInEpoch] = epochDone ? [epoch + 1, 0] : [epoch, i + 1];
      const epochFloat = epoch + (i + 1) / batches.length;

      const logNow = state.globalStep % opts.logEvery === 0 || state.globalStep === totalSteps;
      if (logNow) profiler.time('logging', () => {
        const gradNorm = pending.flushInto(state.lossesSinceLog);
        loggedLoss = mean(state.lossesSinceLog);
        const metrics = { train_loss: loggedLoss, learning_rate: lastLr, grad_norm: gradNorm };
        state.lossesSinceLog = [];
        state.logHistory.push({ step: state.globalStep, epoch: epochFloat, metrics });
        if (isMain) setup.onLog?.({ step: state.globalStep, epoch: epochFloat, metrics });
      });
      if (isMain) {
        profiler.time('logging', () => setup.onProgress?.({ epoch: epochFloat, step: state.globalStep, totalSteps, loss: loggedLoss, lr: lastLr }));
      }

      const due = (every: number | 'epoch' | null) => (every === 'epoch' ? epochDone : every !== null && state.globalStep % every === 0);
      // Every rank evaluates (its part of the eval set, then everyone's outputs): same metrics, same stopping decision.
      if (setup.evaluate && due(opts.evalEvery)) {
        stoppedEarly = await profiler.timeAsync('evaluation', () => evaluateNow(setup, state, epochFloat, isMain));
      }
      if (isMain && due(opts.saveEvery)) await profiler.timeAsync('checkpoint', async () => {
        state.trainRuntimeS = elapsed();
        state.lossScaler = scaler?.stateDict() ?? null;
        pending.flushInto(state.lossesSinceLog); // the checkpoint holds every loss of the log window so far
        const dir = await saveCheckpoint(opts.outputDir, {
          state, resumeKey: opts.resumeKey, schedule, saveModel: setup.saveModel,
          optimizer: optimizer.stateDict(), cudaRng: opts.device === 'cuda',
        });
        setup.onCheckpoint?.(dir);
        if (opts.saveTotalLimit !== undefined) pruneCheckpoints(opts.outputDir, opts.saveTotalLimit);
      });
      // Across ranks, agreeing costs a collective (a GPU sync on NCCL): ranks agree at log steps only.
      if (!distributed || logNow) {
        stopReason = profiler.time('logging', () => agreedStopReason(setup.stopRequested?.() ?? null, distributed));
      }
      if (stoppedEarly || stopReason) break;
      // Let tracking writes and progress rendering run.
      await profiler.timeAsync('logging', () => new Promise((resolve) => setImmediate(resolve)));
    }
  }

  pending.dispose();
  graphs?.dispose();
  const loadedBest = opts.loadBestModelAtEnd && state.best ? state.best : null;
  if (loadedBest) {
    profiler.time('checkpoint', () => {
      if (isMain) restoreBestModel(model, opts.outputDir, state.best!);
      distributed?.broadcastParameters(params); // the best weights live in rank 0's output folder
    });
  }
  state.trainRuntimeS = elapsed();
  return {
    state, totalSteps, loadedBest, stoppedEarly, stopReason, profile: profiler.finish(),
    trainRuntimeS: state.trainRuntimeS,
    trainSamplesPerSecond: state.samplesSeen / Math.max(state.trainRuntimeS, 1e-9),
  };
}

/**
 * Forward and backward of one micro-batch; its loss is divided by the group size so the gradients of a group
 * average. Returns the micro-batch's (undivided) loss, still on the device.
 */
function microStep(
  model: TrainableModel, batch: Batch, groupSize: number, opts: TrainerOptions, scaler: LossScaler | null, profiler: Profiler,
): Tensor {
  return torch.scope(() => {
    const inputs = profiler.time('copy', () => toModelInputs(batch, opts.device, true));
    const loss = profiler.time('forward', () => {
      // Only the loss is read: heads may skip the rest (masked LM decodes only the labelled tokens, and every head
      // but question answering may leave padding out).
      const unpad = unpadsBatch(batch, opts.unpadMinPadding);
      const out = withAutocast(opts.precision, opts.device, () => model.forward(inputs, { train: true, outputs: [], unpad }));
      if (!out.loss) throw new TrainInputError('the model returned no loss: the training batch carries no labels');
      return out.loss.float();
    });
    profiler.time('backward', () => {
      const share = loss.div(groupSize);
      (scaler ? scaler.scaleLoss(share) : share).backward();
    });
    return torch.keep(loss.detach());
  });
}

/**
 * Unscale (fp16), clip, set the scheduled lr, step, zero the gradients. Returns the gradient norm before clipping,
 * on the device (fp16 reads it at once: a non-finite norm skips the step).
 */
function optimizerStep(
  optimizer: optim.AdamW, params: Tensor[], lr: number, maxGradNorm: number, scaler: LossScaler | null, profiler: Profiler,
): Tensor {
  const gradNorm = profiler.time('clip', () => {
    scaler?.unscaleGradients(params);
    return torch.keep(nn.utils.clipGradNorm(params, maxGradNorm > 0 ? maxGradNorm : Number.POSITIVE_INFINITY));
  });
  profiler.time('optimizer', () => {
    for (const group of optimizer.paramGroups) group.lr = lr;
    if (!scaler || scaler.update(gradNorm.item())) optimizer.step();
    optimizer.zeroGrad();
  });
  return gradNorm;
}

/**
 * Losses and the last gradient norm of the steps since the last log, kept on the device: reading a value from a GPU
 * waits for all queued work, so the loop reads them only when it logs or checkpoints, and the GPU never idles
 * while the next step is queued.
 */
class PendingLosses {
  #microBatches: Tensor[] = [];
  #steps: Tensor[][] = [];
  #gradNorm: Tensor | null = null;

  addMicroBatch(loss: Tensor): void {
    this.#microBatches.push(loss);
  }

  endStep(gradNorm: Tensor): void {
    this.#steps.push(this.#microBatches);
    this.#microBatches = [];
    this.#gradNorm?.dispose();
    this.#gradNorm = gradNorm;
  }

  /** Appends each finished step's mean loss to `losses`; returns the last gradient norm (0 before any step). */
  flushInto(losses: number[]): number {
    const all = this.#steps.flat();
    if (all.length > 0) {
      // One copy to the host for the whole window, not one wait per loss.
      const values = torch.scope(() => torch.stack(all).cpu().toArray());
      let next = 0;
      for (const step of this.#steps) {
        losses.push(mean(values.slice(next, next + step.length)));
        next += step.length;
      }
      for (const loss of all) loss.dispose();
    }
    this.#steps = [];
    return this.#gradNorm?.item() ?? 0;
  }

  dispose(): void {
    for (const loss of [...this.#microBatches, ...this.#steps.flat()]) loss.dispose();
    [this.#microBatches, this.#steps] = [[], []];
    this.#gradNorm?.dispose();
    this.#gradNorm = null;
  }
}

function sumBatchSizes(batches: Batch[], from: number, to: number): number {
  let n = 0;
  for (let j = from; j < to; j++) n += batches[j].size[0];
  return n;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Evaluates, logs, keeps the best weights (rank 0 writes); returns whether early stopping's patience ran out. */
async function evaluateNow(setup: TrainerSetup, state: TrainerState, epoch: number, isMain: boolean): Promise<boolean> {
  const metrics = setup.evaluate!();
  const entry: LogEntry = { step: state.globalStep, epoch, metrics };
  state.logHistory.push(entry);
  if (isMain) setup.onLog?.(entry);
  const newBest = updateBest(state, metrics, setup.options);
  if (newBest && isMain && setup.options.loadBestModelAtEnd) await saveBestModel(setup, state.best!);
  const patience = setup.options.earlyStoppingPatience;
  return patience !== undefined && state.evalsWithoutImprovement >= patience;
}

/**
 * A stop asked for on any rank (in a job, rank 0's tracker) stops every rank at the same step: ranks that go on
 * alone would wait forever in the next all-reduce.
 */
function agreedStopReason(local: string | null, distributed: Distributed | undefined): string | null {
  if (!distributed) return local;
  return distributed.anyRank(local !== null) ? local ?? 'another rank asked to stop' : null;
}

/**
 * Records a new best: a strictly better metric; on a tie, a strictly lower eval_loss (accuracy 1.0 at loss 0.24 and
 * at 0.02: the second wins); on a tie of both, the earlier evaluation stays. Early stopping's patience counts, as HF's
 * EarlyStoppingCallback, evaluations without a strictly better metric: a plateau broken only by the loss still stops.
 */
function updateBest(state: TrainerState, metrics: Record<string, number>, opts: TrainerOptions): boolean {
  const { name, greaterIsBetter } = opts.metricForBest;
  const value = metrics[name];
  if (value === undefined) {
    throw new TrainInputError(`--metric-for-best ${name}: evaluation produced ${Object.keys(metrics).join(', ')}`);
  }
  const loss = name === 'eval_loss' ? undefined : metrics.eval_loss; // the tie-breaker, when it is not the metric
  const candidate: BestMetric = { metric: name, value, step: state.globalStep, ...(loss === undefined ? {} : { loss }) };
  const improved = !Number.isNaN(value) && (state.best === null || value !== state.best.value);
  const better = isBetterEvaluation(candidate, state.best, greaterIsBetter);
  state.evalsWithoutImprovement = better && improved ? 0 : state.evalsWithoutImprovement + 1;
  if (better) state.best = candidate;
  return better;
}

/** Whether `candidate` beats `best`: metric, then lower eval_loss; a full tie keeps the earlier `best`. */
function isBetterEvaluation(candidate: BestMetric, best: BestMetric | null, greaterIsBetter: boolean): boolean {
  // NaN (e.g. Pearson of a constant prediction) is never an improvement.
  if (Number.isNaN(candidate.value)) return false;
  if (best === null) return true;
  if (candidate.value !== best.value) return greaterIsBetter ? candidate.value > best.value : candidate.value < best.value;
  return candidate.loss !== undefined && best.loss !== undefined && candidate.loss < best.loss;
}

async function saveBestModel(setup: TrainerSetup, best: BestMetric): Promise<void> {
  const dir = join(setup.options.outputDir, BEST_MODEL_DIR);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await setup.saveModel(tmp);
  torch.saveSafetensors(join(tmp, 'best.safetensors'), {}, { step: String(best.step), [best.metric]: String(best.value) });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

function restoreBestModel(model: TrainableModel, outputDir: string, best: BestMetric): void {
  const dir = join(outputDir, BEST_MODEL_DIR);
  const marker = join(dir, 'best.safetensors');
  const savedStep = existsSync(marker) ? torch.loadSafetensors(marker).metadata.step : undefined;
  if (savedStep !== String(best.step)) {
    throw new TrainInputError(`${dir}: holds step ${savedStep ?? 'none'}, but the best evaluation was step ${best.step}`);
  }
  copyWeights(model, torch.loadSafetensors(join(dir, 'model.safetensors')).tensors, dir);
}

/** Copies saved weights into the model (every parameter, exactly), then frees them. */
export function copyWeights(model: TrainableModel, weights: Map<string, Tensor>, source: string): void {
  try {
    model.loadStateDict(weights, { strict: true });
  } catch (err) {
    throw new TrainInputError(`${source}: ${(err as Error).message}`);
  } finally {
    for (const tensor of weights.values()) tensor.dispose();
  }
}

function freshState(): TrainerState {
  return {
    globalStep: 0, epoch: 0, batchInEpoch: 0, samplesSeen: 0, best: null, evalsWithoutImprovement: 0,
    trainRuntimeS: 0, lossScaler: null, lossesSinceLog: [], logHistory: [],
  };
}

function restore(
  dir: string, model: TrainableModel, optimizer: optim.AdamW, scaler: LossScaler | null, opts: TrainerOptions,
  schedule: Schedule,
): TrainerState {
  const checkpoint = loadCheckpoint(dir);
  const differences = resumeKeyDifferences(checkpoint.resumeKey, opts.resumeKey);
  if (differences.length > 0) {
    throw new TrainInputError(`${dir}: cannot resume with different settings (${differences.join('; ')})`);
  }
  const scheduleChange = checkpoint.schedule && scheduleChangeProblem(checkpoint.schedule, schedule);
  if (scheduleChange) throw new TrainInputError(`${dir}: cannot resume: ${scheduleChange}`);
  copyWeights(model, checkpoint.weights, dir);
  optimizer.loadStateDict(checkpoint.optimizer);
  if (scaler && checkpoint.state.lossScaler) scaler.loadStateDict(checkpoint.state.lossScaler);
  torch.setRngState(checkpoint.rng.cpu, 'cpu');
  if (checkpoint.rng.cuda && opts.device === 'cuda') torch.setRngState(checkpoint.rng.cuda, 'cuda');
  return checkpoint.state;
}

/**
 * Why a resumed run's schedule would give already-taken steps another learning rate; null when it would not. More
 * epochs (or max steps) are fine where the rate does not depend on the total: a constant schedule with warmup given
 * in steps. Linear and cosine decay, and a warmup ratio, scale with the total, so the total is locked there.
 */
export function scheduleChangeProblem(saved: Schedule, now: Schedule): string | null {
  if (saved.totalSteps === now.totalSteps && saved.warmupSteps === now.warmupSteps && saved.name === now.name) return null;
  const total = `${saved.totalSteps} → ${now.totalSteps} total steps`;
  if (saved.name !== now.name) return `scheduler: ${saved.name} → ${now.name}`;
  if (saved.name !== 'constant') {
    return `${total} (--epochs/--max-steps) would change the ${saved.name} learning-rate schedule of the steps already taken; ` +
      'only a constant schedule can be extended';
  }
  if (saved.warmupSteps === now.warmupSteps) return null;
  return `${total} changes the warmup from ${saved.warmupSteps} to ${now.warmupSteps} steps; give --warmup-steps instead of --warmup-ratio to extend a run`;
}
