// `tunelab predict` and `tunelab eval` on saved models (weights from a seed, no training): fp32 by default with the
// device and precision in every output; JSONL to stdout without --output or with `-`; a FIFO stays a FIFO; inline
// examples (--text, --text-pair, --question/--context) printed for people, without an id; warnings for a text pair
// that does not fit the task.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runCli, tempDir, writeText } from '../e2e/helpers.js';
import { evaluateSavedModel, predictWithSavedModel } from '../../src/train/evaluate.js';
import { EvalArgsSchema, PredictArgsSchema, parseArgs } from '../../src/train/args.js';
import { savedTinyModel } from './saved-models.js';

const MRPC_HEADER = 'Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n';
const dir = tempDir('tunelab-predict-');
const dev = writeText(dir, 'dev.tsv', `${MRPC_HEADER}1\t1\t2\tthe cat sat .\ta cat was sitting .\n0\t3\t4\tit rained .\tthe sun shone .\n`
  + '1\t5\t6\tshe left early .\tshe went away early .\n');
let mrpc: string;
let ner: string;
let qa: string;
before(async () => {
  mrpc = await savedTinyModel('sequence', ['not_equivalent', 'equivalent']);
  ner = await savedTinyModel('token', ['B-PER', 'I-PER', 'O']);
  qa = await savedTinyModel('qa');
});

const ONE_THREAD = ['--threads', '1'];
const jsonLines = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('precision', () => {
  test('eval and predict default to fp32 (as transformers), and say so; --precision bf16 is the opt-in', async () => {
    const flags = { model: mrpc, task: 'glue/mrpc', threads: 1 };
    const evaluated = await evaluateSavedModel(parseArgs(EvalArgsSchema, { ...flags, validationFile: dev }));
    assert.deepEqual([evaluated.device, evaluated.precision], ['cpu', 'fp32']);
    const predicted = await predictWithSavedModel(parseArgs(PredictArgsSchema, { ...flags, input: dev }));
    assert.equal(predicted.precision, 'fp32');
    const bf16 = await predictWithSavedModel(parseArgs(PredictArgsSchema, { ...flags, input: dev, precision: 'bf16' }));
    assert.equal(bf16.precision, 'bf16');
    // bf16 autocast rounds the logits: fp32 ones differ from them (the default no longer gives bf16's numbers)
    const logits = (r: { records: Record<string, unknown>[] }) => r.records.flatMap((record) => record.logits as number[]);
    assert.notDeepEqual(logits(predicted), logits(bf16));
  });

  test('the text outputs of eval and predict name the device and precision', async () => {
    const [evaluated, predicted] = await Promise.all([
      runCli(['eval', '--model', mrpc, '--task', 'glue/mrpc', '--validation-file', dev, ...ONE_THREAD]),
      runCli(['predict', '--model', mrpc, '--task', 'glue/mrpc', '--input', dev, '--output', join(dir, 'p.jsonl'), ...ONE_THREAD]),
    ]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /^device: cpu, precision: fp32$/m);
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.match(predicted.stdout, /3 predictions written to .*p\.jsonl \(device: cpu, precision: fp32\)/);
  });
});

describe('where predictions go', () => {
  test('--input without --output, and --output -, print JSONL on stdout; the setup goes to stderr', async () => {
    const [plain, dash] = await Promise.all([
      runCli(['predict', '--model', mrpc, '--task', 'glue/mrpc', '--input', dev, ...ONE_THREAD]),
      runCli(['predict', '--model', mrpc, '--task', 'glue/mrpc', '--input', dev, '--output', '-', ...ONE_THREAD]),
    ]);
    for (const result of [plain, dash]) {
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(jsonLines(result.stdout).map((r) => r.id), [`${dev}:2`, `${dev}:3`, `${dev}:4`]);
      assert.match(result.stderr, /device: cpu, precision: fp32/);
    }
  });

  test('a FIFO as --output is written through, not replaced by a regular file', async () => {
    const fifo = join(tempDir(), 'predictions.fifo');
    execFileSync('mkfifo', [fifo]);
    const child = runCli(['predict', '--model', mrpc, '--task', 'glue/mrpc', '--input', dev, '--output', fifo, ...ONE_THREAD]);
    const received = readFileSync(fifo, 'utf8'); // blocks until the writer closes it
    const result = await child;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(jsonLines(received).length, 3);
    assert.ok(statSync(fifo).isFIFO(), 'still a FIFO');
  });
});

describe('inline examples', () => {
  test('--text prints the prediction for people; its record has no id', async () => {
    const plain = await runCli(['predict', '--model', mrpc, '--task', 'glue/mrpc', '--text', 'The cat sat.', '--text-pair', 'A cat sat.', ...ONE_THREAD]);
    assert.equal(plain.code, 0, plain.stderr);
    const { records: [record] } = await predictWithSavedModel(parseArgs(PredictArgsSchema, {
      model: mrpc, task: 'glue/mrpc', text: 'The cat sat.', textPair: 'A cat sat.', threads: 1,
    }));
    assert.equal('id' in record, false);
    assert.equal(plain.stdout, `${record.label as string} (${(record.score as number).toFixed(2)})\n(device: cpu, precision: fp32)\n`);
    assert.equal(plain.stderr, '');
  });

  test('NER tags the words of --text; QA answers --question from --context', async () => {
    const tagged = await predictWithSavedModel(parseArgs(PredictArgsSchema, {
      model: ner, task: 'ner', text: 'John lives in  Paris', threads: 1,
    }));
    assert.deepEqual(tagged.records.map((r) => r.tokens), [['John', 'lives', 'in', 'Paris']]);
    assert.equal((tagged.records[0].predicted_tags as string[]).length, 4);
    assert.ok((tagged.records[0].predicted_tags as string[]).every((tag) => ['B-PER', 'I-PER', 'O'].includes(tag)));
    const context = 'John lives in Paris.';
    const answered = await predictWithSavedModel(parseArgs(PredictArgsSchema, {
      model: qa, task: 'squad', question: 'Where does John live?', context, threads: 1,
    }));
    const answer = answered.records[0];
    assert.equal('id' in answer, false);
    assert.equal(context.slice(answer.answer_start as number, answer.answer_end as number), answer.prediction_text);
  });

  test('a pair task given one text, and a single-text task given --text-pair, are warned about', async () => {
    const warnings: string[] = [];
    const onWarning = (text: string) => warnings.push(text);
    await predictWithSavedModel(parseArgs(PredictArgsSchema, { model: mrpc, task: 'glue/mrpc', text: 'One.', threads: 1 }), { onWarning });
    await predictWithSavedModel(parseArgs(PredictArgsSchema, { model: mrpc, task: 'glue/sst2', text: 'One.', textPair: 'Two.', threads: 1 }), { onWarning });
    await predictWithSavedModel(parseArgs(PredictArgsSchema, { model: mrpc, task: 'glue/mrpc', text: 'One.', textPair: 'Two.', threads: 1 }), { onWarning });
    assert.deepEqual(warnings, [
      '--task glue/mrpc was trained on sentence pairs: give the second one with --text-pair (predicting from one text)',
      '--task glue/sst2 reads one text: --text-pair is encoded as a second segment the model was not trained on',
    ]);
  });

  test('QA needs both --question and --context', async () => {
    await assert.rejects(predictWithSavedModel(parseArgs(PredictArgsSchema, { model: qa, task: 'squad', question: 'Why?' })),
      /--question and --context go together/);
  });
});
