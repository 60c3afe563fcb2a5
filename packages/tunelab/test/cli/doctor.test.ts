// `tunelab doctor --json`: reports the build and passes its self-checks on this machine's devices.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { cpuFeatures } from '../../src/train/precision.js';

const repoRoot = resolve(import.meta.dirname, '../../../..');

describe('tunelab doctor', () => {
  it('prints the libtorch build and passes the self-check on every device', () => {
    const run = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', 'packages/tunelab/src/cli/main.ts', 'doctor', '--json'],
      { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { ok: boolean; build: { libtorch: string }; devices: string[]; checks: { name: string; ok: boolean }[] };
    assert.equal(report.ok, true);
    assert.match(report.build.libtorch, /^\d+\.\d+\.\d+/);
    assert.equal(report.devices[0], 'cpu');
    assert.equal(report.checks.length, 3 * report.devices.length);
    assert.ok(report.checks.every((c) => c.ok));
  });

  it('reports the threads training uses and the CPU\'s bf16 extensions read from /proc/cpuinfo', () => {
    const run = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', 'packages/tunelab/src/cli/main.ts', 'doctor'],
      { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    // train/eval/predict set every core unless --threads says otherwise (libtorch's own default may be lower)
    assert.match(run.stdout, new RegExp(`train/eval/predict use ${availableParallelism()} threads`));
    const features = cpuFeatures();
    if (features?.avx512Bf16) assert.match(run.stdout, /^CPU flags {2}.*AVX512-BF16/m);
    if (features?.amxBf16) assert.match(run.stdout, /^CPU flags {2}.*AMX-BF16/m);
  });

  it('reads AVX512-BF16 and AMX from a cpuinfo flags line', () => {
    const cpuinfo = 'processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile\nbugs\t\t: \n';
    assert.deepEqual(cpuFeatures(cpuinfo), { avx2: true, avx512: true, avx512Bf16: true, amxBf16: true });
    assert.deepEqual(cpuFeatures('flags\t: fpu sse2 avx2\n'), { avx2: true, avx512: false, avx512Bf16: false, amxBf16: false });
    assert.equal(cpuFeatures('processor: 0\n'), null);
  });
});
