// `tunelab demo` (README command 1), shortened to one epoch over a small corpus: it writes its corpus, tokenizer and model config, trains
// through the same path as `tunelab train`, and reports metrics, the output folder and the tracked run.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/track/store.js';
import { readJson, runCli, tempDir } from '../e2e/helpers.js';

test('tunelab demo (a 400-pair corpus, one epoch): corpus → tokenizer → BERT from config → fine-tuned, evaluated, tracked', async () => {
  const dir = join(tempDir(), 'demo');
  const home = tempDir('tunelab-demo-home-');
  const result = await runCli(['demo', '--dir', dir, '--epochs', '1', '--train-size', '400', '--json'], { TUNELAB_HOME: home });
  assert.equal(result.code, 0, result.stderr);
  const records = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const final = records.find((r) => r.type === 'result')!;
  assert.equal(final.outputDir, join(dir, 'output'));
  const metrics = final.metrics as Record<string, number>;
  assert.deepEqual(metrics, readJson(join(dir, 'output', 'metrics.json')));
  assert.ok(metrics.eval_accuracy >= 0 && metrics.eval_accuracy <= 1);
  for (const file of ['data/train.tsv', 'data/dev.tsv', 'data/tokenizer/vocab.txt', 'model-config/config.json', 'output/model.safetensors']) {
    assert.ok(existsSync(join(dir, file)), file);
  }
  const store = await openStore(join(home, 'tunelab.db'));
  try {
    const [run] = await store.listRuns();
    assert.equal(run.status, 'completed');
    assert.match(final.trackedAs as string, new RegExp(`^run ${run.id} \\(experiment demo\\)`));
  } finally {
    await store.close();
  }
});
