// Checkpoints: `checkpoint-<step>/` holds everything an exact resume needs — the model (a loadable model folder:
// config.json, model.safetensors, tokenizer files), the optimizer moments, the trainer state (step, data position,
// best metric, early-stopping counter, loss scale) and the RNG states. A checkpoint is written into a temporary
// folder and renamed into place, so a run killed at any moment leaves either the whole checkpoint or none.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@tunelab/torch';
import type { optim, Tensor } from '@tunelab/torch';
import { TrainInputError } from './errors.js';
import type { Schedule } from './schedule.js';

export interface BestMetric {
  metric: string;
  value: number;
  step: number;
  /** That evaluation's eval_loss, which breaks ties of the metric (lower wins). */
  loss?: number;
}

/** Where the loop stands; saved at step boundaries (never inside a gradient-accumulation group). */
export interface TrainerState {
  globalStep: number;
  /** The data position: epoch, and the next micro-batch of that epoch's seeded order. */
  epoch: number;
  batchInEpoch: number;
  samplesSeen: number;
  best: BestMetric | null;
  evalsWithoutImprovement: number;
  trainRuntimeS: number;
  lossScaler: { scale: number; cleanSteps: number } | null;
  /** Per-step train losses since the last log line (kept so a resumed run logs the same means). */
  lossesSinceLog: number[];
  /** Every log line so far: train loss/lr/grad norm every `logEvery` steps, and evaluations. */
  logHistory: LogEntry[];
}

export interface LogEntry {
  step: number;
  epoch: number;
  metrics: Record<string, number>;
}

/** Settings a resume must share with the run that wrote the checkpoint, or the data position means something else. */
export type ResumeKey = Record<string, string | number | boolean | null>;

interface StateFile {
  format: 'tunelab-trainer-state/1';
  state: TrainerState;
  resumeKey: ResumeKey;
  /** The learning-rate schedule the run was on (absent in checkpoints written before it was recorded). */
  schedule?: Schedule;
  rng: { cpu: string; cuda: string | null };
  optimizer: { steps: number[]; paramGroups: OptimizerStateDict['paramGroups'] };
}

export interface CheckpointContents {
  state: TrainerState;
  resumeKey: ResumeKey;
  schedule: Schedule;
  /** Writes the loadable model folder (savePretrained of model and tokenizer) into `dir`. */
  saveModel: (dir: string) => Promise<void> | void;
  optimizer: OptimizerStateDict;
  cudaRng: boolean;
}

export type OptimizerStateDict = optim.AdamWStateDict;

export const STATE_FILE = 'trainer_state.json';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;

export function checkpointDir(outputDir: string, step: number): string {
  return join(outputDir, `checkpoint-${step}`);
}

export async function saveCheckpoint(outputDir: string, contents: CheckpointContents): Promise<string> {
  const finalDir = checkpointDir(outputDir, contents.state.globalStep);
  const tmpDir = `${finalDir}.tmp-${process.pid}`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  await contents.saveModel(tmpDir);

  const moments: Record<string, Tensor> = {};
  const steps: number[] = [];
  contents.optimizer.state.forEach((entry, i) => {
    steps.push(entry.step);
    moments[`${i}.exp_avg`] = entry.exp_avg;
    moments[`${i}.exp_avg_sq`] = entry.exp_avg_sq;
  });
  torch.saveSafetensors(join(tmpDir, OPTIMIZER_FILE), moments);

  const file: StateFile = {
    format: 'tunelab-trainer-state/1',
    state: contents.state,
    resumeKey: contents.resumeKey,
    schedule: contents.schedule,
    rng: {
      cpu: Buffer.from(torch.getRngState('cpu')).toString('base64'),
      cuda: contents.cudaRng ? Buffer.from(torch.getRngState('cuda')).toString('base64') : null,
    },
    optimizer: { steps, paramGroups: contents.optimizer.paramGroups },
  };
  writeFileSync(join(tmpDir, STATE_FILE), JSON.stringify(file, null, 1));
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(tmpDir, finalDir);
  return finalDir;
}

export interface LoadedCheckpoint {
  dir: string;
  state: TrainerState;
  resumeKey: ResumeKey;
  schedule: Schedule | null;
  /** Model weights by parameter name. */
  weights: Map<string, Tensor>;
  optimizer: OptimizerStateDict;
  rng: { cpu: Uint8Array; cuda: Uint8Array | null };
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const statePath = join(dir, STATE_FILE);
  if (!existsSync(statePath)) throw new TrainInputError(`${dir}: not a checkpoint (no ${STATE_FILE})`);
  let file: StateFile;
  try {
    file = JSON.parse(readFileSync(statePath, 'utf8')) as StateFile;
  } catch (err) {
    throw new TrainInputError(`${statePath}: invalid JSON (${(err as Error).message})`);
  }
  if (file.format !== 'tunelab-trainer-state/1') {
    throw new TrainInputError(`${statePath}: unknown checkpoint format ${JSON.stringify(file.format)}`);
  }
  const weights = torch.loadSafetensors(join(dir, 'model.safetensors')).tensors;
  const moments = torch.loadSafetensors(join(dir, OPTIMIZER_FILE)).tensors;
  const state = file.optimizer.steps.map((step, i) => {
    const expAvg = moments.get(`${i}.exp_avg`);
    const expAvgSq = moments.get(`${i}.exp_avg_sq`);
    if (!expAvg || !expAvgSq) throw new TrainInputError(`${dir}: optimizer.safetensors lacks the moments of parameter ${i}`);
    return { step, exp_avg: expAvg, exp_avg_sq: expAvgSq };
  });
  return {
    dir,
    state: file.state,
    resumeKey: file.resumeKey,
    schedule: file.schedule ?? null,
    weights,
    optimizer: { state, paramGroups: file.optimizer.paramGroups },
    rng: {
      cpu: new Uint8Array(Buffer.from(file.rng.cpu, 'base64')),
      cuda: file.rng.cuda === null ? null : new Uint8Array(Buffer.from(file.rng.cuda, 'base64')),
    },
  };
}

/** Complete checkpoints of an output folder, oldest first (temporary folders of a killed save are not listed). */
export function listCheckpoints(outputDir: string): { step: number; dir: string }[] {
  if (!existsSync(outputDir)) return [];
  return readdirSync(outputDir)
    .map((name) => ({ match: CHECKPOINT_DIR.exec(name), name }))
    .filter(({ match, name }) => match !== null && existsSync(join(outputDir, name, STATE_FILE)))
    .map(({ match, name }) => ({ step: Number(match![1]), dir: join(outputDir, name) }))
    .sort((a, b) => a.step - b.step);
}

export function latestCheckpoint(outputDir: string): string | null {
  return listCheckpoints(outputDir).at(-1)?.dir ?? null;
}

/**
 * Deletes the oldest checkpoints so that at most `limit` remain (HF's save_total_limit). The best weights are not
 * among them: they live in best-model/, so no checkpoint needs keeping for them.
 */
export function pruneCheckpoints(outputDir: string, limit: number): void {
  const all = listCheckpoints(outputDir);
  for (const { dir } of all.slice(0, Math.max(0, all.length - limit))) rmSync(dir, { recursive: true, force: true });
}

/** Removes what a killed save left behind (`checkpoint-N.tmp-PID`). */
export function removeIncompleteCheckpoints(outputDir: string): void {
  if (!existsSync(outputDir)) return;
  for (const name of readdirSync(outputDir)) {
    if (/^checkpoint-\d+\.tmp-\d+$/.test(name)) rmSync(join(outputDir, name), { recursive: true, force: true });
  }
}

/** The names where two resume keys differ, as "name: was → now" pieces. */
export function resumeKeyDifferences(saved: ResumeKey, current: ResumeKey): string[] {
  const names = new Set([...Object.keys(saved), ...Object.keys(current)]);
  return [...names]
    .filter((name) => saved[name] !== current[name])
    .map((name) => `${name}: ${JSON.stringify(saved[name])} → ${JSON.stringify(current[name])}`);
}
