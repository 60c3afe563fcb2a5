// `tunelab train` as a library call: validated arguments → tokenizer, data, model → the training loop → the output
// folder (model + tokenizer, metrics.json, predictions/, checkpoint-N/) and the tracked run. In two phases: first
// prepare and validate everything (flags, config, data files, tokenizer and model limits, and — inside the trainer's
// setup — the resume checkpoint and schedule), then create the output folder and the run row and train. A refused
// run leaves nothing: no folder, no store row.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import * as torch from '@tunelab/torch';
import { trainBatches } from '../data/collate.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import {
  TASKS, checkModelHead, checkTaskFlags, isMaskedLmTask, loadModelForTask, metricForBest, prepareTaskData, readModelHead,
} from '../tasks/index.js';
import { mlmOptions } from '../tasks/mlm.js';
import { AutoConfig } from '../models/auto.js';
import { AutoTokenizer } from '../tokenizers/auto.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { resolveStoreTarget } from '../track/connect.js';
import type { Params } from '../track/store.js';
import { checkTrainArgs, checkpointEvery, storedName, type TrainArgs } from './args.js';
import {
  latestCheckpoint, listCheckpoints, removeIncompleteCheckpoints, type BestMetric, type ResumeKey,
} from './checkpoint.js';
import { TrainConfigError, TrainInputError } from './errors.js';
import { evaluateAll, mergedMetrics, writePredictions } from './evaluate.js';
import { METRICS_FILE, writeJsonAtomic } from './output.js';
import { computeThreads, describePrecision, resolveDevice, resolvePrecision, type ComputeDevice, type Precision } from './precision.js';
import { PendingLog, createReporter, teeReporter, type Reporter } from './progress.js';
import { openTracker, type Tracker } from './tracking.js';
import { defaultPadToMultipleOf, resolveCudaGraphs } from './cuda-graphs.js';
import { resolveUnpad } from './unpad.js';
import { createForwardGraphs, type GraphedForwards } from './graph-forward.js';
import { PROFILE_FILE, formatProfile } from './profile.js';
import { train, type Distributed, type TrainingPlan } from './trainer.js';
import { TOTAL_STEPS_METRIC } from '../sweep/types.js';

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
  // What is shown is also the tracked run's log (the dashboard's Logs), held until the run exists.
  const runLog = new PendingLog();
  reporter = teeReporter(reporter, createReporter('lines', runLog.stream));
  const task = TASKS[args.task];
  // In a data-parallel job every rank trains and evaluates its part of the eval set; rank 0 alone writes the output
  // folder and tracks.
  const isMain = (distributed?.rank ?? 0) === 0;
  torch.setNumThreads(computeThreads(args.threads));
  const device = resolveDevice(args.device);
  const precision = resolvePrecision(args.precision, device);
  const outputDir = resolve(args.outputDir);
  const resumeFrom = checkOutputDir(outputDir, args.resume, args.overwriteOutputDir);
  const best = metricForBest(args.task, args.metricForBest);
  if (args.track) resolveStoreTarget(args.store); // a malformed --store fails here, before any work

  // Read everything before writing anything.
  const modelHead = await readModelHead(args.model);
  checkModelHead(args.task, args.model, modelHead, false);
  const tokenizer = await AutoTokenizer.fromPretrained(args.model);
  const maxSeqLength = await checkMaxSeqLength(args, task.defaultMaxSeqLength, tokenizer, reporter);
  const data = await prepareTaskData(args.task, tokenizer, {
    ...args, maxSeqLength, docStride: args.docStride ?? 128,
    withTrain: true, qa: args, mlm: mlmOptions(args),
  });
  const trainSet = data.train!;
  if (trainSet.features.length === 0) throw new TrainInputError(`${args.trainFile ?? args.task}: no training examples`);
  if (args.earlyStoppingPatience !== undefined && data.evalSplits.length === 0) {
    throw new TrainConfigError('--early-stopping-patience needs validation data (--validation-file)');
  }
  torch.manualSeed(args.seed); // new head weights (and --from-scratch weights) are drawn from the seed
  const model = await loadModelForTask(args.task, args.model, {
    labels: data.labels, fromScratch: args.fromScratch, device, ignoreMismatchedSizes: args.ignoreMismatchedSizes,
    head: modelHead,
  });

  // Created once the trainer accepted the setup (onPlan): until then a refusal leaves no run row and no folder.
  let tracker: Tracker = await openTracker({ enabled: false, experiment: '' });
  const createOutputs = async (plan: TrainingPlan) => {
    tracker = await openTracker({
      enabled: args.track && isMain, store: args.store, experiment: args.experiment ?? args.task, runName: args.runName,
      outputDir, resume: resumeFrom !== null, // --resume continues the run recorded in the output folder
    });
    runLog.attach((text) => tracker.logText(text));
    mkdirSync(outputDir, { recursive: true });
    removeIncompleteCheckpoints(outputDir);
    // --overwrite-output-dir (HF's overwrite_output_dir): the earlier run's checkpoints go, this run starts afresh.
    if (args.overwriteOutputDir && isMain) for (const { dir } of listCheckpoints(outputDir)) rmSync(dir, { recursive: true, force: true });
    tracker.logParams(runParams(args, { device, precision, outputDir, trainFeatures: trainSet.features.length }));
    // The planned length, so a sweep judges no evaluation after the last step and sizes what a stop saved.
    tracker.log({ step: 0, epoch: 0, metrics: { [TOTAL_STEPS_METRIC]: plan.totalSteps } });
  };
  let forwardGraphs: GraphedForwards | null = null;
  try {
    if (isMain) reporter.message(describePrecision(args.precision, device, precision));
    if (resumeFrom) reporter.message(`resuming from ${resumeFrom}`);
    else if (args.resume === true) reporter.message(`no checkpoint in ${outputDir}: starting from scratch`);
    const padToMultipleOf = args.padToMultipleOf ?? defaultPadToMultipleOf(device);
    const graphs = resolveCudaGraphs(args.cudaGraphs, {
      device, precision, worldSize: distributed?.worldSize ?? 1, graphsCompiled: torch.cuda.graphsAvailable(),
      capturableOptimizer: torch.optim.AdamW.capturableAvailable(), gradAccum: args.gradAccum,
    });
    if (graphs.fallback && isMain) reporter.message(graphs.fallback);
    // Evaluation's forward passes have graphs of their own wherever CUDA graphs work at all (where they do not, the
    // line above said why); a training-only blocker (fp16 scaling, --grad-accum, all-reduces) does not apply to them.
    forwardGraphs = createForwardGraphs(args.cudaGraphs, device, precision, (line) => {
      if (isMain && line !== graphs.fallback) reporter.message(line);
    });
    const unpad = resolveUnpad(args.unpad, device, graphs.enabled);
    if (unpad.line && isMain) reporter.message(unpad.line);
    const evalSettings = {
      device, precision, batchSize: args.evalBatchSize ?? args.batchSize * 2, group: distributed, graphs: forwardGraphs, padToMultipleOf,
      unpadMinPadding: forwardGraphs ? null : unpad.minPadding,
    };
    const saveModel = (dir: string) => saveModelFolder(model, tokenizer, dir);
    const result = await train({
      model, saveModel, distributed,
      trainBatches: (epoch) => {
        const batches = trainBatches(trainSet, {
          batchSize: args.batchSize, seed: args.seed, epoch, groupByLength: args.groupByLength, padToMultipleOf,
          padId: tokenizer.padTokenId, shard: distributed && { rank: distributed.rank, worldSize: distributed.worldSize },
        });
        return data.trainTransform ? data.trainTransform(batches, epoch, distributed?.rank ?? 0) : batches; // MLM masks
      },
      evaluate: data.evalSplits.length === 0 ? undefined
        : () => mergedMetrics(evaluateAll(model, tokenizer, data.evalSplits, evalSettings)),
      options: {
        outputDir, epochs: args.epochs ?? 3, maxSteps: args.maxSteps, lr: args.lr, weightDecay: args.weightDecay,
        scheduler: args.scheduler, warmupSteps: args.warmupSteps, warmupRatio: args.warmupRatio,
        gradAccum: args.gradAccum, maxGradNorm: args.maxGradNorm, device, precision,
        evalEvery: args.evalEvery, saveEvery: checkpointEvery(args), saveTotalLimit: args.saveTotalLimit,
        logEvery: args.logEvery, earlyStoppingPatience: args.earlyStoppingPatience, metricForBest: best,
        // HF's EarlyStoppingCallback requires load_best_model_at_end: patience turns it on rather than failing.
        loadBestModelAtEnd: args.loadBestModelAtEnd || args.earlyStoppingPatience !== undefined,
        resumeFrom, resumeKey: resumeKey(args), profile: args.profile, cudaGraphs: graphs.enabled, unpadMinPadding: unpad.minPadding,
      },
      onMessage: (text) => reporter.message(text),
      onLog: (entry) => { reporter.log(entry); tracker.log(entry); },
      onProgress: (info) => reporter.progress(info),
      onCheckpoint: (dir) => reporter.message(`saved ${dir}`),
      onPlan: createOutputs,
      stopRequested: () => tracker.stopRequested(),
    });
    const evaluations = evaluateAll(model, tokenizer, data.evalSplits, evalSettings);
    const tests = data.testSplit ? evaluateAll(model, tokenizer, [data.testSplit], evalSettings) : [];
    if (!isMain) return { outputDir, metrics: {}, runId: null, trackedAs: null };
    if (result.stoppedEarly) reporter.message(`early stopping at step ${result.state.globalStep}`);
    if (result.stopReason) reporter.message(`stopped at step ${result.state.globalStep}: ${result.stopReason}`);
    reporter.message(finalWeightsMessage(result.loadedBest, result.state.globalStep, best.name, args));
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
    if (result.profile) {
      writeJsonAtomic(resolve(outputDir, PROFILE_FILE), result.profile); // tracked with the output: the dashboard shows it
      reporter.message(formatProfile(result.profile));
    }
    writeJsonAtomic(resolve(outputDir, METRICS_FILE), metrics);
    // The final model's evaluation is one point under its own names: the eval_* series keeps one point per evaluation.
    tracker.log({ step: result.state.globalStep, epoch: lastEpoch, metrics: finalMetrics(metrics) });
    await tracker.logOutput(outputDir);
    await tracker.finish(result.stopReason ? 'terminated' : 'completed', result.stopReason ?? undefined);
    return { outputDir, metrics, runId: tracker.runId, trackedAs: tracker.description };
  } catch (err) {
    await tracker.finish('failed', (err as Error).message).catch(() => undefined);
    throw err;
  } finally {
    forwardGraphs?.dispose();
    model.dispose();
  }
}

/**
 * The --max-seq-length to use: what was given, refused when longer than the model's position embeddings (or the
 * tokenizer's model_max_length) cover; the task's default is capped to that limit, as HF's run_glue caps it.
 */
async function checkMaxSeqLength(args: TrainArgs, taskDefault: number, tokenizer: Tokenizer, reporter: Reporter): Promise<number> {
  const positions = await positionLimit(args.model);
  const tokenizerLimit = tokenizer.modelMaxLength ?? Infinity;
  const [limit, source] = tokenizerLimit < positions
    ? [tokenizerLimit, 'tokenizer_config.json model_max_length'] : [positions, 'config.json max_position_embeddings'];
  if (args.maxSeqLength !== undefined && args.maxSeqLength > limit) {
    throw new TrainConfigError(`--max-seq-length ${args.maxSeqLength}: the model covers at most ${limit} tokens (${source})`);
  }
  if (args.maxSeqLength !== undefined || taskDefault <= limit) return args.maxSeqLength ?? taskDefault;
  reporter.message(`max sequence length ${limit} (the model's limit, ${source}; the task's default is ${taskDefault})`);
  return limit;
}

/** The longest input the position embeddings cover: max_position_embeddings, less RoBERTa's padding offset. */
async function positionLimit(model: string): Promise<number> {
  const config = await AutoConfig.fromPretrained(model);
  const paddingOffset = config.model_type.includes('roberta') && 'pad_token_id' in config ? (config.pad_token_id ?? 0) + 1 : 0;
  return config.max_position_embeddings - paddingOffset;
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
function checkOutputDir(outputDir: string, resume: boolean | string, overwrite: boolean): string | null {
  if (existsSync(outputDir) && !statSync(outputDir).isDirectory()) {
    throw new TrainConfigError(`--output-dir ${outputDir}: exists and is not a folder`);
  }
  if (overwrite && resume !== false) throw new TrainConfigError('--overwrite-output-dir and --resume conflict: give one');
  if (overwrite) return null;
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

/**
 * The metrics of the final model as tracked: `eval_accuracy` → `final_eval_accuracy` (the eval_* series are the
 * evaluations during training, one point each); training summaries (`train_runtime_s`, `best_step`) keep their names.
 */
export function finalMetrics(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name.startsWith('eval_') ? `final_${name}` : name, value]));
}

/** Which weights the output folder's model holds, and why. */
function finalWeightsMessage(loadedBest: BestMetric | null, lastStep: number, metric: string, args: TrainArgs): string {
  if (loadedBest) {
    const why = args.loadBestModelAtEnd ? '--load-best-model-at-end' : '--load-best-model-at-end, on with --early-stopping-patience';
    return `saved model: weights of step ${loadedBest.step}, the best ${loadedBest.metric} (${loadedBest.value}) (${why})`;
  }
  return `saved model: weights of the last step ${lastStep} (--load-best-model-at-end is off; the step with the best ${metric} is best_step in metrics.json)`;
}

/**
 * Settings a resumed run must share with the checkpoint: they fix the data order and the learning rates. The length
 * (--epochs, --max-steps) is not among them: the trainer refuses a new length only where the schedule depends on it.
 */
function resumeKey(args: TrainArgs): ResumeKey {
  return {
    task: args.task, trainFile: args.trainFile ?? null, maxTrainSamples: args.maxTrainSamples ?? null,
    maxSeqLength: args.maxSeqLength ?? null, docStride: args.docStride ?? null, batchSize: args.batchSize,
    gradAccum: args.gradAccum, seed: args.seed, groupByLength: args.groupByLength, lr: args.lr, scheduler: args.scheduler, warmupSteps: args.warmupSteps ?? null,
    warmupRatio: args.warmupRatio ?? null, weightDecay: args.weightDecay, precision: args.precision,
    // batch shapes decide the dropout draws (present only when given: the default follows the device)
    ...(args.padToMultipleOf !== undefined ? { padToMultipleOf: args.padToMultipleOf } : {}),
    // and so does --unpad (dropout draws over the real tokens' rows); auto is left out, as checkpoints before it
    ...(args.unpad !== 'auto' ? { unpad: args.unpad } : {}),
    // masked LM: the masks (drawn from the seed) and the blocks depend on these too
    ...(isMaskedLmTask(args.task) ? { ...mlmOptions(args), datasetName: args.datasetName ?? null } : {}),
  };
}

/** The run's params under their stored (HF) names: `learning_rate`, `per_device_train_batch_size`, `output_dir`, … */
function runParams(args: TrainArgs, resolved: { device: ComputeDevice; precision: Precision; outputDir: string; trainFeatures: number }): Params {
  const params: Params = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || key === 'json' || key === 'track') continue;
    params[storedName(key)] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : String(value);
  }
  return {
    ...params, device: resolved.device, precision: resolved.precision, output_dir: resolved.outputDir,
    train_features: resolved.trainFeatures,
  };
}
