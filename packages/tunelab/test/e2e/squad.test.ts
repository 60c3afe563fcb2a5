// SQuAD v1.1 / v2.0 end to end on the shared samples: a tiny model trained a few steps from scratch (its answers are
// poor; what is checked is the pipeline): metrics.json against EM/F1 recomputed here with the official script's
// normalisation from predictions/validation.jsonl, and answer spans that point at their text in the context.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SQUAD, TINY, readJson, readJsonLines, runCli, tempDir, tinyModelFolder } from './helpers.js';

interface Question { id: string; context: string; answers: string[] }

function questions(file: string): Question[] {
  const root = JSON.parse(readFileSync(file, 'utf8')) as {
    data: { paragraphs: { context: string; qas: { id: string; answers: { text: string }[] }[] }[] }[];
  };
  return root.data.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((qa) => ({
    id: qa.id, context: p.context, answers: qa.answers.map((x) => x.text),
  }))));
}

// evaluate-v2.0.py's normalize_answer and compute_f1, written out independently of metrics/squad.ts.
function normalize(text: string): string {
  return text.toLowerCase().replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '').replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/).filter((t) => t !== '').join(' ');
}
function f1(prediction: string, gold: string): number {
  const p = normalize(prediction).split(' ').filter(Boolean);
  const g = normalize(gold).split(' ').filter(Boolean);
  if (p.length === 0 || g.length === 0) return p.length === g.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) if ((counts.get(t) ?? 0) > 0) { common++; counts.set(t, counts.get(t)! - 1); }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / g.length;
  return (2 * precision * recall) / (precision + recall);
}

async function trainSquad(task: 'squad' | 'squad_v2', file: string, evalCount: number) {
  const out = join(tempDir(), 'run');
  const result = await runCli(['train', '--model', tinyModelFolder(), '--task', task, ...TINY,
    '--train-file', file, '--validation-file', file, '--max-train-samples', '48', '--max-eval-samples', String(evalCount),
    '--max-seq-length', '128', '--doc-stride', '48', '--max-steps', '6', '--batch-size', '16', '--lr', '1e-3',
    '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  return out;
}

function checkSpans(records: Record<string, unknown>[], byId: Map<string, Question>): void {
  for (const record of records) {
    const { context } = byId.get(record.id as string)!;
    if (record.answer_start === null) { assert.ok(['', 'empty'].includes(record.prediction_text as string)); continue; }
    const chars = [...context]; // offsets count code points
    assert.equal(chars.slice(record.answer_start as number, record.answer_end as number).join(''), record.prediction_text);
    assert.ok((record.score as number) > 0 && (record.score as number) <= 1);
  }
}

test('squad (v1.1): exact match and F1 as the official script computes them; spans point at the answer', async () => {
  const file = join(SQUAD, 'sample-v1.1.json');
  const out = await trainSquad('squad', file, 40);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  const records = readJsonLines(join(out, 'predictions/validation.jsonl'));
  const byId = new Map(questions(file).map((q) => [q.id, q]));
  assert.equal(records.length, 40);
  let em = 0;
  let f1Sum = 0;
  for (const record of records) {
    const gold = byId.get(record.id as string)!.answers;
    assert.deepEqual(record.references, gold);
    em += Math.max(...gold.map((g) => (normalize(record.prediction_text as string) === normalize(g) ? 1 : 0)));
    f1Sum += Math.max(...gold.map((g) => f1(record.prediction_text as string, g)));
  }
  assert.ok(Math.abs(metrics.eval_exact_match - (100 * em) / 40) < 1e-9);
  assert.ok(Math.abs(metrics.eval_f1 - (100 * f1Sum) / 40) < 1e-9);
  assert.equal(typeof metrics.eval_loss, 'number');
  checkSpans(records, byId);
});

test('squad_v2: unanswerable questions, HasAns/NoAns breakdown; --task squad refuses v2 data', async () => {
  const file = join(SQUAD, 'sample-v2.0.json');
  const out = await trainSquad('squad_v2', file, 60);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  const records = readJsonLines(join(out, 'predictions/validation.jsonl'));
  const byId = new Map(questions(file).map((q) => [q.id, q]));
  const scores = records.map((record) => {
    const gold = byId.get(record.id as string)!.answers.filter((a) => normalize(a) !== '');
    const prediction = record.prediction_text as string;
    const golds = gold.length > 0 ? gold : [''];
    return { hasAnswer: gold.length > 0, exact: Math.max(...golds.map((g) => (normalize(prediction) === normalize(g) ? 1 : 0))) };
  });
  const mean = (xs: number[]) => (100 * xs.reduce((a, b) => a + b, 0)) / xs.length;
  assert.ok(Math.abs(metrics.eval_exact - mean(scores.map((s) => s.exact))) < 1e-9);
  assert.ok(Math.abs(metrics.eval_HasAns_exact - mean(scores.filter((s) => s.hasAnswer).map((s) => s.exact))) < 1e-9);
  assert.ok(Math.abs(metrics.eval_NoAns_exact - mean(scores.filter((s) => !s.hasAnswer).map((s) => s.exact))) < 1e-9);
  checkSpans(records, byId);

  const refused = await runCli(['train', '--model', tinyModelFolder(), '--task', 'squad', ...TINY, '--train-file', file,
    '--output-dir', join(tempDir(), 'never')]);
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr.trim(), `error: ${file}: has unanswerable questions (SQuAD v2.0): use --task squad_v2`);
});
