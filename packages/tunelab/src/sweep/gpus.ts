// Which GPUs local trials may use: --gpus, else CUDA_VISIBLE_DEVICES, else what nvidia-smi lists, else none.
// With GPUs, each running trial holds one, given to it as CUDA_VISIBLE_DEVICES.
import { execFileSync } from 'node:child_process';

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

/** Hands out GPU ids one per trial. */
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
  take(): string | null {
    return this.free.shift() ?? null;
  }
  /** Marks a GPU busy (a re-attached trial already holds it). */
  claim(id: string): void {
    const index = this.free.indexOf(id);
    if (index >= 0) this.free.splice(index, 1);
  }
  release(id: string | null): void {
    if (id !== null && this.ids.includes(id) && !this.free.includes(id)) this.free.push(id);
  }
}
