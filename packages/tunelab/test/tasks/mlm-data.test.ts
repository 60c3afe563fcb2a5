// The mlm task's data path as the trainer calls it (prepareTaskData → trainTransform per epoch): a CSV corpus read
// from --text-column, masks that depend on (seed, epoch, batch, rank) only, evaluation masks fixed, and flags that
// belong to other tasks refused by name.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { trainBatches } from '../../src/data/collate.js';
import { IGNORE_INDEX } from '../../src/data/features.js';
import { checkTaskFlags, prepareTaskData, splitBatches } from '../../src/tasks/index.js';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';
import { BERT_DIR } from '../data/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-mlm-task-'));
const rows = Array.from({ length: 60 }, (_, i) => `"row ${i}, with a comma",the body of row ${i} talks about cats and dogs ${i}`);
const csv = join(dir, 'corpus.csv');
writeFileSync(csv, `title,body\n${rows.join('\n')}\n`);
const options = (extra: object) => ({
  maxSeqLength: 16, docStride: 128, withTrain: true, qa: { nBestSize: 20, maxAnswerLength: 30, nullScoreDiffThreshold: 0 },
  mlm: { mlmProbability: 0.15, wholeWordMasking: false, lineByLine: false, seed: 5 }, ...extra,
});

test('mlm from a CSV column: blocks of the body texts, masks by (seed, epoch, batch, rank), fixed eval masks', async () => {
  const tokenizer = await AutoTokenizer.fromPretrained(BERT_DIR);
  const data = await prepareTaskData('mlm', tokenizer, options({ trainFile: csv, validationFile: csv, textColumn: 'body' }));
  const bodies = (await tokenizer.encodeBatch(rows.map((row) => row.split(',').slice(2).join(',')))).flatMap((e) => e.input_ids);
  assert.equal(data.train!.features.length, Math.floor(bodies.length / 16));
  assert.deepEqual(Array.from(data.train!.features[0].input_ids), bodies.slice(0, 16));

  const epoch = (n: number, rank = 0) => data.trainTransform!(trainBatches(data.train!, { batchSize: 4, seed: 5, epoch: n, padId: 0 }), n, rank);
  const first = epoch(0);
  assert.ok(first.every((batch) => batch.labels!.length === batch.size[0] * batch.size[1]));
  assert.ok(first.some((batch) => batch.labels!.some((label) => label !== IGNORE_INDEX)));
  assert.deepEqual(epoch(0), first, 'the same epoch masks the same way (what --resume relies on)');
  assert.notDeepEqual(epoch(1).map((b) => b.labels), first.map((b) => b.labels));
  assert.notDeepEqual(epoch(0, 1).map((b) => b.labels), first.map((b) => b.labels));
  const [validation] = data.evalSplits;
  assert.deepEqual(splitBatches(validation, 8, 0), splitBatches(validation, 8, 0), 'every evaluation scores the same masks');
  assert.deepEqual(validation.outputs, [], 'no vocabulary logits are copied to the host');
});

test('mlm flags on other tasks, and other tasks\' flags on mlm, are refused by name', async () => {
  assert.throws(() => checkTaskFlags('glue/mrpc', { mlmProbability: 0.2 }), { message: '--mlm-probability is for --task mlm or pretraining, not glue/mrpc' });
  assert.throws(() => checkTaskFlags('squad', { lineByLine: true }), { message: '--line-by-line is for --task mlm, not squad' });
  assert.throws(() => checkTaskFlags('mlm', { docStride: 64 }), { message: '--doc-stride is for --task squad or squad_v2, not mlm' });
  checkTaskFlags('mlm', { textColumn: 'body', wholeWordMasking: true, mlmProbability: 0.3 });
  const tokenizer = await AutoTokenizer.fromPretrained(BERT_DIR);
  const text = join(dir, 'plain.txt');
  writeFileSync(text, 'some text\n');
  await assert.rejects(prepareTaskData('mlm', tokenizer, options({ trainFile: text, textColumn: 'body' })),
    { message: `--text-column is for CSV/TSV/JSONL corpora; ${text} is read as plain text` });
});
