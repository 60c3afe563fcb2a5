// Bad input → one line naming the file (and line or record) or the flag, exit code 2, and no output folder.
// Each case is a crafted file or flag set; the expected message is written out in full where it is ours.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { GLUE, runCli, tempDir, tinyModelFolder } from '../e2e/helpers.js';
import { openStore } from '../../src/track/store.js';
import { tunelab } from './harness.js';

const dir = tempDir('tunelab-bad-input-');
const model = tinyModelFolder();
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const MRPC_HEADER = 'Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n';
const mrpc = file('mrpc.tsv', `${MRPC_HEADER}1\t1\t2\tthe cat sat .\ta cat was sitting .\n0\t3\t4\tit rained .\tthe sun shone .\n`);
const csv = file('train.csv', 'text,label\ngood movie,pos\nbad movie,neg\nfine film,pos\n');
const squadContext = 'Paris is the capital of France.';
const squadOf = (answerStart: number) => JSON.stringify({ version: '1.1', data: [{ title: 't', paragraphs: [{
  context: squadContext, qas: [{ id: 'q1', question: 'What is the capital?', answers: [{ text: 'Paris', answer_start: answerStart }] }] }] }] });
const qaModel = tinyModelFolder({ architectures: ['BertForQuestionAnswering'] });

let runs = 0;
/**
 * Runs `tunelab train` (or another verb) into a fresh output folder and a fresh tracking store, and checks the one-line
 * error, exit code 2, and that nothing was written: no output folder and no run row (`--no-track` is dropped, so
 * every case would be tracked if it got that far).
 */
async function rejects(args: string[], expected: string | RegExp, verb = 'train'): Promise<void> {
  const out = join(dir, `out-${runs}`);
  const storeFile = join(dir, `store-${runs++}`, 'tunelab.db');
  const tracked = args.filter((arg) => arg !== '--no-track');
  const withOutput = verb !== 'train' ? args : [
    ...tracked, ...(args.includes('--output-dir') ? [] : ['--output-dir', out]), ...(args.includes('--store') ? [] : ['--store', storeFile]),
  ];
  const result = await tunelab([verb, ...withOutput]);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(result.exitCode, 2, `exit code (stderr: ${result.stderr})`);
  assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
  if (typeof expected === 'string') assert.equal(lines[0], `error: ${expected}`);
  else assert.match(lines[0], expected);
  assert.equal(existsSync(out), false, 'nothing was written');
  assert.deepEqual(await runsIn(storeFile), [], 'no run row');
}

/** The runs of a SQLite store ([] when the file was never created). */
async function runsIn(storeFile: string): Promise<string[]> {
  if (!existsSync(storeFile)) return [];
  const store = await openStore(storeFile);
  try {
    return (await store.listRuns()).map((run) => `${run.id} ${run.status}`);
  } finally {
    await store.close();
  }
}

const glueMrpc = ['--model', model, '--task', 'glue/mrpc', '--from-scratch', '--no-track'];
const custom = ['--model', model, '--task', 'classification', '--from-scratch', '--no-track'];

describe('data files', () => {
  test('a training file that does not exist', () =>
    rejects([...glueMrpc, '--train-file', join(dir, 'absent.tsv')], `${join(dir, 'absent.tsv')}: no such file`));

  test('a missing text column', () =>
    rejects([...custom, '--train-file', csv, '--text-column', 'sentence'], `${csv}:1: no column "sentence" (columns: text, label)`));

  test('a validation label the training data does not have', () => {
    const valid = file('valid.csv', 'text,label\nok film,pos\nmeh,maybe\n');
    return rejects([...custom, '--train-file', csv, '--validation-file', valid],
      `${valid}:3: label "maybe" is not among the training labels (neg, pos)`);
  });

  test('an empty data set (header only)', () => {
    const empty = file('empty.csv', 'text,label\n');
    return rejects([...custom, '--train-file', empty], `${empty}: no examples`);
  });

  test('invalid JSON on a JSONL line', () => {
    const jsonl = file('bad.jsonl', '{"text": "fine", "label": "pos"}\n{"text": "broken", \n');
    return rejects([...custom, '--train-file', jsonl], new RegExp(`^error: ${jsonl}:2: invalid JSON: `));
  });

  test('a SQuAD file that is not valid JSON', () => {
    const squad = file('broken.json', '{"data": [\n');
    return rejects(['--model', model, '--task', 'squad', '--from-scratch', '--no-track', '--train-file', squad],
      new RegExp(`^error: ${squad}(:\\d+)?: invalid JSON`));
  });

  test('a SQuAD answer_start that does not point at the answer text', () => {
    const squad = file('shifted.json', squadOf(3));
    return rejects(['--model', model, '--task', 'squad', '--from-scratch', '--no-track', '--train-file', squad],
      `${squad}: question q1: answer "Paris" is not at answer_start 3 of the context (found "is is")`);
  });

  test('bytes that are not UTF-8', () => {
    const latin1 = file('latin1.tsv', Buffer.concat([Buffer.from(`${MRPC_HEADER}1\t1\t2\tcaf`), Buffer.from([0xe9]), Buffer.from(' .\tthe cafe .\n')]));
    return rejects([...glueMrpc, '--train-file', latin1],
      `${latin1}:2: invalid UTF-8 byte 0xe9 at byte offset ${Buffer.byteLength(MRPC_HEADER) + 9} (the file must be UTF-8)`);
  });

  test('an MRPC file given to glue/sst2', () =>
    rejects(['--model', model, '--task', 'glue/sst2', '--from-scratch', '--no-track', '--train-file', mrpc],
      /^error: .*mrpc\.tsv:1: header does not look like GLUE SST-2/));

  test('a GLUE label outside the task\'s classes', () => {
    const bad = file('label3.tsv', `${MRPC_HEADER}3\t1\t2\ta .\tb .\n`);
    return rejects([...glueMrpc, '--train-file', bad], `${bad}:2: label "3" is not one of 0, 1`);
  });

  test('a CoNLL tag that is not IOB', () => {
    const conll = file('bad.conll', 'John PER\nlives O\n');
    return rejects(['--model', model, '--task', 'ner', '--from-scratch', '--no-track', '--train-file', conll],
      `${conll}:1: tag "PER" is not O or B-/I-/E-/S-<type>`);
  });

  test('NER JSONL with fewer tags than tokens', () => {
    const jsonl = file('ner.jsonl', '{"tokens": ["John", "lives"], "tags": ["B-PER"]}\n');
    return rejects(['--model', model, '--task', 'ner', '--from-scratch', '--no-track', '--train-file', jsonl],
      `${jsonl}:1: tokens and tags differ in length (2 tokens, 1 tags)`);
  });

  test('a task that needs files, given none', () =>
    rejects(['--model', model, '--task', 'ner', '--from-scratch', '--no-track'],
      '--task ner: needs --train-file (CoNLL columns or JSONL tokens/tags)'));
  // Inputs a reliability audit found accepted silently (T10 item 18): each now fails before anything is written.
  test('an MRPC row with a sixth column', () => {
    const six = file('six.tsv', `${MRPC_HEADER}1\t1\t2\tthe cat sat .\ta cat sat .\t0\n`);
    return rejects([...glueMrpc, '--train-file', six], `${six}:2: expected 5 tab-separated columns for MRPC (as the header), found 6`);
  });

  test('a NUL byte inside a row', () => {
    const nul = file('nul.tsv', `${MRPC_HEADER}1\t1\t2\tthe cat\0 sat .\ta cat sat .\n`);
    return rejects([...glueMrpc, '--train-file', nul],
      `${nul}:2: NUL byte at byte offset ${Buffer.byteLength(MRPC_HEADER) + 13} (a text file has none; is it UTF-16 or binary?)`);
  });

  test('a dev label 9 in MRPC', () => {
    const dev = file('dev9.tsv', `${MRPC_HEADER}1\t1\t2\ta .\tb .\n9\t3\t4\tc .\td .\n`);
    return rejects([...glueMrpc, '--train-file', mrpc, '--validation-file', dev], `${dev}:3: label "9" is not one of 0, 1`);
  });

  test('a SQuAD v2 question with is_impossible false and no answers', () => {
    const squad = file('v2-noanswer.json', JSON.stringify({ version: 'v2.0', data: [{ title: 't', paragraphs: [{ context: squadContext, qas: [
      { id: 'q1', question: 'What is the capital?', is_impossible: false, answers: [{ text: 'Paris', answer_start: 0 }] },
      { id: 'q2', question: 'Who?', is_impossible: false, answers: [] }] }] }] }));
    return rejects(['--model', qaModel, '--task', 'squad_v2', '--from-scratch', '--no-track', '--train-file', squad],
      `${squad}: question q2: is_impossible is false but it has no answers (an unanswerable question has is_impossible: true)`);
  });

  test('a CSV with a duplicated header name', () => {
    const dup = file('dup.csv', 'text,label,text\ngood movie,pos,x\nbad movie,neg,y\n');
    return rejects([...custom, '--train-file', dup], `${dup}:1: column "text" appears twice in the header`);
  });

  test('JSON lines whose labels mix 1 and "1"', () => {
    const mixed = file('mixed.jsonl', '{"text": "good", "label": 1}\n{"text": "bad", "label": 0}\n{"text": "fine", "label": "1"}\n');
    return rejects([...custom, '--train-file', mixed], `${mixed}:3: label "1" is a string, but the label at ${mixed}:1 is a number: use one type`);
  });

});

describe('flags and config', () => {
  test('--warmup-ratio with --warmup-steps', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--warmup-ratio', '0.1', '--warmup-steps', '5'],
      '--warmup-ratio and --warmup-steps conflict: give one'));

  test('--epochs with --max-steps', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--epochs', '2', '--max-steps', '5'], '--epochs and --max-steps conflict: give one'));

  test('fp16 on the CPU', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--precision', 'fp16', '--device', 'cpu'],
      '--precision fp16 needs --device cuda (CPU autocast is bf16 only; use --precision bf16)'));

  test('a batch size that is not a number', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--batch-size', 'lots'], /^error: --batch-size: .*\(got "lots"\)$/));

  test('an unknown task', () =>
    rejects(['--model', model, '--task', 'glue/sts', '--train-file', mrpc], /^error: --task: must be one of glue\/cola, .* \(got "glue\/sts"\)$/));

  test('--output-dir missing', async () => {
    const result = await tunelab(['train', ...glueMrpc, '--train-file', mrpc]);
    assert.equal(result.exitCode, 2);
    assert.equal(result.stderr, 'error: --output-dir: is required\n');
  });

  test('an unknown flag', async () => {
    const result = await tunelab(['train', ...glueMrpc, '--train-file', mrpc, '--learning-rat', '1e-4']);
    assert.equal(result.exitCode, 2);
    assert.equal(result.stderr, "error: unknown option '--learning-rat' (did you mean --learning-rate?)\n");
  });

  test('a config file with an unknown key', () => {
    const config = file('run.yaml', 'task: glue/mrpc\nlearning_rat: 0.001\n');
    return rejects(['--config', config, '--model', model], `${config}: unknown key "learning_rat" (did you mean learning_rate?)`);
  });

  test('a config file that is not YAML', () => {
    const config = file('broken.yaml', 'task: [glue/mrpc\n');
    return rejects(['--config', config], new RegExp(`^error: ${config}: invalid YAML \\(`));
  });

  test('--text-column for a GLUE task', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--text-column', 'sentence'],
      '--text-column is for --task classification, regression or mlm (the glue/mrpc files have fixed columns)'));

  test('--doc-stride for a classification task', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--doc-stride', '64'], '--doc-stride is for --task squad or squad_v2, not glue/mrpc'));

  test('--metric-for-best the task does not report', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--metric-for-best', 'pearson'],
      '--metric-for-best pearson: --task glue/mrpc reports accuracy, f1, combined_score, loss'));

  test('--early-stopping-patience without validation data', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--early-stopping-patience', '2'],
      '--early-stopping-patience needs validation data (--validation-file)'));

  test('--store with an unsupported scheme', () =>
    rejects(['--model', model, '--task', 'glue/mrpc', '--from-scratch', '--train-file', mrpc, '--store', 'mysql://db/x'],
      '--store mysql://db/x: unsupported scheme (use postgres://…, sqlite:<file> or a file path)'));
  test('a config value of the wrong type', () => {
    const config = file('typed.yaml', 'epochs: true\n');
    return rejects([...glueMrpc, '--train-file', mrpc, '--config', config], `${config}: epochs: expected number, received boolean (got true)`);
  });

  test('--max-seq-length 100000', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--max-seq-length', '100000'],
      `--max-seq-length 100000: the model covers at most 256 tokens (config.json max_position_embeddings)`));

  test('--max-seq-length 4096 on a model whose max_position_embeddings is 128', () => {
    const short = tinyModelFolder({ max_position_embeddings: 128 });
    return rejects(['--model', short, '--task', 'glue/mrpc', '--from-scratch', '--no-track', '--train-file', mrpc, '--max-seq-length', '4096'],
      `--max-seq-length 4096: the model covers at most 128 tokens (config.json max_position_embeddings)`);
  });

  test('--batch-size 1e9', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--batch-size', '1e9'], '--batch-size: must be at most 65536 examples per device (got "1e9")'));

});

describe('models and checkpoints', () => {
  // Training takes any checkpoint into any head (test/tasks/cross-head.test.ts); eval needs the task's head.
  test('eval of a question-answering model on a classification task', () =>
    rejects(['--model', qaModel, '--task', 'glue/mrpc', '--validation-file', mrpc],
      `--model ${qaModel}: a BertForQuestionAnswering (config.json architectures) cannot do --task glue/mrpc, which needs a sequence-classification head`, 'eval'));

  test('a folder without weights and without --from-scratch', () =>
    rejects(['--model', model, '--task', 'glue/mrpc', '--no-track', '--train-file', mrpc],
      `--model ${model}: no weights (model.safetensors or pytorch_model.bin); pass --from-scratch to train from its config.json alone`));

  test('eval on a model that has no head for the task', () =>
    rejects(['--model', model, '--task', 'glue/mrpc', '--validation-file', mrpc],
      // a masked-LM folder (the tiny model's architectures) has a head, for --task mlm
      `--model ${model}: a BertForMaskedLM (config.json architectures) cannot do --task glue/mrpc, which needs a sequence-classification head`, 'eval'));

  test('--resume from a folder that is not a checkpoint', () =>
    rejects([...glueMrpc, '--train-file', mrpc, '--resume', dir], `--resume ${dir}: not a checkpoint folder (no trainer_state.json)`));

  test('an output folder that holds another run\'s checkpoints', async () => {
    const out = join(dir, 'used');
    mkdirSync(join(out, 'checkpoint-8'), { recursive: true });
    writeFileSync(join(out, 'checkpoint-8', 'trainer_state.json'), '{}');
    const result = await tunelab(['train', ...glueMrpc, '--train-file', mrpc, '--output-dir', out]);
    assert.equal(result.exitCode, 2);
    assert.equal(result.stderr, `error: --output-dir ${out}: already holds checkpoint-8; pass --resume to continue that run, or choose another folder\n`);
  });

  test('a refused resume adds no run row and leaves the output folder as it was', async () => {
    const out = join(dir, 'resumable');
    const storeFile = join(dir, 'resume-store', 'tunelab.db');
    const first = await runCli(['train', ...glueMrpc.filter((a) => a !== '--no-track'), '--train-file', mrpc, '--batch-size', '2',
      '--max-steps', '1', '--save-every', '1', '--threads', '1', '--precision', 'fp32', '--output-dir', out, '--store', storeFile, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const before = await runsIn(storeFile);
    assert.equal(before.length, 1);
    const listing = readdirSync(out).sort();
    const result = await tunelab(['train', ...glueMrpc.filter((a) => a !== '--no-track'), '--train-file', mrpc, '--batch-size', '2',
      '--max-steps', '1', '--save-every', '1', '--threads', '1', '--precision', 'fp32', '--output-dir', out, '--store', storeFile,
      '--resume', '--seed', '7']);
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, /^error: .*checkpoint-1: cannot resume with different settings \(.*seed: 42 → 7.*\)\n$/);
    assert.deepEqual(await runsIn(storeFile), before, 'no new run row, and the first run is untouched');
    assert.deepEqual(readdirSync(out).sort(), listing);
  });

  test('control: the same flags with good data train, in a child process with the real exit code', async () => {
    const out = join(dir, 'control');
    const result = await runCli(['train', ...glueMrpc, '--train-file', join(GLUE, 'MRPC/dev.tsv'), '--max-train-samples', '16',
      '--batch-size', '8', '--max-steps', '1', '--threads', '1', '--precision', 'fp32', '--output-dir', out, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    const bad = await runCli(['train', ...glueMrpc, '--train-file', join(dir, 'absent.tsv'), '--output-dir', join(dir, 'never')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, `error: ${join(dir, 'absent.tsv')}: no such file\n`);
    assert.equal(bad.stdout, '');
  });
});
