// NER and your-own-data classification / regression end to end, on small generated files: labels are discovered
// from the training data and stored in the saved config's id2label; metrics.json matches the written predictions.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { TINY, readJson, readJsonLines, runCli, tempDir, tinyModelFolder, writeText } from './helpers.js';

const NAMES = ['alice', 'bob', 'carol', 'dave'];
const PLACES = ['paris', 'berlin', 'rome', 'oslo'];
const VERBS = ['visited', 'left', 'likes', 'saw'];

/** Sentences "alice visited paris today" with PER / LOC tags, in CoNLL columns and as JSONL. */
function nerSentences(count: number, offset: number): { tokens: string[]; tags: string[] }[] {
  return Array.from({ length: count }, (_, i) => {
    const k = i + offset;
    const tokens = [NAMES[k % 4], VERBS[(k >> 2) % 4], PLACES[(k >> 4) % 4], 'today'];
    return { tokens, tags: ['B-PER', 'O', 'B-LOC', 'O'] };
  });
}

test('ner: CoNLL training file, JSONL validation file, seqeval scores from the written tags', async () => {
  const dir = tempDir();
  const conll = writeText(dir, 'train.conll', `-DOCSTART- O\n\n${nerSentences(48, 0).map((s) =>
    s.tokens.map((t, i) => `${t} NN ${s.tags[i]}`).join('\n')).join('\n\n')}\n`);
  const valid = writeText(dir, 'valid.jsonl', `${nerSentences(16, 100).map((s) => JSON.stringify(s)).join('\n')}\n`);
  const out = join(dir, 'run');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'ner', ...TINY, '--train-file', conll,
    '--validation-file', valid, '--epochs', '2', '--batch-size', '8', '--lr', '2e-3', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  const config = readJson(join(out, 'config.json'));
  assert.deepEqual(config.id2label, { 0: 'B-LOC', 1: 'B-PER', 2: 'O' });
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  const records = readJsonLines(join(out, 'predictions/validation.jsonl'));
  // Entity-level scores: every B-X tag here is a one-token entity, so entities are (sentence, position, type).
  const entities = (key: string) => new Set(records.flatMap((r, s) => (r[key] as string[])
    .map((tag, i) => (tag.startsWith('B-') ? `${s}:${i}:${tag.slice(2)}` : null)).filter((e) => e !== null)));
  const predicted = entities('predicted_tags');
  const gold = entities('reference_tags');
  const correct = [...predicted].filter((e) => gold.has(e)).length;
  const precision = predicted.size === 0 ? 0 : correct / predicted.size;
  const recall = correct / gold.size;
  assert.equal(gold.size, 32);
  assert.ok(Math.abs(metrics.eval_precision - precision) < 1e-12);
  assert.ok(Math.abs(metrics.eval_recall - recall) < 1e-12);
  assert.ok(records.every((r) => (r.tokens as string[]).length === (r.predicted_tags as string[]).length));

  // prediction input with tokens only (one CoNLL column; JSON lines without "tags"): the same tags, no references
  const bareConll = writeText(dir, 'tokens.conll', `${nerSentences(16, 100).map((s) => s.tokens.join('\n')).join('\n\n')}\n`);
  const bareJsonl = writeText(dir, 'tokens.jsonl', `${nerSentences(16, 100).map((s) => JSON.stringify({ tokens: s.tokens })).join('\n')}\n`);
  for (const input of [bareConll, bareJsonl]) {
    const output = join(dir, `${input.endsWith('.jsonl') ? 'jsonl' : 'conll'}-predictions.jsonl`);
    const predictedRun = await runCli(['predict', '--model', out, '--task', 'ner', '--input', input, '--output', output,
      '--precision', 'fp32', '--threads', '1']);
    assert.equal(predictedRun.code, 0, predictedRun.stderr);
    const bare = readJsonLines(output);
    assert.deepEqual(bare.map((r) => r.predicted_tags), records.map((r) => r.predicted_tags), input);
    assert.ok(bare.every((r) => !('reference_tags' in r)), input);
  }
});

test('classification on CSV: labels discovered and sorted, then predictions with a model trained on them', async () => {
  const dir = tempDir();
  const rows = Array.from({ length: 96 }, (_, i) => {
    const label = ['sports', 'music', 'food'][i % 3];
    const words = { sports: 'the team won the match', music: 'the band played a song', food: 'the soup tasted great' }[label];
    return `"${words}, ""item ${i}""",${label}`;
  });
  const train = writeText(dir, 'train.csv', `sentence,topic\n${rows.slice(0, 72).join('\n')}\n`);
  const valid = writeText(dir, 'valid.csv', `sentence,topic\n${rows.slice(72).join('\n')}\n`);
  const out = join(dir, 'run');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'classification', ...TINY,
    '--train-file', train, '--validation-file', valid, '--text-column', 'sentence', '--label-column', 'topic',
    '--epochs', '4', '--batch-size', '8', '--lr', '2e-3', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readJson(join(out, 'config.json')).id2label, { 0: 'food', 1: 'music', 2: 'sports' });
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  const records = readJsonLines(join(out, 'predictions/validation.jsonl'));
  assert.equal(metrics.eval_accuracy, records.filter((r) => r.label === r.reference).length / 24);
  assert.ok(metrics.eval_accuracy > 0.5, `three easily told topics (chance 1/3), accuracy ${metrics.eval_accuracy}`);
  assert.equal(metrics.eval_f1, undefined, 'binary F1 only for two classes');

  const output = join(dir, 'predictions.jsonl');
  const predicted = await runCli(['predict', '--model', out, '--task', 'classification', '--input', valid,
    '--text-column', 'sentence', '--label-column', 'topic', '--output', output, '--precision', 'fp32', '--json']);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.deepEqual(readJsonLines(output).map((r) => r.label), records.map((r) => r.label));

  // prediction input without the label column: the same predictions, no reference, no scores
  const unlabeled = writeText(dir, 'unlabeled.csv', `sentence\n${rows.slice(72).map((row) => row.slice(0, row.lastIndexOf(','))).join('\n')}\n`);
  const bare = join(dir, 'bare.jsonl');
  const fromBare = await runCli(['predict', '--model', out, '--input', unlabeled, '--text-column', 'sentence',
    '--output', bare, '--precision', 'fp32', '--json']);
  assert.equal(fromBare.code, 0, fromBare.stderr);
  const bareRecords = readJsonLines(bare);
  assert.deepEqual(bareRecords.map((r) => r.label), records.map((r) => r.label));
  assert.ok(bareRecords.every((r) => r.reference === undefined));
});

test('regression on JSONL: one output, MSE loss, Pearson from the predictions', async () => {
  const dir = tempDir();
  const lines = Array.from({ length: 64 }, (_, i) => JSON.stringify({ text: `${'very '.repeat(i % 4)}good`, score: i % 4 }));
  const train = writeText(dir, 'train.jsonl', `${lines.slice(0, 48).join('\n')}\n`);
  const valid = writeText(dir, 'valid.jsonl', `${lines.slice(48).join('\n')}\n`);
  const out = join(dir, 'run');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', 'regression', ...TINY,
    '--train-file', train, '--validation-file', valid, '--label-column', 'score', '--epochs', '3', '--batch-size', '8',
    '--lr', '2e-3', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  const config = readJson(join(out, 'config.json'));
  assert.equal(config.problem_type, 'regression');
  assert.deepEqual(config.id2label, { 0: 'LABEL_0' });
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  const records = readJsonLines(join(out, 'predictions/validation.jsonl'));
  const mse = records.reduce((s, r) => s + ((r.score as number) - (r.reference as number)) ** 2, 0) / records.length;
  assert.ok(Math.abs(metrics.eval_mse - mse) < 1e-9);
  assert.ok(Math.abs(metrics.eval_loss - mse) < 1e-4 * Math.max(mse, 1));
});
