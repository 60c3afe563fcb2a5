// `tunelab train --task mlm | pretraining`, `eval` and `predict --task fill-mask` end to end with a tiny model: the
// saved masked-LM folder (HF names, tied decoder) reloads and round-trips, eval without --task reproduces the
// training's final evaluation, fill-mask prints HF's pipeline records, bad corpora are refused with one line.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { AutoModelForMaskedLM } from '../../src/models/auto.js';
import { logging } from '../../src/models/logging.js';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';
import { SHARED, TINY, killAfterStep, readJson, readJsonLines, runCli, tempDir, tinyModelFolder } from '../e2e/helpers.js';

const dir = tempDir('tunelab-mlm-');
const model = tinyModelFolder();
const WORDS = ['cat', 'dog', 'sat', 'ran', 'on', 'the', 'mat', 'park', 'a', 'big', 'small', 'red', 'house', 'tree', 'near'];
/** Sentences drawn from a small vocabulary (deterministic), one per line. */
function corpus(name: string, lines: number, offset = 0): string {
  const text = Array.from({ length: lines }, (_, i) =>
    Array.from({ length: 6 + ((i + offset) % 5) }, (_, w) => WORDS[((i + offset) * 7 + w * 3) % WORDS.length]).join(' ') + ' .');
  const path = join(dir, name);
  writeFileSync(path, `${text.join('\n')}\n`);
  return path;
}
const train = corpus('train.txt', 200);
const validation = corpus('validation.txt', 40, 1000);
const mlmArgs = (out: string) => ['train', '--model', model, '--task', 'mlm', ...TINY, '--train-file', train,
  '--validation-file', validation, '--max-seq-length', '32', '--batch-size', '8', '--max-steps', '12', '--lr', '1e-3',
  '--save-every', '4', '--eval-every', '6', '--log-every', '1', '--json', '--output-dir', out];

test('mlm: train, saved as BertForMaskedLM under HF names, reloaded, eval and fill-mask on it', async () => {
  const out = join(dir, 'mlm');
  const trained = await runCli(mlmArgs(out));
  assert.equal(trained.code, 0, trained.stderr);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  assert.ok(Number.isFinite(metrics.eval_loss));
  assert.ok(Math.abs(metrics.eval_perplexity - Math.exp(metrics.eval_loss)) < 1e-9 * metrics.eval_perplexity);

  const config = readJson(join(out, 'config.json'));
  assert.deepEqual(config.architectures, ['BertForMaskedLM']);
  assert.equal(config.finetuning_task, 'mlm');
  const saved = torch.loadSafetensors(join(out, 'model.safetensors')).tensors;
  for (const key of ['bert.embeddings.word_embeddings.weight', 'cls.predictions.bias', 'cls.predictions.transform.dense.weight',
    'cls.predictions.transform.LayerNorm.weight', 'bert.encoder.layer.1.output.dense.weight']) assert.ok(saved.has(key), key);
  assert.ok(![...saved.keys()].some((key) => key.startsWith('bert.pooler')), 'BertForMaskedLM has no pooler');
  // transformers' names: the keys of the HF-written pre-training fixture (2 layers too) less the NSP head and pooler
  const hfKeys = [...torch.loadSafetensors(join(SHARED, 'fixtures/tiny-bert/pretraining/model.safetensors')).tensors.keys()]
    .filter((key) => !key.startsWith('bert.pooler') && !key.startsWith('cls.seq_relationship')).sort();
  assert.deepEqual([...saved.keys()].sort(), hfKeys);

  // Reloads with nothing missing or unused; the decoder is the word embedding matrix; saving again round-trips.
  const warnings: string[] = [];
  const previous = logging.setSink((line) => warnings.push(line));
  const reloaded = await AutoModelForMaskedLM.fromPretrained(out).finally(() => logging.setSink(previous));
  assert.deepEqual(warnings, []);
  assert.deepEqual(reloaded.loadingInfo, { missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
  const parameters = new Map(reloaded.namedParameters());
  const decoder = (reloaded as unknown as { cls: { predictions: { decoder: { weight: torch.Tensor } } } }).cls.predictions.decoder.weight;
  // (the file has no decoder weight: equal values after loading mean the decoder reads the embedding matrix)
  assert.deepEqual(decoder.toTypedArray(), parameters.get('bert.embeddings.word_embeddings.weight')!.toTypedArray());
  const again = join(dir, 'mlm-again');
  reloaded.savePretrained(again);
  assert.ok(readFileSync(join(again, 'model.safetensors')).equals(readFileSync(join(out, 'model.safetensors'))));
  reloaded.dispose();

  // eval without --task: the task comes from config.json; same masks (from the seed) → the same loss.
  const evaluated = await runCli(['eval', '--model', out, '--validation-file', validation, '--max-seq-length', '32',
    '--threads', '1', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const evalMetrics = (JSON.parse(evaluated.stdout.trim().split('\n').at(-1)!) as { metrics: Record<string, number> }).metrics;
  assert.ok(Math.abs(evalMetrics.eval_loss - metrics.eval_loss) < 1e-5, `${evalMetrics.eval_loss} vs ${metrics.eval_loss}`);

  // fill-mask: HF pipeline records, best first, probabilities, the sequence with the token filled in.
  const tokenizer = await AutoTokenizer.fromPretrained(out);
  const filled = await runCli(['predict', '--model', out, '--task', 'fill-mask', '--text', 'the cat sat on the [MASK] .',
    '--top-k', '3', '--threads', '1', '--json']);
  assert.equal(filled.code, 0, filled.stderr);
  const candidates = filled.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(candidates.length, 3);
  for (const candidate of candidates) {
    assert.deepEqual(Object.keys(candidate).sort(), ['score', 'sequence', 'token', 'token_str']);
    assert.equal(tokenizer.idToToken(candidate.token as number), candidate.token_str);
    // decoded as HF does (clean_up_tokenization_spaces: "house ." → "house.")
    assert.equal(candidate.sequence, `the cat sat on the ${candidate.token_str as string}.`);
  }
  const scores = candidates.map((c) => c.score as number);
  assert.deepEqual([...scores].sort((a, b) => b - a), scores);
  assert.ok(scores.every((s) => s > 0 && s < 1) && scores.reduce((a, b) => a + b) <= 1 + 1e-6);

  // a file of texts → one record per line; a text without a mask is a one-line error naming its line
  const inputs = join(dir, 'fill.txt');
  writeFileSync(inputs, 'a [MASK] dog .\nthe [MASK] sat on the [MASK] .\n');
  const fromFile = await runCli(['predict', '--model', out, '--task', 'fill-mask', '--input', inputs, '--output',
    join(dir, 'fill.jsonl'), '--threads', '1', '--json']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const records = readJsonLines(join(dir, 'fill.jsonl'));
  assert.equal(records.length, 2);
  assert.equal(records[0].id, `${inputs}:1`);
  assert.equal((records[0].predictions as unknown[]).length, 5);
  assert.equal((records[1].predictions as unknown[][]).length, 2, 'two masks: a list per mask');
  writeFileSync(inputs, 'a [MASK] dog .\nno mask here\n');
  const noMask = await runCli(['predict', '--model', out, '--task', 'fill-mask', '--input', inputs, '--output',
    join(dir, 'never.jsonl'), '--threads', '1']);
  assert.equal(noMask.code, 2);
  assert.equal(noMask.stderr.trim(), `error: ${inputs}:2: no [MASK] token to fill`);
  assert.equal(existsSync(join(dir, 'never.jsonl')), false);
});

test('pretraining: MLM + next sentence prediction from documents, saved as BertForPreTraining', async () => {
  const docs = Array.from({ length: 12 }, (_, d) => Array.from({ length: 6 }, (_, s) =>
    `${WORDS[(d + s) % WORDS.length]} ${WORDS[(d * 3 + s) % WORDS.length]} ${WORDS[(s * 5) % WORDS.length]} .`).join('\n'));
  const file = join(dir, 'docs.txt');
  writeFileSync(file, `${docs.join('\n\n')}\n`);
  const out = join(dir, 'pretraining');
  const result = await runCli(['train', '--model', model, '--task', 'pretraining', ...TINY, '--train-file', file,
    '--validation-file', file, '--max-seq-length', '32', '--batch-size', '8', '--max-steps', '4', '--json', '--output-dir', out]);
  assert.equal(result.code, 0, result.stderr);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  assert.ok(metrics.eval_next_sentence_accuracy >= 0 && metrics.eval_next_sentence_accuracy <= 1);
  assert.ok(metrics.eval_perplexity > 1 && Math.log(metrics.eval_perplexity) < metrics.eval_loss, 'the MLM part is below MLM + NSP');
  assert.deepEqual(readJson(join(out, 'config.json')).architectures, ['BertForPreTraining']);
  assert.ok(torch.loadSafetensors(join(out, 'model.safetensors')).tensors.has('cls.seq_relationship.weight'));
});

test('bad corpora: one line naming the file (and line), exit 2, no output folder', async () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad, { recursive: true });
  const write = (name: string, content: string | Buffer) => {
    const path = join(bad, name);
    writeFileSync(path, content);
    return path;
  };
  const cases: [string, string[], RegExp][] = [
    [write('empty.txt', ''), [], /: no text \(an empty corpus\)$/],
    [write('binary.txt', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x0a])), [], /binary\.txt:1: has a NUL byte: a binary file, not text$/],
    [write('long.txt', `short\n${'cat '.repeat(100)}\n`), ['--line-by-line'], /long\.txt:2: 102 tokens, longer than a block of --max-seq-length 32/],
  ];
  for (const [file, extra, expected] of cases) {
    const out = join(bad, `out-${file.split('/').at(-1)}`);
    const result = await runCli(['train', '--model', model, '--task', 'mlm', ...TINY, '--train-file', file,
      '--max-seq-length', '32', ...extra, '--output-dir', out]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], expected);
    assert.equal(existsSync(out), false, `${file}: nothing written`);
  }
});

test('mlm: SIGKILL + --resume ends bit-identical to the uninterrupted run (masks drawn from the seed)', async () => {
  const reference = join(dir, 'resume-reference');
  assert.equal((await runCli(mlmArgs(reference))).code, 0);
  const interrupted = join(dir, 'resume-interrupted');
  await killAfterStep(mlmArgs(interrupted), 5);
  await killAfterStep([...mlmArgs(interrupted), '--resume'], 9);
  const last = await runCli([...mlmArgs(interrupted), '--resume']);
  assert.equal(last.code, 0, last.stderr);
  assert.match(last.stdout, /"resuming from [^"]*checkpoint-8"/);
  for (const file of ['model.safetensors', 'checkpoint-12/optimizer.safetensors']) {
    assert.ok(readFileSync(join(reference, file)).equals(readFileSync(join(interrupted, file))), `${file} differs`);
  }
  const metrics = (out: string) => Object.fromEntries(Object.entries(readJson(join(out, 'metrics.json'))).filter(([k]) => k.startsWith('eval_')));
  assert.deepEqual(metrics(interrupted), metrics(reference));
});

test('mlm from a Hub data set (--dataset-name/--dataset-config-name), read offline from the cache', async () => {
  const cache = tempDir('tunelab-hf-cache-');
  const repo = join(cache, 'datasets--Salesforce--wikitext');
  const COMMIT = 'd'.repeat(40);
  const put = (filename: string, texts: string[]) => {
    const content = Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: texts, type: 'STRING' }] }));
    const blob = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    writeFileSync(join(repo, 'blobs', blob), content);
    const pointer = join(repo, 'snapshots', COMMIT, filename);
    mkdirSync(dirname(pointer), { recursive: true });
    symlinkSync(relative(dirname(pointer), join(repo, 'blobs', blob)), pointer);
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), COMMIT);
  };
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n');
  put('wikitext-2-raw-v1/train-00000-of-00001.parquet', ['', ...lines(train)]);
  put('wikitext-2-raw-v1/validation-00000-of-00001.parquet', lines(validation));
  const out = join(dir, 'hub-mlm');
  const result = await runCli(['train', '--model', model, '--task', 'mlm', ...TINY, '--dataset-name', 'Salesforce/wikitext',
    '--dataset-config-name', 'wikitext-2-raw-v1', '--max-seq-length', '32', '--batch-size', '8', '--max-steps', '2',
    '--output-dir', out], { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
  assert.equal(result.code, 0, result.stderr);
  const metrics = readJson(join(out, 'metrics.json')) as Record<string, number>;
  assert.ok(Number.isFinite(metrics.eval_perplexity), 'the validation split was evaluated');
  const wrongColumn = await runCli(['train', '--model', model, '--task', 'mlm', ...TINY, '--dataset-name', 'Salesforce/wikitext',
    '--dataset-config-name', 'wikitext-2-raw-v1', '--text-column', 'body', '--output-dir', join(dir, 'never-hub')],
  { HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1' });
  assert.equal(wrongColumn.code, 2);
  assert.match(wrongColumn.stderr, /^error: .*train-00000-of-00001\.parquet: row 0: no text in column "body" \(columns: text\); use --text-column\n$/);
  assert.equal(existsSync(join(dir, 'never-hub')), false);
});
