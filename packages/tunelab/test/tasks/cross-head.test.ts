// Any checkpoint into any head, as transformers loads them: every task's model from every other head's folder (and a
// bare BertModel's, whose keys have no `bert.` prefix). The reference for the key report is the two files' key sets:
// missing = the target class's saved keys the source lacks, unexpected = the source's keys the target lacks,
// mismatched = shared keys of another shape (re-initialised). The body always carries over, and the report is one
// warning block. Then the CLI: an MRPC model continues on SQuAD, and --from-scratch ignores `architectures`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import {
  AutoModel, AutoModelForMaskedLM, AutoModelForPreTraining, AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification, AutoModelForTokenClassification, type AutoModelClass,
} from '../../src/models/auto.js';
import { parseBertConfig } from '../../src/models/bert/config.js';
import { logging } from '../../src/models/logging.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';
import { loadModelForTask, readModelHead, taskOfSavedModel, type TaskLabels, type TaskName } from '../../src/tasks/index.js';
import { GLUE, SQUAD, TINY, readJson, runCli, tempDir, tinyModelFolder } from '../e2e/helpers.js';
import { SHARED } from '../models/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-cross-head-'));
const rawConfig = JSON.parse(readFileSync(join(SHARED, 'fixtures/tiny-bert/pretraining/config.json'), 'utf8')) as Record<string, unknown>;
const labels = (names: string[]) => Object.fromEntries(names.map((name, i) => [i, name]));

/** A saved folder of `auto`'s class for the tiny config (with these labels), and its file's key → shape. */
function savedFolder(name: string, auto: AutoModelClass<PreTrainedModel>, id2label?: string[]): string {
  const folder = join(dir, name);
  torch.manualSeed(name.length);
  const model = auto.fromConfig(parseBertConfig({ ...rawConfig, architectures: null }, 'test'),
    id2label ? { id2label: labels(id2label), label2id: Object.fromEntries(id2label.map((l, i) => [l, i])) } : {});
  model.savePretrained(folder);
  model.dispose();
  return folder;
}

function fileShapes(folder: string): Map<string, number[]> {
  const tensors = torch.loadSafetensors(join(folder, 'model.safetensors')).tensors;
  return new Map([...tensors].map(([key, tensor]) => [key, tensor.shape]));
}

const SOURCES: [string, AutoModelClass<PreTrainedModel>, string[]?][] = [
  ['BertModel', AutoModel],
  ['BertForSequenceClassification', AutoModelForSequenceClassification, ['a', 'b', 'c']],
  ['BertForQuestionAnswering', AutoModelForQuestionAnswering],
  ['BertForTokenClassification', AutoModelForTokenClassification, ['B-X', 'I-X', 'O', 'B-Y', 'I-Y']],
  ['BertForMaskedLM', AutoModelForMaskedLM],
  ['BertForPreTraining', AutoModelForPreTraining],
];
const TARGETS: [TaskName, AutoModelClass<PreTrainedModel>, TaskLabels][] = [
  ['glue/mrpc', AutoModelForSequenceClassification, { names: ['not_equivalent', 'equivalent'], problemType: 'single_label_classification' }],
  ['squad', AutoModelForQuestionAnswering, { names: [] }],
  ['ner', AutoModelForTokenClassification, { names: ['B-PER', 'I-PER', 'O'] }],
  ['mlm', AutoModelForMaskedLM, { names: [] }],
  ['pretraining', AutoModelForPreTraining, { names: [] }],
];

test('every head loads from every other head\'s folder: body kept, keys reported as the files differ', async () => {
  const sources = SOURCES.map(([name, auto, names]) => ({ name, folder: savedFolder(`source-${name}`, auto, names) }));
  for (const [task, auto, taskLabels] of TARGETS) {
    // The key set of the target class as transformers would save it.
    const targetShapes = fileShapes(savedFolder(`target-${task.replace('/', '-')}`, auto,
      taskLabels.names.length > 0 ? taskLabels.names : undefined));
    for (const source of sources) {
      const sourceShapes = new Map([...fileShapes(source.folder)].map(([key, shape]) =>
        [source.name === 'BertModel' ? `bert.${key}` : key, shape] as const));
      const missing = [...targetShapes.keys()].filter((key) => !sourceShapes.has(key)).sort();
      const unexpected = [...sourceShapes.keys()].filter((key) => !targetShapes.has(key)).sort();
      const mismatched = [...targetShapes].filter(([key, shape]) => sourceShapes.has(key) &&
        sourceShapes.get(key)!.join() !== shape.join()).map(([key]) => key).sort();

      const warnings: string[] = [];
      const previous = logging.setSink((line) => warnings.push(line));
      const model = await loadModelForTask(task, source.folder, {
        labels: taskLabels, fromScratch: false, device: 'cpu', head: await readModelHead(source.folder),
      }).finally(() => logging.setSink(previous));
      const where = `${source.name} → --task ${task}`;
      assert.deepEqual([...model.loadingInfo!.missingKeys].sort(), missing, `${where}: missing`);
      assert.deepEqual(model.loadingInfo!.unexpectedKeys, unexpected, `${where}: unexpected`);
      assert.deepEqual(model.loadingInfo!.mismatchedKeys.map((m) => m.key), mismatched, `${where}: mismatched`);
      if (missing.length + unexpected.length + mismatched.length > 0) {
        // one block (the first warning) that names every key
        for (const key of [...missing, ...unexpected, ...mismatched]) assert.ok(warnings[0].includes(key), `${where}: ${key} not reported`);
      }
      const query = 'bert.encoder.layer.1.attention.self.query.weight';
      const sourceTensors = torch.loadSafetensors(join(source.folder, 'model.safetensors')).tensors;
      const sourceQuery = sourceTensors.get(query) ?? sourceTensors.get(query.slice(5))!;
      assert.deepEqual(new Map(model.namedParameters()).get(query)!.toTypedArray(), sourceQuery.toTypedArray(), `${where}: body`);
      model.dispose();
    }
  }
});

test('a head of the same kind with other labels is re-initialised, with a warning (ignore_mismatched_sizes)', async () => {
  const folder = savedFolder('sentiment', AutoModelForSequenceClassification, ['neg', 'pos']);
  const warnings: string[] = [];
  const previous = logging.setSink((line) => warnings.push(line));
  const model = await loadModelForTask('glue/mrpc', folder, {
    labels: TARGETS[0][2], fromScratch: false, device: 'cpu', head: await readModelHead(folder),
  }).finally(() => logging.setSink(previous));
  assert.ok(warnings.some((w) => w.includes('[neg, pos]') && w.includes('[not_equivalent, equivalent]') && w.includes('newly initialised')), warnings.join('\n'));
  const saved = torch.loadSafetensors(join(folder, 'model.safetensors')).tensors.get('classifier.weight')!;
  assert.notDeepEqual(new Map(model.namedParameters()).get('classifier.weight')!.toTypedArray(), saved.toTypedArray());
  assert.deepEqual(model.config.id2label, { 0: 'not_equivalent', 1: 'equivalent' });
  assert.equal(model.config.extra.finetuning_task, 'glue/mrpc');
  model.dispose();
});

test('CLI: an MRPC model continues on SQuAD; --from-scratch takes the head from --task, not architectures', async () => {
  const model = tinyModelFolder();
  const mrpc = join(tempDir(), 'mrpc');
  const first = await runCli(['train', '--model', model, '--task', 'glue/mrpc', ...TINY, '--train-file',
    join(GLUE, 'MRPC/dev.tsv'), '--max-train-samples', '16', '--batch-size', '8', '--max-steps', '2', '--output-dir', mrpc]);
  assert.equal(first.code, 0, first.stderr);
  const squadFile = join(SQUAD, 'sample-v1.1.json');
  const squad = join(tempDir(), 'squad');
  const second = await runCli(['train', '--model', mrpc, '--task', 'squad', '--threads', '1', '--no-track', '--precision', 'fp32',
    '--train-file', squadFile, '--max-train-samples', '8', '--max-seq-length', '128', '--doc-stride', '32', '--batch-size', '4', '--max-steps', '2',
    '--output-dir', squad]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /were not used when initializing BertForQuestionAnswering: \[bert\.pooler\.dense\.bias, bert\.pooler\.dense\.weight, classifier\.bias, classifier\.weight\]/);
  assert.match(second.stderr, /Some weights of BertForQuestionAnswering were not initialized .* newly initialized: \[qa_outputs\.weight, qa_outputs\.bias\]/);
  const config = readJson(join(squad, 'config.json'));
  assert.deepEqual(config.architectures, ['BertForQuestionAnswering']);
  assert.equal(config.finetuning_task, 'squad');

  // predict and eval without --task use the saved task: squad (v1.1) scoring, not squad_v2's
  const predicted = await runCli(['predict', '--model', squad, '--input', squadFile, '--output', join(tempDir(), 'p.jsonl'),
    '--max-seq-length', '128', '--doc-stride', '32', '--threads', '1', '--json']);
  assert.equal(predicted.code, 0, predicted.stderr);
  const metrics = (JSON.parse(predicted.stdout.trim().split('\n').at(-1)!) as { metrics: Record<string, number> }).metrics;
  assert.deepEqual(Object.keys(metrics).filter((k) => !k.includes('loss')).sort(), ['eval_exact_match', 'eval_f1']);
  const evaluated = await runCli(['eval', '--model', squad, '--validation-file', squadFile, '--max-eval-samples', '8',
    '--max-seq-length', '128', '--doc-stride', '32', '--threads', '1', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.ok('eval_exact_match' in (JSON.parse(evaluated.stdout.trim().split('\n').at(-1)!) as { metrics: object }).metrics);

  const qaConfig = tinyModelFolder({ architectures: ['BertForQuestionAnswering'] });
  const scratch = join(tempDir(), 'scratch');
  const third = await runCli(['train', '--model', qaConfig, '--task', 'glue/mrpc', ...TINY, '--train-file',
    join(GLUE, 'MRPC/dev.tsv'), '--max-train-samples', '16', '--batch-size', '8', '--max-steps', '1', '--output-dir', scratch]);
  assert.equal(third.code, 0, third.stderr);
  assert.deepEqual(readJson(join(scratch, 'config.json')).architectures, ['BertForSequenceClassification']);
});

test('train without --task: a GLUE TSV is recognised by its header; another TSV gets an error that says so', async () => {
  const model = tinyModelFolder();
  const out = join(tempDir(), 'inferred');
  const ok = await runCli(['train', '--model', model, ...TINY, '--train-file', join(GLUE, 'MRPC/dev.tsv'),
    '--max-train-samples', '16', '--batch-size', '8', '--max-steps', '1', '--output-dir', out]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readJson(join(out, 'config.json')).finetuning_task, 'glue/mrpc');
  const other = join(dir, 'other.tsv');
  writeFileSync(other, 'text\tlabel\nhello\t1\n');
  const refused = await runCli(['train', '--model', model, ...TINY, '--train-file', other, '--output-dir', join(dir, 'never')]);
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr.trim(), `error: --task is required: ${other} is not a GLUE TSV recognised by its header ("text | label"); give --task`);
  assert.equal(existsSync(join(dir, 'never')), false);
});

test('task of a saved model: finetuning_task first, then a GLUE TSV\'s header, then the head', async () => {
  const folder = savedFolder('hub-like-classifier', AutoModelForSequenceClassification, ['0', '1']); // says no task
  assert.equal(await taskOfSavedModel(folder), 'classification');
  assert.equal(await taskOfSavedModel(folder, join(GLUE, 'MRPC/dev.tsv')), 'glue/mrpc');
  assert.equal(await taskOfSavedModel(folder, join(GLUE, 'SST-2/dev.tsv')), 'glue/sst2');
  const other = join(dir, 'custom.tsv');
  writeFileSync(other, 'text\tlabel\nfine\t1\n');
  assert.equal(await taskOfSavedModel(folder, other), 'classification');
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, finetuning_task: 'mrpc' })); // run_glue's spelling
  assert.equal(await taskOfSavedModel(folder, join(GLUE, 'SST-2/dev.tsv')), 'glue/mrpc');
  const qa = savedFolder('qa-without-task', AutoModelForQuestionAnswering);
  assert.equal(await taskOfSavedModel(qa), 'squad_v2');
  await assert.rejects(taskOfSavedModel(savedFolder('bare', AutoModel)), /has no task head \(architectures: BertModel\); give --task/);
});

test('--task mlm on the relatives: RoBERTa and DistilBERT classifiers become their MLM heads, saved under HF names', async () => {
  const cases: [string, string, string[], string[]][] = [
    // fixture, class, the new head's HF keys (decoder tied: not saved), the classifier keys left unused
    ['roberta-seqcls', 'RobertaForMaskedLM', ['lm_head.bias', 'lm_head.dense.bias', 'lm_head.dense.weight', 'lm_head.layer_norm.bias', 'lm_head.layer_norm.weight'],
      ['classifier.dense.bias', 'classifier.dense.weight', 'classifier.out_proj.bias', 'classifier.out_proj.weight']],
    ['distilbert-seqcls', 'DistilBertForMaskedLM', ['vocab_layer_norm.bias', 'vocab_layer_norm.weight', 'vocab_projector.bias', 'vocab_transform.bias', 'vocab_transform.weight'],
      ['classifier.bias', 'classifier.weight', 'pre_classifier.bias', 'pre_classifier.weight']],
  ];
  for (const [fixture, architecture, headKeys, unused] of cases) {
    const folder = join(SHARED, 'fixtures/tiny-bert', fixture);
    const previous = logging.setSink(() => undefined);
    const model = await loadModelForTask('mlm', folder, {
      labels: { names: [] }, fromScratch: false, device: 'cpu', head: await readModelHead(folder),
    }).finally(() => logging.setSink(previous));
    assert.equal(model.architecture, architecture);
    assert.deepEqual([...model.loadingInfo!.missingKeys].sort(), headKeys, `${fixture}: new head`);
    assert.deepEqual(model.loadingInfo!.unexpectedKeys, unused, `${fixture}: unused classifier`);
    const out = join(dir, `${fixture}-mlm`);
    model.savePretrained(out);
    const saved = fileShapes(out);
    const fixtureBody = [...fileShapes(folder).keys()].filter((key) => !unused.includes(key));
    assert.deepEqual([...saved.keys()].sort(), [...fixtureBody, ...headKeys].sort(), `${fixture}: saved keys`);
    assert.equal(readJson(join(out, 'config.json')).finetuning_task, 'mlm');
    model.dispose();
  }
});
