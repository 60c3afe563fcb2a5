// T11 item 2 / T10 item 11: a run killed with SIGKILL and continued with --resume is ONE tracked run. The killed
// process left it `running` with points up to the step it died at; the resumed process replays the steps after its
// checkpoint, and the store keeps every step of every series exactly once. Also: the run's model files went into
// the store by hard link, not by copy.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GLUE, finished, runCli, startCli, tempDir, tinyModelFolder } from './helpers.js';
import { openStore } from '../../src/track/store.js';

const model = tinyModelFolder();
const args = (out: string, store: string) => ['train', '--model', model, '--task', 'glue/mrpc', '--from-scratch', '--threads', '1',
  '--store', store, '--experiment', 'resume-tracking', '--train-file', join(GLUE, 'MRPC/train.tsv'), '--validation-file', join(GLUE, 'MRPC/dev.tsv'),
  '--max-train-samples', '1280', '--max-eval-samples', '16', '--epochs', '2', '--batch-size', '8', '--lr', '5e-4',
  '--save-every', '10', '--eval-every', '10', '--log-every', '1', '--json', '--output-dir', out];
// Long enough that the kill lands mid-run: the tracker flushes every second, and a step of this model takes
// milliseconds (80 steps could all finish before the first flush).
const STEPS = 320;

test('--resume of a SIGKILLed run continues the same tracked run, appending after its last stored step', async () => {
  const home = tempDir();
  const storeUrl = join(home, 'tunelab.db');
  const out = join(home, 'out');
  const child = startCli(args(out, storeUrl));
  const exited = finished(child);
  const store = await openStore(storeUrl);
  try {
    // SIGKILL once the tracker has flushed some points and a checkpoint exists (it flushes every second).
    const lastStored = async () => (await store.getMetricSummaries((await store.listRuns({ experiment: 'resume-tracking' })).map((r) => r.id)))
      .find((s) => s.name === 'train_loss')?.lastStep ?? 0;
    while (child.exitCode === null && (await lastStored()) < 12) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    const first = await exited;
    assert.equal(first.signal, 'SIGKILL', `killed before the end: ${first.stderr}`);
    const [killed] = await store.listRuns({ experiment: 'resume-tracking' });
    assert.equal(killed.status, 'running', 'SIGKILL left the run running (shown as lost once unseen long enough)');
    const before = await lastStored();
    assert.ok(before >= 12 && before < STEPS, `points up to the kill were stored (last step ${before})`);

    const resumed = await runCli([...args(out, storeUrl), '--resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const runs = await store.listRuns({ experiment: 'resume-tracking' });
    assert.deepEqual(runs.map((r) => [r.id, r.status]), [[killed.id, 'completed']], 'one run, continued and completed');
    for (const series of await store.getMetrics(killed.id)) {
      if (series.name === 'epoch') continue; // reported with every log entry: a training and an evaluation entry share a step
      const steps = series.points.map((p) => p.step);
      assert.equal(new Set(steps).size, steps.length, `${series.name}: no step twice (${steps.join(',')})`);
    }
    const [loss] = await store.getMetrics(killed.id, ['train_loss']);
    assert.deepEqual(loss.points.map((p) => p.step), Array.from({ length: STEPS }, (_, i) => i + 1), 'every training step once');

    const weights = (await store.listArtifacts(killed.id)).find((a) => a.name === 'output/model.safetensors')!;
    assert.equal(statSync(weights.path).ino, statSync(join(out, 'model.safetensors')).ino, 'the model is hard-linked, not copied');
  } finally {
    await store.close();
  }
});
