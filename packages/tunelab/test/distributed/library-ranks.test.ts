// The library trains on several ranks without the CLI: fineTuneOnRanks (distributed/train-ranks.ts) launches two
// ranks of the calling program, which train data-parallel; rank 0 alone writes the output folder and reports.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from 'tunelab/distributed/launcher';
import { GLUE, REPO, finished, tempDir, tinyModelFolder } from '../e2e/helpers.js';

test('fineTuneOnRanks from a program: 2 ranks train, rank 0 writes and reports once', { timeout: 180_000 }, async () => {
  const out = join(tempDir(), 'out');
  const script = join(REPO, 'packages/tunelab/test/distributed/fixtures/library-ranks.ts');
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', script,
    tinyModelFolder(), join(GLUE, 'MRPC/train.tsv'), out, String(await freePort())], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  const results = result.stdout.split('\n').filter((line) => line.includes('"type":"result"'));
  assert.equal(results.length, 1, result.stdout);
  assert.equal((JSON.parse(results[0]) as { outputDir: string }).outputDir, out);
  assert.ok(existsSync(join(out, 'model.safetensors')));
});
