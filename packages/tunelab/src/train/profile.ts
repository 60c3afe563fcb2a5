// `--profile`: where a training run's wall time goes. The trainer wraps each part of its loop in `profiler.time(part,
// fn)`; on CUDA every timed part ends with a device sync (only while profiling: a sync stalls the queue), so the GPU
// time of queued kernels is charged to the part that queued them. The parts are disjoint, and the time no part
// covers is its own row, so the rows add up to the wall time exactly; `coverage` says how much the named parts explain.
import * as torch from '@tunelab/torch';
import type { Batch } from '../data/collate.js';
import type { ComputeDevice } from './precision.js';
import { unpadsAtShare } from './unpad.js';

/** Where `tunelab train --profile` stores the profile in the output folder (tracked with the run's output). */
export const PROFILE_FILE = 'profile.json';

/** The timed parts of a training run, in table order. */
export const PROFILE_PARTS = [
  'setup', 'data', 'copy', 'forward', 'backward', 'allReduce', 'clip', 'optimizer', 'graphStep', 'graphCapture', 'logging',
  'evaluation', 'checkpoint',
] as const;
export type ProfilePart = (typeof PROFILE_PARTS)[number];

const PART_LABELS: Record<ProfilePart | 'firstShapes' | 'untimed', string> = {
  setup: 'setup (optimizer, resume)',
  data: 'data and collate',
  copy: 'host→device copies',
  forward: 'forward',
  backward: 'backward',
  allReduce: 'gradient all-reduce (ranks)',
  clip: 'gradient clipping',
  optimizer: 'optimizer step',
  graphStep: 'captured step (graph replays)',
  graphCapture: 'CUDA graph captures',
  logging: 'logging and syncs',
  evaluation: 'evaluation',
  checkpoint: 'checkpoints and best model',
  firstShapes: 'extra cost of first-seen shapes',
  untimed: 'untimed',
};

/** Parts of one optimizer step: a first-seen shape's extra cost is taken out of these. */
const STEP_PARTS: readonly ProfilePart[] = ['copy', 'forward', 'backward', 'allReduce', 'clip', 'optimizer', 'graphStep'];

export interface ProfileRow {
  part: ProfilePart | 'firstShapes' | 'untimed';
  label: string;
  seconds: number;
  count: number;
  /** seconds ÷ wall seconds. */
  share: number;
}

export interface EpochShapes {
  epoch: number;
  batches: number;
  /** Distinct [B, T] batch shapes in the epoch. */
  distinctShapes: number;
  realTokens: number;
  /** Padding tokens in all (B × T − real tokens). */
  paddingTokens: number;
  /** Of those, what rounding T up to --pad-to-multiple-of added beyond the longest row of each batch. */
  bucketPaddingTokens: number;
  /** Batches that ran on their real tokens only (--unpad), and the padding tokens they left out. */
  unpaddedBatches: number;
  unpaddedPaddingTokens: number;
}

/** What `--profile` stores with the run (profile.json in the output folder) and prints. */
export interface TrainingProfile {
  device: ComputeDevice;
  wallSeconds: number;
  /** Share of the wall time the named parts cover (everything but `untimed`). */
  coverage: number;
  /** Share of the wall time spent in the step itself (copies, forward, backward, clip, optimizer). */
  stepShare: number;
  steps: number;
  rows: ProfileRow[];
  /** Each first-seen shape's extra seconds, in the order seen: is it the process's first step or every new shape? */
  firstShapes: { shape: string; extraSeconds: number }[];
  epochs: EpochShapes[];
}

/** Per optimizer step: its shape key, its seconds per step part, its padded tokens. */
interface StepRecord {
  shape: string;
  firstSeen: boolean;
  tokens: number;
  seconds: Partial<Record<ProfilePart, number>>;
}

export interface Profiler {
  readonly enabled: boolean;
  /** Runs `fn` as `part` (nested calls are charged to the outer part only). */
  time<T>(part: ProfilePart, fn: () => T): T;
  timeAsync<T>(part: ProfilePart, fn: () => Promise<T>): Promise<T>;
  /** The batches of an epoch, as the trainer received them, and the --unpad threshold they ran under. */
  epochBatches(epoch: number, batches: readonly Batch[], unpadMinPadding?: number | null): void;
  /** Marks the end of an optimizer step whose micro-batches were `batches`. */
  endStep(batches: readonly Batch[]): void;
  finish(): TrainingProfile | null;
}

/** The profiler the trainer uses when --profile is off: no timing, no syncs. */
export const NO_PROFILER: Profiler = {
  enabled: false,
  time: (_part, fn) => fn(),
  timeAsync: (_part, fn) => fn(),
  epochBatches: () => {},
  endStep: () => {},
  finish: () => null,
};

export function createProfiler(enabled: boolean, device: ComputeDevice, now: () => number = () => performance.now()): Profiler {
  return enabled ? new WallClockProfiler(device, now) : NO_PROFILER;
}

class WallClockProfiler implements Profiler {
  readonly enabled = true;
  readonly #startedAt: number;
  readonly #seconds = new Map<ProfilePart, number>();
  readonly #counts = new Map<ProfilePart, number>();
  readonly #steps: StepRecord[] = [];
  readonly #seenShapes = new Set<string>();
  readonly #epochs: EpochShapes[] = [];
  #current: Partial<Record<ProfilePart, number>> = {};
  #depth = 0;

  constructor(private readonly device: ComputeDevice, private readonly now: () => number) {
    this.sync();
    this.#startedAt = now();
  }

  time<T>(part: ProfilePart, fn: () => T): T {
    if (this.#depth > 0) return fn();
    const start = this.now();
    this.#depth += 1;
    try {
      return fn();
    } finally {
      this.#depth -= 1;
      this.sync();
      this.add(part, (this.now() - start) / 1000);
    }
  }

  async timeAsync<T>(part: ProfilePart, fn: () => Promise<T>): Promise<T> {
    if (this.#depth > 0) return fn();
    const start = this.now();
    this.#depth += 1;
    try {
      return await fn();
    } finally {
      this.#depth -= 1;
      this.sync();
      this.add(part, (this.now() - start) / 1000);
    }
  }

  epochBatches(epoch: number, batches: readonly Batch[], unpadMinPadding?: number | null): void {
    this.#epochs.push(epochShapes(epoch, batches, unpadMinPadding));
  }

  endStep(batches: readonly Batch[]): void {
    const shape = batches.map((batch) => batch.size.join('x')).join('+');
    const firstSeen = !this.#seenShapes.has(shape);
    this.#seenShapes.add(shape);
    const tokens = batches.reduce((sum, batch) => sum + batch.size[0] * batch.size[1], 0);
    this.#steps.push({ shape, firstSeen, tokens, seconds: this.#current });
    this.#current = {};
  }

  finish(): TrainingProfile {
    this.sync();
    const wallSeconds = (this.now() - this.#startedAt) / 1000;
    const seconds = new Map(this.#seconds);
    const { extra, firstSeenSteps, perShape } = this.firstShapeExtra(seconds);
    const row = (part: ProfileRow['part'], s: number, count: number): ProfileRow =>
      ({ part, label: PART_LABELS[part], seconds: s, count, share: wallSeconds > 0 ? s / wallSeconds : 0 });
    const rows = PROFILE_PARTS.map((part) => row(part, seconds.get(part) ?? 0, this.#counts.get(part) ?? 0));
    rows.push(row('firstShapes', extra, firstSeenSteps));
    const covered = rows.reduce((sum, r) => sum + r.seconds, 0);
    rows.push(row('untimed', Math.max(0, wallSeconds - covered), 0));
    const stepSeconds = STEP_PARTS.reduce((sum, part) => sum + (seconds.get(part) ?? 0), 0) + extra;
    return {
      device: this.device, wallSeconds, steps: this.#steps.length, rows, firstShapes: perShape, epochs: this.#epochs,
      coverage: wallSeconds > 0 ? Math.min(1, covered / wallSeconds) : 1,
      stepShare: wallSeconds > 0 ? stepSeconds / wallSeconds : 0,
    };
  }

  /**
   * The extra cost of first-seen shapes: a step whose shape (its micro-batches' [B, T]) is new costs what it costs
   * minus what its padded tokens cost at the median per-token time of steps with already-seen shapes. That extra is
   * taken out of the step parts (in proportion), so the rows stay disjoint. Without repeated shapes it is unknown: 0.
   */
  private firstShapeExtra(seconds: Map<ProfilePart, number>): { extra: number; firstSeenSteps: number; perShape: TrainingProfile['firstShapes'] } {
    const stepTime = (step: StepRecord) => STEP_PARTS.reduce((sum, part) => sum + (step.seconds[part] ?? 0), 0);
    const repeated = this.#steps.filter((step) => !step.firstSeen && step.tokens > 0).map((step) => stepTime(step) / step.tokens);
    const firstSeen = this.#steps.filter((step) => step.firstSeen);
    if (repeated.length === 0) return { extra: 0, firstSeenSteps: firstSeen.length, perShape: [] };
    const perToken = median(repeated);
    let extra = 0;
    const perShape: TrainingProfile['firstShapes'] = [];
    for (const step of firstSeen) {
      const total = stepTime(step);
      const excess = Math.max(0, total - perToken * step.tokens);
      perShape.push({ shape: step.shape, extraSeconds: excess });
      if (excess === 0 || total === 0) continue;
      for (const part of STEP_PARTS) {
        const share = (step.seconds[part] ?? 0) / total;
        seconds.set(part, (seconds.get(part) ?? 0) - excess * share);
      }
      extra += excess;
    }
    return { extra, firstSeenSteps: firstSeen.length, perShape };
  }

  private add(part: ProfilePart, s: number): void {
    this.#seconds.set(part, (this.#seconds.get(part) ?? 0) + s);
    this.#counts.set(part, (this.#counts.get(part) ?? 0) + 1);
    if (STEP_PARTS.includes(part)) this.#current[part] = (this.#current[part] ?? 0) + s;
  }

  private sync(): void {
    if (this.device === 'cuda') torch.cuda.synchronize();
  }
}

/** Distinct shapes and padding of one epoch's batches (and which of them unpad under `unpadMinPadding`). */
export function epochShapes(epoch: number, batches: readonly Batch[], unpadMinPadding?: number | null): EpochShapes {
  const shapes = new Set<string>();
  let realTokens = 0;
  let paddingTokens = 0;
  let bucketPaddingTokens = 0;
  let unpaddedBatches = 0;
  let unpaddedPaddingTokens = 0;
  for (const batch of batches) {
    const [rows, width] = batch.size;
    shapes.add(`${rows}x${width}`);
    let longest = 0;
    let batchTokens = 0;
    for (let r = 0; r < rows; r++) {
      let length = 0;
      for (let t = r * width; t < (r + 1) * width; t++) length += batch.attention_mask[t];
      batchTokens += length;
      longest = Math.max(longest, length);
    }
    realTokens += batchTokens;
    paddingTokens += rows * width;
    bucketPaddingTokens += rows * (width - longest);
    const batchPadding = rows * width - batchTokens;
    if (unpadsAtShare(batchPadding / Math.max(rows * width, 1), unpadMinPadding)) {
      unpaddedBatches += 1;
      unpaddedPaddingTokens += batchPadding;
    }
  }
  return {
    epoch, batches: batches.length, distinctShapes: shapes.size, realTokens, paddingTokens: paddingTokens - realTokens,
    bucketPaddingTokens, unpaddedBatches, unpaddedPaddingTokens,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The profile as a text table (what `tunelab train --profile` prints at the end). */
export function formatProfile(profile: TrainingProfile): string {
  const lines = [
    `profile (${profile.device}${profile.device === 'cuda' ? ', parts end with a device sync' : ''}): ` +
      `${profile.wallSeconds.toFixed(2)} s wall, ${profile.steps} steps`,
    `${'part'.padEnd(34)}${'seconds'.padStart(10)}${'share'.padStart(8)}${'count'.padStart(8)}`,
  ];
  for (const row of profile.rows) {
    lines.push(`${row.label.padEnd(34)}${row.seconds.toFixed(3).padStart(10)}${`${(row.share * 100).toFixed(1)}%`.padStart(8)}` +
      `${(row.part === 'untimed' ? '' : String(row.count)).padStart(8)}`);
  }
  lines.push(`covered by the named parts: ${(profile.coverage * 100).toFixed(1)}%; the step itself: ${(profile.stepShare * 100).toFixed(1)}%`);
  if (profile.firstShapes.length > 0) {
    lines.push(`first-seen shapes, extra seconds in the order seen: ${profile.firstShapes.map((s) => `${s.shape} ${s.extraSeconds.toFixed(3)}`).join(', ')}`);
  }
  for (const e of profile.epochs) {
    const padded = e.realTokens + e.paddingTokens;
    lines.push(`epoch ${e.epoch}: ${e.batches} batches, ${e.distinctShapes} distinct shapes, ` +
      `padding ${e.paddingTokens} of ${padded} tokens (${((e.paddingTokens / Math.max(padded, 1)) * 100).toFixed(1)}%), ` +
      `${e.bucketPaddingTokens} of them added by --pad-to-multiple-of` +
      (e.unpaddedBatches > 0 ? `; ${e.unpaddedBatches} batches ran unpadded, leaving out ${e.unpaddedPaddingTokens} padding tokens` : ''));
  }
  return lines.join('\n');
}
