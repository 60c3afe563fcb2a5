// What libtorch this addon runs on: versions, BLAS, threads, devices.
import { readFileSync } from 'node:fs';
import { native } from './native.js';

export interface BuildInfo {
  libtorch: string;
  /** CUDA runtime version, e.g. '12.4' (null without CUDA). */
  cuda: string | null;
  cudnn: string | null;
  blas: string;
  threads: number;
  interopThreads: number;
  /** bfloat16 tensors and CPU autocast work (always, on libtorch >= 1.10). */
  bf16Cpu: boolean;
  /** The CPU has native bf16 instructions (avx512_bf16 or AMX): bf16 matmuls are fast, not emulated. */
  bf16CpuNative: boolean;
  cpuCapability: string | null;
  mkldnn: boolean;
  openmp: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cxx11Abi: boolean;
  /** libtorch's fused AdamW kernel for CUDA (>= 2.1); on the CPU AdamW(fused) always works (optim.ts). */
  fusedAdamW: boolean;
  /** F.scaledDotProductAttention uses libtorch's kernels (>= 2.0) rather than the explicit fallback. */
  nativeSdpa: boolean;
  /** Where the loaded libtorch_cpu shared library lives (null when unknown). */
  libraryPath: string | null;
  /** libtorch's full build configuration (torch.__config__.show()). */
  config: string;
}

export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}

function configValue(config: string, key: string): string | null {
  const match = new RegExp(`${key}=([^,\\n]*)`).exec(config);
  return match ? match[1].trim() : null;
}

function cudaVersionString(v: number | null): string | null {
  if (v === null || v <= 0) return null;
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

function cudnnVersionString(v: number | null): string | null {
  if (v === null || v <= 0) return null;
  // cuDNN >= 9 encodes major*10000 + minor*100 + patch; cuDNN 8 major*1000 + minor*100 + patch.
  const [major, rest] = v >= 90000 ? [Math.floor(v / 10000), v % 10000] : [Math.floor(v / 1000), v % 1000];
  return `${major}.${Math.floor(rest / 100)}.${rest % 100}`;
}

function cpuHasNativeBf16(): boolean {
  try {
    return /\b(avx512_bf16|amx_bf16)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

function loadedLibraryPath(): string | null {
  try {
    const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => /libtorch_cpu\.so/.test(l));
    return line ? line.slice(line.indexOf('/')) : null;
  } catch {
    return null;
  }
}

export function buildInfo(): BuildInfo {
  const raw = native.buildInfo();
  const [major, minor] = raw.libtorch.split('.').map(Number);
  const capability = /CPU capability usage: (\S+)/.exec(raw.config);
  return {
    libtorch: raw.libtorch,
    cuda: cudaVersionString(raw.cudaVersion),
    cudnn: cudnnVersionString(raw.cudnnVersion),
    blas: configValue(raw.config, 'BLAS_INFO') ?? (raw.mkl ? 'mkl' : 'unknown'),
    threads: raw.threads,
    interopThreads: raw.interopThreads,
    bf16Cpu: major > 1 || minor >= 10,
    bf16CpuNative: cpuHasNativeBf16(),
    cpuCapability: capability ? capability[1] : null,
    mkldnn: raw.mkldnn,
    openmp: raw.openmp,
    cudaAvailable: raw.cudaAvailable && native.cudaIsAvailable(),
    cudaDeviceCount: native.cudaIsAvailable() ? native.cudaDeviceCount() : 0,
    cxx11Abi: raw.cxx11Abi,
    fusedAdamW: native.hasFusedAdamW('cuda'),
    nativeSdpa: major >= 2,
    libraryPath: loadedLibraryPath(),
    config: raw.config,
  };
}
