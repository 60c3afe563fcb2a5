// Which GPUs local trials may use: --gpus, else CUDA_VISIBLE_DEVICES, else what nvidia-smi lists, else none.
// With GPUs, each running trial holds one per process (trial.distribution.process_count_per_instance, else one),
// given to it as CUDA_VISIBLE_DEVICES ("2" or "2,3"); a distributed trial's ranks then take one each
// (distributed/train-ranks.ts narrows the list to the rank's own entry).
import { execFileSync } from 'node:child_process';
import { InputError } from '../errors.js';

export function detectGpus(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (flag !== undefined) return splitIds(flag);
  if (env.CUDA_VISIBLE_DEVICES !== undefined) return splitIds(env.CUDA_VISIBLE_DEVICES);
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return splitIds(out.toString());
  } catch {
    return [];
  }
}

function splitIds(text: string): string[] {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter((s) => s !== '' && s !== '-1' && s.toLowerCase() !== 'none');
}

/** A sweep's trials need more GPUs each than this machine hands out: they could never start. */
export class GpuShortageError extends InputError {
  override name = 'GpuShortageError';
}

/** Hands out GPU ids to trials, a trial's ids joined by commas ("0,1", the form of CUDA_VISIBLE_DEVICES). */
export class GpuPool {
  private readonly free: string[];
  constructor(readonly ids: readonly string[]) {
    this.free = [...ids];
  }
  get size(): number {
    return this.ids.length;
  }
  get available(): number {
    return this.free.length;
  }
  /** `count` free GPUs as "a,b", or null (nothing taken) when fewer are free. */
  take(count = 1): string | null {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`GpuPool.take: count must be an integer ≥ 1, got ${count}`);
    if (this.free.length < count) return null;
    return this.free.splice(0, count).join(',');
  }
  /** Marks GPUs busy ("0" or "0,1": a re-attached trial already holds them). */
  claim(ids: string): void {
    for (const id of splitList(ids)) {
      const index = this.free.indexOf(id);
      if (index >= 0) this.free.splice(index, 1);
    }
  }
  /** Gives back what take() or claim() handed out; ids not of this pool, or already free, are ignored. */
  release(ids: string | null): void {
    for (const id of ids === null ? [] : splitList(ids)) {
      if (this.ids.includes(id) && !this.free.includes(id)) this.free.push(id);
    }
  }
  /** Throws GpuShortageError when GPUs exist but fewer than a trial of `perTrial` processes needs. */
  checkFits(perTrial: number, where: string): void {
    if (this.size === 0 || perTrial <= this.size) return;
    throw new GpuShortageError(`${where}: trial.distribution.process_count_per_instance is ${perTrial} but only ` +
      `${this.size} GPU${this.size === 1 ? '' : 's'} (${this.ids.join(',')}) can be handed out; each process needs its own (give more with --gpus, or lower it)`);
  }
}

function splitList(ids: string): string[] {
  return ids.split(',').map((id) => id.trim()).filter((id) => id !== '');
}
