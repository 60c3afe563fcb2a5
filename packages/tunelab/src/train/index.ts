// Public surface of train/: the fine-tuning job, the training loop and its parts (schedules, checkpoints, precision,
// evaluation), and the saved-model eval/predict jobs.
export { fineTune, saveModelFolder, type FineTuneResult } from './finetune.js';
export {
  train, createOptimizer, copyWeights, BEST_MODEL_DIR,
  type Distributed, type ProgressInfo, type TrainerOptions, type TrainerSetup, type TrainResult,
} from './trainer.js';
export { runInference, toModelInputs, type BatchOutputs, type HostArray, type InferenceResult, type TrainableModel } from './inference.js';
export { lrMultiplier, warmupSteps, SCHEDULERS, type Schedule, type SchedulerName } from './schedule.js';
export {
  saveCheckpoint, loadCheckpoint, listCheckpoints, latestCheckpoint, removeIncompleteCheckpoints, checkpointDir,
  type BestMetric, type LogEntry, type LoadedCheckpoint, type ResumeKey, type TrainerState,
} from './checkpoint.js';
export {
  resolveDevice, resolvePrecision, withAutocast, LossScaler, DEVICES, PRECISIONS,
  type ComputeDevice, type DeviceFlag, type Precision, type PrecisionFlag,
} from './precision.js';
export {
  TrainArgsSchema, EvalArgsSchema, PredictArgsSchema, parseArgs, readConfigFile, checkTrainArgs, flagName,
  type TrainArgs, type EvalArgs, type PredictArgs,
} from './args.js';
export {
  evaluateSplit, evaluateAll, mergedMetrics, writePredictions, evaluateSavedModel, predictWithSavedModel,
  type EvalSettings, type SplitEvaluation, type EvalResult, type PredictResult,
} from './evaluate.js';
export { createReporter, chooseReporterMode, type Reporter, type ReporterMode, type RunSummary } from './progress.js';
export { metricsTable } from '../format.js';
export { openTracker, type Tracker, type TrackingOptions } from './tracking.js';
export { runDemo, type DemoOptions } from './demo.js';
export { TrainConfigError, TrainInputError } from './errors.js';
export { formatProfile, PROFILE_FILE, PROFILE_PARTS, type ProfilePart, type ProfileRow, type TrainingProfile } from './profile.js';
export { CUDA_GRAPH_MODES, defaultPadToMultipleOf, resolveCudaGraphs, type CudaGraphMode } from './cuda-graphs.js';
export { UNPAD_MODES, resolveUnpad, type UnpadMode } from './unpad.js';
