// `tunelab train` as a library call: validated arguments → tokenizer, data, model → the training loop → the output
// folder (model + tokenizer, metrics.json, predictions/, checkpoint-N/) and the tracked run. Everything that can be
// wrong with the input is found before the output folder is touched, so a bad run leaves nothing half-written.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import * as torch from '@tunelab/torch';
import { trainBatches } from '../data/collate.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import {
  TASKS, checkModelHead, checkTaskFlags, loadModelForTask, metricForBest, prepareTaskData, readModelHead,
} from '../tasks.js';
import { AutoTokenizer } from '../tokenizers/auto.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { resolveStoreTarget } from '../track/connect.js';
import type { Params } from '../track/store.js';
import { checkTrainArgs, type TrainArgs } from './args.js';
import { latestCheckpoint, listCheckpoints, removeIncompleteCheckpoints, type ResumeKey } from './checkpoint.js';
import { TrainConfigError, TrainInputError } from './errors.js';
import { evaluateAll, mergedMetrics, writePredictions } from './evaluate.js';
import { METRICS_FILE, writeJsonAtomic } from './output.js';
import { resolveDevice, resolvePrecision, type ComputeDevice, type Precision } from './precision.js';
import type { Reporter } from './progress.js';
import { openTracker, type Tracker } from './tracking.js';
import { train, type Distributed } from './trainer.js';

export interface FineTuneResult {
  outputDir: string;
  metrics: Record<string, number>;
  runId: string | null;
  trackedAs: string | null;
}

/** Runs a whole fine-tuning job; progress and logs go to `reporter`. */
export async function fineTune(args: TrainArgs, reporter: Reporter, distributed?: Distributed): Promise<FineTuneResult> {
  checkTrainArgs(args);
  checkTaskFlags(args.task, args);
  const task = TASKS[args.task];
  // In a data-parallel job every rank trains and evaluates its part of the eval set; rank 0 alone writes the output
  // folder and tracks.
  const isMain = (distributed?.rank ?? 0) === 0;
  torch.setNumThreads(args.threads ?? availableParallelism());
  const device = resolveDevice(args.device);
  const precision = resolvePrecision(args.precision, device);
  const outputDir = resolve(args.outputDir);
  const resumeFrom = checkOutputDir(outputDir, args.resume);
  const best = metricForBest(args.task, args.metricForBest);
  if (args.track) resolveStoreTarget(args.store); // a malformed --store fails here, before any work

  // Read everything before writing anything.
  const modelHead = await readModelHead(args.model);
  checkModelHead(args.task, args.model, modelHead, false);
  const tokenizer = await AutoTokenizer.fromPretrained(args.model);
  const data = await prepareTaskData(args.task, tokenizer, {
    ...args, maxSeqLength: args.maxSeqLength ?? task.defaultMaxSeqLength, docStride: args.docStride ?? 128,
    withTrain: true, qa: args,
  });
  const trainSet = data.train!;
  if (trainSet.features.length === 0) throw new TrainInputError(`${args.trainFile ?? args.task}: no training examples`);
  if (args.earlyStoppingPatience !== undefined && data.evalSplits.length === 0) {
    throw new TrainConfigError('--early-stopping-patience needs validation data (--validation-file)');
  }
  torch.manualSeed(args.seed); // new head weights (and --from-scratch weights) are drawn from the seed
  const model = await loadModelForTask(args.task, args.model, {
    labels: data.labels, fromScratch: args.fromScratch, device, ignoreMismatchedSizes: args.ignoreMismatchedSizes,
  });

  const tracker = await openTracker({
    enabled: args.track && isMain, store: args.store, experiment: args.experiment ?? args.task, runName: args.runName,
  });
  try {
    mkdirSync(outputDir, { recursive: true });
    if (isMain) removeIncompleteCheckpoints(outputDir);
    tracker.logParams(runParams(args, { device, precision, outputDir, trainFeatures: trainSet.features.length }));
    if (resumeFrom) reporter.message(`resuming from ${resumeFrom}`);
    else if (args.resume === true) reporter.message(`no checkpoint in ${outputDir}: starting from scratch`);
    const evalSettings = { device, precision, batchSize: args.evalBatchSize ?? args.batchSize * 2, group: distributed };
    const saveModel = (dir: string) => saveModelFolder(model, tokenizer, dir);
    const result = await train({
      model, saveModel, distributed,
      trainBatches: (epoch) => trainBatches(trainSet, {
        batchSize: args.batchSize, seed: args.seed, epoch, groupByLength: args.groupByLength,
        padId: tokenizer.padTokenId, shard: distributed && { rank: distributed.rank, worldSize: distributed.worldSize },
      }),
      evaluate: data.evalSplits.length === 0 ? undefined
        : () => mergedMetrics(evaluateAll(model, tokenizer, data.evalSplits, evalSettings)),
      options: {
        outputDir, epochs: args.epochs ?? 3, maxSteps: args.maxSteps, lr: args.lr, weightDecay: args.weightDecay,
        scheduler: args.scheduler, warmupSteps: args.warmupSteps, warmupRatio: args.warmupRatio,
        gradAccum: args.gradAccum, maxGradNorm: args.maxGradNorm, device, precision,
        evalEvery: args.evalEvery, saveEvery: args.saveEvery, logEvery: args.logEvery,
        earlyStoppingPatience: args.earlyStoppingPatience, metricForBest: best,
        resumeFrom, resumeKey: resumeKey(args),
      },
      onLog: (entry) => { reporter.log(entry); tracker.log(entry); },
      onProgress: (info) => reporter.progress(info),
      onCheckpoint: (dir) => reporter.message(`saved ${dir}`),
      stopRequested: () => tracker.stopRequested(),
    });
    const evaluations = evaluateAll(model, tokenizer, data.evalSplits, evalSettings);
    const tests = data.testSplit ? evaluateAll(model, tokenizer, [data.testSplit], evalSettings) : [];
    if (!isMain) return { outputDir, metrics: {}, runId: null, trackedAs: null };
    if (result.stoppedEarly) reporter.message(`early stopping at step ${result.state.globalStep}`);
    if (result.stopReason) reporter.message(`stopped at step ${result.state.globalStep}: ${result.stopReason}`);
    const lastEpoch = result.state.logHistory.at(-1)?.epoch ?? result.state.epoch;
    const metrics = {
      ...mergedMetrics(evaluations),
      epoch: lastEpoch,
      train_runtime_s: result.trainRuntimeS,
      train_samples_per_second: result.trainSamplesPerSecond,
      ...(result.state.best ? { best_step: result.state.best.step } : {}),
      ...(device === 'cuda' ? { peak_cuda_memory_bytes: torch.cuda.maxMemoryAllocated() } : {}),
    };
    await saveModelFolder(model, tokenizer, outputDir);
    writePredictions(outputDir, [...evaluations, ...tests]);
    writeJsonAtomic(resolve(outputDir, METRICS_FILE), metrics);
    tracker.log({ step: result.state.globalStep, epoch: lastEpoch, metrics });
    await tracker.logOutput(outputDir);
    await tracker.finish(result.stopReason ? 'terminated' : 'completed', result.stopReason ?? undefined);
    return { outputDir, metrics, runId: tracker.runId, trackedAs: tracker.description };
  } catch (err) {
    await tracker.finish('failed', (err as Error).message).catch(() => undefined);
    throw err;
  } finally {
    model.dispose();
  }
}

/** The folder `from_pretrained` (ours and transformers') loads: config.json, model.safetensors, tokenizer files. */
export async function saveModelFolder(model: PreTrainedModel, tokenizer: Tokenizer, dir: string): Promise<void> {
  model.savePretrained(dir);
  await tokenizer.savePretrained(dir);
}

/**
 * The checkpoint to resume from (null: start fresh). Without --resume, an output folder that already holds
 * checkpoints is refused rather than mixed with a new run's.
 */
function checkOutputDir(outputDir: string, resume: boolean | string): string | null {
  if (existsSync(outputDir) && !statSync(outputDir).isDirectory()) {
    throw new TrainConfigError(`--output-dir ${outputDir}: exists and is not a folder`);
  }
  if (typeof resume === 'string') {
    const dir = resolve(resume);
    if (!existsSync(resolve(dir, 'trainer_state.json'))) {
      throw new TrainConfigError(`--resume ${resume}: not a checkpoint folder (no trainer_state.json)`);
    }
    return dir;
  }
  if (resume) return latestCheckpoint(outputDir);
  const existing = listCheckpoints(outputDir);
  if (existing.length > 0) {
    throw new TrainConfigError(`--output-dir ${outputDir}: already holds ${readdirSync(outputDir).filter((n) => n.startsWith('checkpoint-')).join(', ')}; ` +
      'pass --resume to continue that run, or choose another folder');
  }
  return null;
}

/** Settings a resumed run must share with the checkpoint: they fix the data order and the schedule. */
function resumeKey(args: TrainArgs): ResumeKey {
  return {
    task: args.task, trainFile: args.trainFile ?? null, maxTrainSamples: args.maxTrainSamples ?? null,
    maxSeqLength: args.maxSeqLength ?? null, docStride: args.docStride ?? null, batchSize: args.batchSize,
    gradAccum: args.gradAccum, seed: args.seed, groupByLength: args.groupByLength, epochs: args.epochs ?? null,
    maxSteps: args.maxSteps ?? null, lr: args.lr, scheduler: args.scheduler, warmupSteps: args.warmupSteps ?? null,
    warmupRatio: args.warmupRatio ?? null, weightDecay: args.weightDecay, precision: args.precision,
  };
}

function runParams(args: TrainArgs, resolved: { device: ComputeDevice; precision: Precision; outputDir: string; trainFeatures: number }): Params {
  const params: Params = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || key === 'json' || key === 'track') continue;
    params[key] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : String(value);
  }
  return {
    ...params, device: resolved.device, precision: resolved.precision, outputDir: resolved.outputDir,
    trainFeatures: resolved.trainFeatures,
  };
}
