// `tunelab doctor`: what libtorch this install computes with (versions, BLAS, threads, devices), the CPU's bf16
// extensions, and a small forward/backward self-check on every device against values computed here in float64.
// Exit 1 if anything fails.
import type { Command } from 'commander';
import * as torch from '@tunelab/torch';
import { F, optim, type Device } from '@tunelab/torch';
import { computeThreads, cpuFeatures, type CpuFeatures } from '../train/precision.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Show the libtorch build and devices, and self-check forward/backward on each device')
    .option('--json', 'print one JSON object instead of text')
    .action((options: { json?: boolean }) => {
      const info = torch.buildInfo();
      const devices: Device[] = ['cpu', ...Array.from({ length: info.cudaDeviceCount }, (_, i) => `cuda:${i}` as Device)];
      const checks = devices.flatMap((device) => selfCheck(device));
      const ok = checks.every((c) => c.ok);
      const cpu = { trainingThreads: computeThreads(), features: cpuFeatures() };
      if (options.json) {
        const { config: _config, ...rest } = info;
        process.stdout.write(`${JSON.stringify({ ok, build: rest, cpu, devices, checks })}\n`);
      } else {
        process.stdout.write(`${describeBuild(info, devices, cpu)}\n${checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`).join('\n')}\n`);
        process.stdout.write(ok ? 'all checks passed\n' : 'some checks FAILED\n');
      }
      process.exitCode = ok ? 0 : 1;
    });
}

/** `AVX512-BF16, AMX-BF16` — the widest extensions the CPU has, from /proc/cpuinfo. */
function describeFeatures(features: CpuFeatures | null): string {
  if (!features) return 'unknown (no /proc/cpuinfo)';
  const names = [[features.amxBf16, 'AMX-BF16'], [features.avx512Bf16, 'AVX512-BF16'], [features.avx512, 'AVX-512'], [features.avx2, 'AVX2']]
    .filter(([has]) => has).map(([, name]) => name);
  return names.length > 0 ? names.join(', ') : 'none of AVX2, AVX-512, AVX512-BF16, AMX';
}

function describeBuild(info: torch.BuildInfo, devices: Device[], cpu: { trainingThreads: number; features: CpuFeatures | null }): string {
  return [
    `libtorch   ${info.libtorch}${info.libraryPath ? ` (${info.libraryPath})` : ''}, C++11 ABI ${info.cxx11Abi ? 'on' : 'off'}`,
    `CPU        BLAS ${info.blas}, train/eval/predict use ${cpu.trainingThreads} threads (--threads; libtorch default here ${info.threads}, ` +
      `${info.interopThreads} inter-op), libtorch kernels ${info.cpuCapability ?? 'unknown'}, ` +
      `MKL-DNN ${info.mkldnn ? 'yes' : 'no'}, OpenMP ${info.openmp ? 'yes' : 'no'}`,
    `CPU flags  ${describeFeatures(cpu.features)}`,
    `bfloat16   CPU ${info.bf16Cpu ? (info.bf16CpuNative ? 'supported, native instructions' : 'supported, emulated (slow)') : 'unsupported'}`,
    `CUDA       ${info.cudaAvailable ? `${info.cuda ?? '?'} (cuDNN ${info.cudnn ?? 'none'}), ${info.cudaDeviceCount} device(s)` : 'not available'}`,
    `kernels    attention ${info.nativeSdpa ? 'native scaled_dot_product_attention' : 'explicit fallback (libtorch < 2.0)'}, ` +
      `AdamW fused (CPU${info.fusedAdamW ? ' and CUDA' : '; no CUDA fused kernel before libtorch 2.1'})`,
    `devices    ${devices.join(', ')}`,
  ].join('\n');
}

/** Largest |a - b| / max(1, |b|). */
function relError(actual: number[], expected: number[]): number {
  return Math.max(...actual.map((a, i) => Math.abs(a - expected[i]) / Math.max(1, Math.abs(expected[i]))));
}

function check(name: string, run: () => { error: number; tolerance: number }): Check {
  try {
    const { error, tolerance } = run();
    return { name, ok: error <= tolerance, detail: `max relative error ${error.toExponential(1)} (tolerance ${tolerance.toExponential(0)})` };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message };
  }
}

/** y = sum(tanh(x Wᵀ + b)): value and gradients against a float64 computation in JS. */
function referenceLayer(x: number[][], w: number[][], b: number[]) {
  const pre = x.map((row) => w.map((wr, o) => b[o] + wr.reduce((s, wv, k) => s + wv * row[k], 0)));
  const loss = pre.flat().reduce((s, v) => s + Math.tanh(v), 0);
  const dpre = pre.map((row) => row.map((v) => 1 - Math.tanh(v) ** 2));
  const dw = w.map((wr, o) => wr.map((_, k) => x.reduce((s, row, i) => s + dpre[i][o] * row[k], 0)));
  const db = b.map((_, o) => dpre.reduce((s, row) => s + row[o], 0));
  return { loss, dw: dw.flat(), db };
}

function selfCheck(device: Device): Check[] {
  const x = [[0.5, -1, 2], [1.5, 0.25, -0.75]];
  const w = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]];
  const b = [0.05, -0.1];
  const expected = referenceLayer(x, w, b);
  return torch.scope(() => [
    check(`${device} forward/backward float32`, () => {
      const tw = torch.tensor(w, { dtype: 'float32', device, requiresGrad: true });
      const tb = torch.tensor(b, { dtype: 'float32', device, requiresGrad: true });
      const loss = F.linear(torch.tensor(x, { dtype: 'float32', device }), tw, tb).tanh().sum();
      loss.backward();
      const error = Math.max(relError([loss.item()], [expected.loss]), relError(tw.grad!.toArray(), expected.dw), relError(tb.grad!.toArray(), expected.db));
      return { error, tolerance: 1e-5 };
    }),
    check(`${device} softmax/cross-entropy + AdamW step`, () => {
      const logits = torch.tensor([[2, 0.5, -1]], { dtype: 'float32', device, requiresGrad: true });
      F.crossEntropy(logits, torch.tensor([0], { device })).backward();
      const soft = [2, 0.5, -1].map(Math.exp);
      const z = soft.reduce((s, v) => s + v);
      const gradError = relError(logits.grad!.toArray(), soft.map((v, i) => v / z - (i === 0 ? 1 : 0)));
      new optim.AdamW([logits], { lr: 0.1, weightDecay: 0 }).step(); // first AdamW step moves each weight by lr·sign(grad)
      const stepError = relError(logits.toArray(), [2 + 0.1, 0.5 - 0.1, -1 - 0.1]);
      return { error: Math.max(gradError, stepError), tolerance: 1e-5 };
    }),
    check(`${device} matmul under autocast (${device === 'cpu' ? 'bfloat16' : 'float16'})`, () => {
      const dtype = device === 'cpu' ? 'bfloat16' : 'float16';
      const out = torch.autocast({ device: device === 'cpu' ? 'cpu' : 'cuda', dtype }, () =>
        torch.tensor(x, { dtype: 'float32', device }).matmul(torch.tensor(w, { dtype: 'float32', device }).t()));
      if (out.dtype !== dtype) throw new Error(`autocast produced ${out.dtype}, expected ${dtype}`);
      const exact = x.flatMap((row) => w.map((wr) => wr.reduce((s, wv, k) => s + wv * row[k], 0)));
      return { error: relError(out.float().toArray(), exact), tolerance: 1e-2 };
    }),
  ]);
}
