// `tunelab doctor --json`: reports the build and passes its self-checks on this machine's devices.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

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
});
