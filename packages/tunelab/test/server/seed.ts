// A small store seeded through the Store API, shared by the API, hostile-request and browser tests.
// Every number is a closed form of (trial, step), so tests check values against the formula, not the code.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/track/store.js';

export const SWEEP_SPEC = {
  name: 'lr-sweep',
  trial: { command: 'node objective.js --lr ${{search_space.learning_rate}} --bs ${{search_space.batch_size}}' },
  search_space: {
    learning_rate: { type: 'loguniform', min_value: -11.5, max_value: -6.9 },
    batch_size: { type: 'choice', values: [16, 32] },
  },
  objective: { primary_metric: 'val_loss', goal: 'minimize' },
  early_termination: { type: 'bandit', slack_factor: 0.1, evaluation_interval: 1, delay_evaluation: 2 },
  limits: { max_total_trials: 8, max_concurrent_trials: 2 },
};

/** val_loss of trial `t` at step `s` (1-based): decreasing, trial-specific floor. */
export function valLoss(t: number, s: number): number {
  return 0.3 + 0.05 * t + 1 / s;
}

export interface TrialPlan {
  learningRate: number;
  batchSize: number;
  steps: number;
  end: 'completed' | 'terminated' | 'running' | 'queued';
}

/** 3 completed (10 steps), 2 terminated by the policy (at 3 and 4 steps), 1 running (5 steps so far), 1 queued. */
export const TRIALS: TrialPlan[] = [
  { learningRate: 3e-5, batchSize: 16, steps: 10, end: 'completed' },
  { learningRate: 1e-4, batchSize: 32, steps: 10, end: 'completed' },
  { learningRate: 1e-3, batchSize: 16, steps: 3, end: 'terminated' },
  { learningRate: 2e-5, batchSize: 32, steps: 10, end: 'completed' },
  { learningRate: 5e-4, batchSize: 32, steps: 4, end: 'terminated' },
  { learningRate: 5e-5, batchSize: 16, steps: 5, end: 'running' },
  { learningRate: 8e-5, batchSize: 16, steps: 0, end: 'queued' },
];

export function terminationReason(t: number, steps: number): string {
  return `bandit: val_loss ${valLoss(t, steps).toFixed(4)} at step ${steps} is worse than best ${valLoss(0, steps).toFixed(4)} × (1 + 0.1)`;
}

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

export interface Seeded {
  store: Store;
  dir: string;
  sweepId: string;
  trialIds: string[];
  trialRunIds: (string | null)[];
  runs: { completed: string; failed: string; running: string };
  /** A file outside every run folder that traversal attempts try to reach. */
  secretFile: string;
  cleanup(): Promise<void>;
}

export async function seedStore(): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-server-'));
  const store = await openStore(join(dir, 'home', 'tunelab.db'));
  const secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, 'TOP-SECRET-CONTENT');

  const runs = await seedStandaloneRuns(store, dir, secretFile);
  const { sweepId, trialIds, trialRunIds } = await seedSweep(store, dir);
  return {
    store, dir, sweepId, trialIds, trialRunIds, runs, secretFile,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seedStandaloneRuns(store: Store, dir: string, secretFile: string) {
  const make = async (name: string, params: Record<string, number | string>, tags: string[]) =>
    store.createRun({ experiment: 'glue-mrpc', name, params, tags, command: 'tunelab train', host: 'test-host' });

  const completed = await make('bert-base lr=2e-5', { learning_rate: 2e-5, batch_size: 32, optimizer: 'adamw' }, ['baseline']);
  await store.appendMetrics(completed.id, Array.from({ length: 100 }, (_, i) => ({
    name: 'train/loss', step: i + 1, value: 2 / (i + 1), wallTime: T0 + i * 1000,
  })));
  await store.appendMetrics(completed.id, [1, 2, 3].map((epoch) => ({ name: 'eval/accuracy', step: epoch * 33, value: 0.7 + 0.05 * epoch, wallTime: T0 + epoch * 33_000 })));
  await store.appendLog(completed.id, 'stdout', 'epoch 1: loss 0.52\n');
  await store.appendLog(completed.id, 'stderr', 'warning: <script>alert(1)</script>\n');
  const source = join(dir, 'src-artifacts');
  mkdirSync(join(source, 'checkpoint'), { recursive: true });
  writeFileSync(join(source, 'checkpoint', 'config.json'), '{"hidden_size": 768}');
  writeFileSync(join(source, 'predictions.csv'), 'id,label\n1,0\n');
  await store.logArtifact(completed.id, join(source, 'checkpoint'));
  await store.logArtifact(completed.id, join(source, 'predictions.csv'));
  // A symlink inside the run folder that points outside it: listing must not follow it, downloads must refuse it.
  const { symlinkSync } = await import('node:fs');
  symlinkSync(secretFile, join(store.artifactsDir(completed.id), 'escape.txt'));
  // A hard link to the secret: inside the folder by every path check, yet a file the store never wrote.
  const { linkSync } = await import('node:fs');
  linkSync(secretFile, join(store.artifactsDir(completed.id), 'hardlink.txt'));
  await store.setRunStatus(completed.id, 'completed', { exitCode: 0 });

  const failed = await make('bert-base lr=1e-3', { learning_rate: 1e-3, batch_size: 16, optimizer: 'adamw' }, ['diverged']);
  await store.appendMetrics(failed.id, [
    { name: 'train/loss', step: 1, value: 2.5, wallTime: T0 },
    { name: 'train/loss', step: 2, value: NaN, wallTime: T0 + 1000 },
  ]);
  await store.setRunStatus(failed.id, 'failed', { exitCode: 1, reason: 'loss became NaN at step 2' });

  const running = await make('distilbert lr=5e-5', { learning_rate: 5e-5, batch_size: 32, optimizer: 'sgd' }, []);
  await store.appendMetrics(running.id, Array.from({ length: 20 }, (_, i) => ({
    name: 'train/loss', step: i + 1, value: 1 / (i + 1), wallTime: T0 + i * 1000,
  })));
  return { completed: completed.id, failed: failed.id, running: running.id };
}

async function seedSweep(store: Store, dir: string) {
  const sweep = await store.createSweep({ name: 'lr-sweep', experiment: 'glue-mrpc', spec: SWEEP_SPEC, specDir: dir, executor: 'local' });
  const trialIds: string[] = [];
  const trialRunIds: (string | null)[] = [];
  for (const [t, plan] of TRIALS.entries()) {
    const trial = await store.createTrial(sweep.id, t, { learning_rate: plan.learningRate, batch_size: plan.batchSize });
    trialIds.push(trial.id);
    if (plan.end === 'queued') {
      trialRunIds.push(null);
      continue;
    }
    const claimed = await store.claimTrial({ workerId: 'seed-worker', sweepId: sweep.id });
    if (!claimed || claimed.trial.id !== trial.id) throw new Error(`seed: claimed the wrong trial for #${t}`);
    trialRunIds.push(claimed.run.id);
    await store.appendMetrics(claimed.run.id, Array.from({ length: plan.steps }, (_, i) => ({
      name: 'val_loss', step: i + 1, value: valLoss(t, i + 1), wallTime: T0 + (i + 1) * 60_000,
    })));
    await store.updateTrialProgress(trial.id, {
      reportCount: plan.steps, evaluatedCount: plan.steps, bestValue: valLoss(t, plan.steps), bestStep: plan.steps,
    });
    if (plan.end === 'completed') await store.finishTrial(trial.id, 'seed-worker', 'completed', { exitCode: 0 });
    if (plan.end === 'terminated') await store.finishTrial(trial.id, 'seed-worker', 'terminated', { reason: terminationReason(t, plan.steps) });
  }
  // Trial 0 has the lowest val_loss at 10 steps (0.3 + 0.1): the controller records it as best.
  await store.setSweepBest(sweep.id, trialIds[0]);
  return { sweepId: sweep.id, trialIds, trialRunIds };
}
