// GLUE end to end on subsets of the real files: train a tiny model from scratch, then check metrics.json against
// metrics recomputed here from the written predictions and the dev file's own labels, and that the saved folder
// evaluates and predicts through `tunelab eval` / `tunelab predict`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GLUE, TINY, readJson, readJsonLines, runCli, tempDir, tinyModelFolder } from './helpers.js';

/** Labels of a GLUE dev TSV, read plainly (header skipped), for the first `n` examples. */
function devColumn(file: string, column: number, n: number): string[] {
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split('\n').slice(1).filter((l) => l !== '');
  return lines.slice(0, n).map((line) => { const cols = line.split('\t'); return cols[column < 0 ? cols.length + column : column]; });
}

function pearson(x: number[], y: number[]): number {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0; let sxx = 0; let syy = 0;
  x.forEach((xi, i) => { sxy += (xi - mx) * (y[i] - my); sxx += (xi - mx) ** 2; syy += (y[i] - my) ** 2; });
  return sxy / Math.sqrt(sxx * syy);
}

test('glue/mrpc: train, metrics from predictions, eval and predict on the saved model', async () => {
  const model = tinyModelFolder();
  const out = join(tempDir(), 'run');
  const dev = join(GLUE, 'MRPC/dev.tsv');
  const train = await runCli(['train', '--model', model, '--task', 'glue/mrpc', ...TINY,
    '--train-file', join(GLUE, 'MRPC/train.tsv'), '--validation-file', dev, '--max-train-samples', '160',
    '--max-eval-samples', '100', '--epochs', '1', '--batch-size', '16', '--lr', '1e-3', '--output-dir', out]);
  assert.equal(train.code, 0, train.stderr);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  for (const key of ['eval_loss', 'eval_accuracy', 'eval_f1', 'eval_combined_score', 'epoch', 'train_runtime_s', 'train_samples_per_second']) {
    assert.equal(typeof metrics[key], 'number', key);
  }
  assert.equal(metrics.epoch, 1);

  const predictions = readJsonLines(join(out, 'predictions/validation.jsonl'));
  const gold = devColumn(dev, 0, 100).map((v) => (v === '1' ? 'equivalent' : 'not_equivalent'));
  assert.deepEqual(predictions.map((p) => p.reference), gold);
  const predicted = predictions.map((p) => p.label);
  const correct = predicted.filter((p, i) => p === gold[i]).length;
  const tp = predicted.filter((p, i) => p === 'equivalent' && gold[i] === 'equivalent').length;
  const fp = predicted.filter((p, i) => p === 'equivalent' && gold[i] !== 'equivalent').length;
  const fn = predicted.filter((p, i) => p !== 'equivalent' && gold[i] === 'equivalent').length;
  assert.equal(metrics.eval_accuracy, correct / 100);
  assert.ok(Math.abs(metrics.eval_f1 - (tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn))) < 1e-12);
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'checkpoint-10/trainer_state.json']) {
    assert.ok(existsSync(join(out, file)), file);
  }
  assert.deepEqual((readJson(join(out, 'config.json')).id2label), { 0: 'not_equivalent', 1: 'equivalent' });

  const evaluated = await runCli(['eval', '--model', out, '--task', 'glue/mrpc', '--validation-file', dev,
    '--max-eval-samples', '100', '--eval-batch-size', '32', '--precision', 'fp32', '--threads', '1', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const evalMetrics = JSON.parse(evaluated.stdout.trim().split('\n').at(-1)!).metrics as Record<string, number>;
  assert.equal(evalMetrics.eval_accuracy, metrics.eval_accuracy);
  assert.ok(Math.abs(evalMetrics.eval_loss - metrics.eval_loss) < 1e-6);

  const output = join(tempDir(), 'p.jsonl');
  const predicted2 = await runCli(['predict', '--model', out, '--task', 'glue/mrpc', '--input', dev, '--output', output,
    '--precision', 'fp32', '--threads', '1']);
  assert.equal(predicted2.code, 0, predicted2.stderr);
  const lines = readJsonLines(output);
  assert.equal(lines.length, 408);
  assert.deepEqual(lines.slice(0, 100).map((l) => l.label), predicted);
  assert.ok(lines.every((l) => typeof l.score === 'number' && (l.score as number) >= 0.5 && Array.isArray(l.logits)));

  // GLUE's unlabeled test.tsv layout (index first, no Quality column), made here from the dev pairs: the same
  // predictions, without references or scores
  const testTsv = join(tempDir(), 'test.tsv');
  const devRows = readFileSync(dev, 'utf8').replace(/^\uFEFF/, '').split('\n').slice(1).filter((l) => l !== '').slice(0, 100);
  writeFileSync(testTsv, ['index\t#1 ID\t#2 ID\t#1 String\t#2 String',
    ...devRows.map((row, i) => [String(i), ...row.split('\t').slice(1)].join('\t'))].join('\n'));
  const fromTest = await runCli(['predict', '--model', out, '--task', 'glue/mrpc', '--input', testTsv, '--output',
    join(tempDir(), 't.jsonl'), '--precision', 'fp32', '--threads', '1', '--json']);
  assert.equal(fromTest.code, 0, fromTest.stderr);
  const testLines = readJsonLines(JSON.parse(fromTest.stdout.trim().split('\n').at(-1)!).output as string);
  assert.deepEqual(testLines.map((l) => l.label), predicted);
  assert.ok(testLines.every((l) => !('reference' in l)));

  const inline = await runCli(['predict', '--model', out, '--task', 'glue/mrpc', '--text', 'The cat sat on the mat.',
    '--text-pair', 'A cat was sitting on the mat.', '--precision', 'fp32', '--threads', '1', '--json']);
  assert.equal(inline.code, 0, inline.stderr);
  const record = JSON.parse(inline.stdout) as Record<string, unknown>;
  assert.equal('id' in record, false, 'an inline example has no id');
  assert.ok(['equivalent', 'not_equivalent'].includes(record.label as string));
  // without --task the model's head decides (a 2-label classifier): the same prediction, with its logits
  const headless = await runCli(['predict', '--model', out, '--text', 'The cat sat on the mat.',
    '--text-pair', 'A cat was sitting on the mat.', '--precision', 'fp32', '--threads', '1', '--json']);
  assert.equal(headless.code, 0, headless.stderr);
  const again = JSON.parse(headless.stdout) as Record<string, unknown>;
  assert.equal(again.label, record.label);
  assert.equal((again.logits as number[]).length, 2);
  assert.ok(Math.abs((again.score as number) - (record.score as number)) < 1e-6);
});

test('glue/sst2: single sentences, accuracy only', async () => {
  const out = join(tempDir(), 'run');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'glue/sst2', ...TINY,
    '--train-file', join(GLUE, 'SST-2/train.tsv'), '--validation-file', join(GLUE, 'SST-2/dev.tsv'),
    '--max-train-samples', '128', '--max-eval-samples', '64', '--max-steps', '6', '--batch-size', '16', '--output-dir', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const records = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const final = records.at(-1)!;
  assert.equal(final.type, 'result');
  const metrics = final.metrics as Record<string, number>;
  assert.deepEqual(Object.keys(metrics).filter((k) => k.startsWith('eval_')).sort(), ['eval_accuracy', 'eval_loss']);
  const gold = devColumn(join(GLUE, 'SST-2/dev.tsv'), 1, 64).map((v) => (v === '1' ? 'positive' : 'negative'));
  const predictions = readJsonLines(join(out, 'predictions/validation.jsonl'));
  assert.equal(metrics.eval_accuracy, predictions.filter((p, i) => p.label === gold[i]).length / 64);
  assert.ok(records.some((r) => r.type === 'log' && typeof (r.metrics as Record<string, number>).train_loss === 'number'));
});

test('glue/stsb: regression with Pearson and Spearman', async () => {
  const out = join(tempDir(), 'run');
  const dev = join(GLUE, 'STS-B/dev.tsv');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'glue/stsb', ...TINY,
    '--train-file', join(GLUE, 'STS-B/train.tsv'), '--validation-file', dev,
    '--max-train-samples', '128', '--max-eval-samples', '80', '--max-steps', '8', '--batch-size', '16', '--lr', '1e-3',
    '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  const predictions = readJsonLines(join(out, 'predictions/validation.jsonl'));
  const gold = devColumn(dev, -1, 80).map(Number);
  assert.deepEqual(predictions.map((p) => p.reference), gold);
  const scores = predictions.map((p) => p.score as number);
  assert.ok(Math.abs(metrics.eval_pearson - pearson(scores, gold)) < 1e-9);
  const mse = scores.reduce((s, v, i) => s + (v - gold[i]) ** 2, 0) / 80;
  assert.ok(Math.abs(metrics.eval_loss - mse) < 1e-4 * mse, `${metrics.eval_loss} vs ${mse}`);
  assert.equal(readJson(join(out, 'config.json')).problem_type, 'regression');
});
