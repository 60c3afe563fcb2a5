// `tunelab export` with bad input: one line on stderr naming the flag and the path, exit code 2, nothing written.
// A good export through the real command (a child process) prints what it wrote.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoModelForSequenceClassification } from '../../src/models/auto.js';
import { runCli } from '../e2e/helpers.js';
import { tempDir, TINY_BERT, tinyModelFolder } from '../export/helpers.js';
import { tunelab } from './harness.js';

const SEQCLS = join(TINY_BERT, 'seqcls');

/** A model folder whose config.json is `text`. */
function folderWithConfig(text: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'config.json'), text);
  return dir;
}

describe('tunelab export: bad input', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a missing model folder', () => ['--model', '/nonexistent/model'], /^error: --model \/nonexistent\/model: no such folder$/],
    ['a file as the model folder', () => ['--model', join(SEQCLS, 'config.json')], /--model .*config\.json: no such folder/],
    ['a folder without config.json', () => ['--model', TINY_BERT], /--model .*tiny-bert: no config\.json in /],
    ['config.json that is not JSON', () => ['--model', folderWithConfig('{ "model_type": ')], /config\.json: not valid JSON/],
    ['architectures that is not a list', () => ['--model', folderWithConfig('{"model_type":"bert","architectures":"BertModel"}')],
      /config\.json: architectures must be a list of class names/],
    ['an architecture with no ONNX export', () => ['--model', folderWithConfig('{"model_type":"bert","architectures":["BertForMultipleChoice"]}')],
      /architecture BertForMultipleChoice has no ONNX export/],
    ['an unsupported model_type', () => ['--model', folderWithConfig('{"model_type":"gpt2","architectures":["GPT2Model"]}')],
      /Unsupported model type 'gpt2'/],
    ['an unknown --format', () => ['--model', SEQCLS, '--format', 'tflite'], /^error: --format tflite: unknown export format \(supported: onnx\)$/],
    ['an unknown --quantize', () => ['--model', SEQCLS, '--quantize', 'int4'], /^error: --quantize int4: unknown quantization \(supported: int8\)$/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const parent = tempDir();
      const out = join(parent, 'exported');
      const result = await tunelab(['export', ...args(), '--output', out]);
      assert.equal(result.exitCode, 2, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr.trim(), message);
      assert.deepEqual(readdirSync(parent), [], 'nothing written');
    });
  }

  test('an --output that is a non-empty folder or a file', async () => {
    const occupied = tempDir();
    mkdirSync(join(occupied, 'onnx'));
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    for (const out of [occupied, file]) {
      const result = await tunelab(['export', '--model', SEQCLS, '--output', out]);
      assert.equal(result.exitCode, 2);
      assert.match(result.stderr, /^error: --output .*: already exists and is not an empty folder\n$/);
    }
    assert.deepEqual(readdirSync(occupied), ['onnx']);
  });

  test('missing --model or --output', async () => {
    for (const args of [['--output', join(tempDir(), 'x')], ['--model', SEQCLS]]) {
      const result = await tunelab(['export', ...args]);
      assert.equal(result.exitCode, 2);
      assert.match(result.stderr, /required option '--(model|output) <folder>' not specified/);
    }
  });
});

test('tunelab export --quantize int8 --json: the files it wrote, in the transformers.js layout', async () => {
  const out = join(tempDir(), 'exported');
  const result = await runCli(['export', '--model', tinyModelFolder(AutoModelForSequenceClassification, 'distilbert'),
    '--output', out, '--quantize', 'int8', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const printed = JSON.parse(result.stdout) as { type: string; architecture: string; files: { path: string; bytes: number }[] };
  assert.equal(printed.type, 'result');
  assert.equal(printed.architecture, 'DistilBertForSequenceClassification');
  assert.deepEqual(printed.files.map((file) => file.path), ['config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx']);
  for (const file of printed.files) assert.ok(existsSync(join(out, file.path)) && file.bytes > 0);
});
