// The training loop, top to bottom: batch, forward, backward, (all-reduce), clip, step, log, evaluate, save.
// Everything that makes a resume exact lives in the checkpoint: weights, AdamW moments, the step (the schedule is a
// pure function of it), RNG states, and the data position (epoch + micro-batch index in that epoch's seeded order).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@tunelab/torch';
import { nn, optim, type Tensor } from '@tunelab/torch';
import {
  loadCheckpoint, resumeKeyDifferences, saveCheckpoint,
  type BestMetric, type LogEntry, type ResumeKey, type TrainerState,
} from './checkpoint.js';
import { TrainInputError } from './errors.js';
import { noDecayParameterNames } from '../models/modules.js';
import { toModelInputs, type Batch, type TrainableModel } from './inference.js';
import { LossScaler, withAutocast, type ComputeDevice, type Precision } from './precision.js';
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
  saveEvery: number | 'epoch';
  logEvery: number;
  earlyStoppingPatience?: number;
  /** e.g. { name: 'eval_f1', greaterIsBetter: true }; the best evaluation's weights become the final model. */
  metricForBest: { name: string; greaterIsBetter: boolean };
  /** A checkpoint folder to continue from. */
  resumeFrom?: string | null;
  /** Settings that must match the checkpoint's (batch size, seed, data …). */
  resumeKey: ResumeKey;
}

/** Data-parallel seam (T6): each rank gets its shard from `trainBatches`; rank 0 alone writes and reports. */
export interface Distributed {
  rank: number;
  worldSize: number;
  allReduceGradients(params: Tensor[]): void | Promise<void>;
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
  /** Asked after every step; a reason (e.g. a stop requested from the dashboard) ends training there. */
  stopRequested?: () => string | null;
  distributed?: Distributed;
}

export interface TrainResult {
  state: TrainerState;
  totalSteps: number;
  /** Seconds spent in this call and every run it resumed. */
  trainRuntimeS: number;
  trainSamplesPerSecond: number;
  stoppedEarly: boolean;
  /** Why training ended before its last step when someone asked it to; null otherwise. */
  stopReason: string | null;
}

export const BEST_MODEL_DIR = 'best-model';

/** AdamW with two groups: weight decay on everything but biases and LayerNorm weights (HF's rule). */
export function createOptimizer(model: TrainableModel, lr: number, weightDecay: number): optim.AdamW {
  const noDecay = noDecayParameterNames(model);
  const named = model.namedParameters().filter(([, p]) => p.requiresGrad);
  return new optim.AdamW([
    { params: named.filter(([name]) => !noDecay.has(name)).map(([, p]) => p), weightDecay },
    { params: named.filter(([name]) => noDecay.has(name)).map(([, p]) => p), weightDecay: 0 },
  ], { lr, weightDecay });
}

export async function train(setup: TrainerSetup): Promise<TrainResult> {
  const { model, options: opts, distributed } = setup;
  const isMain = (distributed?.rank ?? 0) === 0;
  const worldSize = distributed?.worldSize ?? 1;
  const optimizer = createOptimizer(model, opts.lr, opts.weightDecay);
  const params = optimizer.paramGroups.flatMap((group) => group.params);
  const scaler = opts.precision === 'fp16' ? new LossScaler() : null;
  const state = opts.resumeFrom ? restore(opts.resumeFrom, model, optimizer, scaler, opts) : freshState();

  const batchesPerEpoch = setup.trainBatches(0).length;
  if (batchesPerEpoch === 0) throw new TrainInputError('the training set produced no batches');
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / opts.gradAccum);
  const totalSteps = opts.maxSteps ?? Math.ceil(opts.epochs * stepsPerEpoch);
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const schedule: Schedule = { name: opts.scheduler, totalSteps, warmupSteps: warmupSteps(totalSteps, opts) };

  const startedAt = performance.now();
  const runtimeBefore = state.trainRuntimeS;
  const elapsed = () => runtimeBefore + (performance.now() - startedAt) / 1000;
  let stoppedEarly = false;
  let stopReason: string | null = null;
  let stepLosses: number[] = [];
  let lastLr = opts.lr * lrMultiplier(schedule, state.globalStep);
  let lastGradNorm = 0;

  model.train();
  for (let epoch = state.epoch; epoch < epochs && state.globalStep < totalSteps && !stoppedEarly && !stopReason; epoch++) {
    const batches = setup.trainBatches(epoch);
    for (let i = state.batchInEpoch; i < batches.length && state.globalStep < totalSteps; i++) {
      // One optimizer step = one group of `gradAccum` micro-batches (the epoch's last group may be shorter).
      const groupStart = i - (i % opts.gradAccum);
      const groupSize = Math.min(opts.gradAccum, batches.length - groupStart);
      stepLosses.push(microStep(model, batches[i], groupSize, opts, scaler));
      if (i + 1 < groupStart + groupSize) continue;

      await distributed?.allReduceGradients(params);
      lastLr = opts.lr * lrMultiplier(schedule, state.globalStep);
      lastGradNorm = optimizerStep(optimizer, params, lastLr, opts.maxGradNorm, scaler);
      state.globalStep += 1;
      state.samplesSeen += sumBatchSizes(batches, groupStart, i + 1) * worldSize;
      const epochDone = i + 1 === batches.length;
      [state.epoch, state.batchInEpoch] = epochDone ? [epoch + 1, 0] : [epoch, i + 1];
      const epochFloat = epoch + (i + 1) / batches.length;

      state.lossesSinceLog.push(mean(stepLosses));
      stepLosses = [];
      const meanLoss = mean(state.lossesSinceLog);
      if (isMain) setup.onProgress?.({ epoch: epochFloat, step: state.globalStep, totalSteps, loss: meanLoss, lr: lastLr });
      if (state.globalStep % opts.logEvery === 0 || state.globalStep === totalSteps) {
        const metrics = { train_loss: meanLoss, learning_rate: lastLr, grad_norm: lastGradNorm };
        state.lossesSinceLog = [];
        state.logHistory.push({ step: state.globalStep, epoch: epochFloat, metrics });
        if (isMain) setup.onLog?.({ step: state.globalStep, epoch: epochFloat, metrics });
      }

      const due = (every: number | 'epoch') => (every === 'epoch' ? epochDone : state.globalStep % every === 0);
      if (setup.evaluate && isMain && due(opts.evalEvery)) stoppedEarly = await evaluateNow(setup, state, epochFloat);
      if (isMain && due(opts.saveEvery)) {
        state.trainRuntimeS = elapsed();
        state.lossScaler = scaler?.stateDict() ?? null;
        const dir = await saveCheckpoint(opts.outputDir, {
          state, resumeKey: opts.resumeKey, saveModel: setup.saveModel,
          optimizer: optimizer.stateDict(), cudaRng: opts.device === 'cuda',
        });
        setup.onCheckpoint?.(dir);
      }
      stopReason = setup.stopRequested?.() ?? null;
      if (stoppedEarly || stopReason) break;
      await new Promise((resolve) => setImmediate(resolve)); // let tracking writes and progress rendering run
    }
  }

  if (state.best) restoreBestModel(model, opts.outputDir, state.best);
  state.trainRuntimeS = elapsed();
  return {
    state, totalSteps, stoppedEarly, stopReason,
    trainRuntimeS: state.trainRuntimeS,
    trainSamplesPerSecond: state.samplesSeen / Math.max(state.trainRuntimeS, 1e-9),
  };
}

/**
 * Forward and backward of one micro-batch; its loss is divided by the group size so the gradients of a group
 * average. Returns the micro-batch's (undivided) loss.
 */
function microStep(
  model: TrainableModel, batch: Batch, groupSize: number, opts: TrainerOptions, scaler: LossScaler | null,
): number {
  return torch.scope(() => {
    const out = withAutocast(opts.precision, opts.device, () => model.forward(toModelInputs(batch, opts.device, true)));
    if (!out.loss) throw new TrainInputError('the model returned no loss: the training batch carries no labels');
    const loss = out.loss.float();
    const share = loss.div(groupSize);
    (scaler ? scaler.scaleLoss(share) : share).backward();
    return loss.item();
  });
}

/** Unscale (fp16), clip, set the scheduled lr, step, zero the gradients. Returns the gradient norm before clipping. */
function optimizerStep(
  optimizer: optim.AdamW, params: Tensor[], lr: number, maxGradNorm: number, scaler: LossScaler | null,
): number {
  scaler?.unscaleGradients(params);
  const gradNorm = nn.utils.clipGradNorm(params, maxGradNorm > 0 ? maxGradNorm : Number.POSITIVE_INFINITY);
  for (const group of optimizer.paramGroups) group.lr = lr;
  if (!scaler || scaler.update(gradNorm)) optimizer.step();
  optimizer.zeroGrad();
  return gradNorm;
}

function sumBatchSizes(batches: Batch[], from: number, to: number): number {
  let n = 0;
  for (let j = from; j < to; j++) n += batches[j].size[0];
  return n;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Evaluates, logs, keeps the best weights; returns whether early stopping's patience ran out. */
async function evaluateNow(setup: TrainerSetup, state: TrainerState, epoch: number): Promise<boolean> {
  const metrics = setup.evaluate!();
  setup.model.train();
  const entry: LogEntry = { step: state.globalStep, epoch, metrics };
  state.logHistory.push(entry);
  setup.onLog?.(entry);
  if (updateBest(state, metrics, setup.options)) await saveBestModel(setup, state.best!);
  const patience = setup.options.earlyStoppingPatience;
  return patience !== undefined && state.evalsWithoutImprovement >= patience;
}

/** Records a new best (strictly better, as HF's early stopping) and counts evaluations without improvement. */
function updateBest(state: TrainerState, metrics: Record<string, number>, opts: TrainerOptions): boolean {
  const { name, greaterIsBetter } = opts.metricForBest;
  const value = metrics[name];
  if (value === undefined) {
    throw new TrainInputError(`--metric-for-best ${name}: evaluation produced ${Object.keys(metrics).join(', ')}`);
  }
  // NaN (e.g. Pearson of a constant prediction) is never an improvement.
  const better = !Number.isNaN(value)
    && (state.best === null || (greaterIsBetter ? value > state.best.value : value < state.best.value));
  if (better) {
    state.best = { metric: name, value, step: state.globalStep };
    state.evalsWithoutImprovement = 0;
  } else {
    state.evalsWithoutImprovement += 1;
  }
  return better;
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
): TrainerState {
  const checkpoint = loadCheckpoint(dir);
  const differences = resumeKeyDifferences(checkpoint.resumeKey, opts.resumeKey);
  if (differences.length > 0) {
    throw new TrainInputError(`${dir}: cannot resume with different settings (${differences.join('; ')})`);
  }
  copyWeights(model, checkpoint.weights, dir);
  optimizer.loadStateDict(checkpoint.optimizer);
  if (scaler && checkpoint.state.lossScaler) scaler.loadStateDict(checkpoint.state.lossScaler);
  torch.setRngState(checkpoint.rng.cpu, 'cpu');
  if (checkpoint.rng.cuda && opts.device === 'cuda') torch.setRngState(checkpoint.rng.cuda, 'cuda');
  return checkpoint.state;
}
