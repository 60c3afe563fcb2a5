// Without --train-file/--validation-file the task's Hub data set is used (nyu-mll/glue parquet here), read from the
// Python-compatible cache: this test lays out a fake cache offline, exactly as huggingface_hub would.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { TINY, readJson, readJsonLines, runCli, tempDir, tinyModelFolder } from './helpers.js';

const COMMIT = 'c'.repeat(40);

function putInCache(repoDir: string, filename: string, content: Buffer): void {
  const blob = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  writeFileSync(join(repoDir, 'blobs', blob), content);
  const pointer = join(repoDir, 'snapshots', COMMIT, filename);
  mkdirSync(dirname(pointer), { recursive: true });
  symlinkSync(relative(dirname(pointer), join(repoDir, 'blobs', blob)), pointer);
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), COMMIT);
}

function sst2Split(count: number, offset: number): Buffer {
  const good = ['a fine film', 'great acting', 'a joy to watch', 'wonderful story'];
  const bad = ['a dull film', 'awful acting', 'a chore to watch', 'boring story'];
  const sentences = Array.from({ length: count }, (_, i) => ((i + offset) % 2 ? good : bad)[(i >> 1) % 4]);
  return Buffer.from(parquetWriteBuffer({ columnData: [
    { name: 'sentence', data: sentences, type: 'STRING' },
    { name: 'label', data: sentences.map((_, i) => BigInt((i + offset) % 2)), type: 'INT64' },
    { name: 'idx', data: sentences.map((_, i) => i), type: 'INT32' },
  ] }));
}

test('glue/sst2 with no files: nyu-mll/glue from the Hub cache, offline', async () => {
  const cache = tempDir('tunelab-hf-cache-');
  const repo = join(cache, 'datasets--nyu-mll--glue');
  putInCache(repo, 'sst2/train-00000-of-00001.parquet', sst2Split(64, 0));
  putInCache(repo, 'sst2/validation-00000-of-00001.parquet', sst2Split(16, 1));
  const out = join(tempDir(), 'run');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'glue/sst2', ...TINY,
    '--max-steps', '4', '--batch-size', '16', '--output-dir', out], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
  assert.equal(result.code, 0, result.stderr);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  const records = readJsonLines(join(out, 'predictions/validation.jsonl'));
  assert.equal(records.length, 16);
  assert.deepEqual(records.map((r) => r.reference), Array.from({ length: 16 }, (_, i) => ((i + 1) % 2 ? 'positive' : 'negative')));
  assert.equal(metrics.eval_accuracy, records.filter((r) => r.label === r.reference).length / 16);

  const missing = await runCli(['train', '--model', tinyModelFolder(), '--task', 'glue/cola', ...TINY,
    '--output-dir', join(tempDir(), 'never')], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `error: nyu-mll/glue: split 'train' of 'cola' is not in the cache ${cache} and the Hub is offline\n`);
});
