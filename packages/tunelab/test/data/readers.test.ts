import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { glueTsvPath, loadGlue, readGlueTsv } from '../../src/data/glue.js';
import { readConll, readNerJsonl } from '../../src/data/ner.js';
import { readSquadJson } from '../../src/data/squad.js';
import { readTable } from '../../src/data/table.js';
import { GLUE_DIR, SQUAD_DIR } from './shared.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tunelab-readers-'));
function file(name: string, content: string | Buffer): string {
  const target = path.join(dir, name);
  writeFileSync(target, content);
  return target;
}

describe('GLUE TSVs as distributed', () => {
  it('reads MRPC (UTF-8 BOM, stray quotes kept as text, labels 0/1)', () => {
    const dev = readGlueTsv('mrpc', path.join(GLUE_DIR, 'MRPC/dev.tsv'));
    assert.equal(dev.examples.length, 408);
    assert.equal(dev.examples.filter((e) => e.label === 1).length, 279);
    assert.deepEqual(dev.labels, ['not_equivalent', 'equivalent']);
    assert.ok(dev.examples.every((e) => typeof e.textPair === 'string' && !e.text.startsWith('\ufeff')));
    // quotes are text: at least one sentence starts with a double quote that CSV parsing would have eaten
    assert.ok(dev.examples.some((e) => e.textPair!.startsWith('" ')));
    const train = readGlueTsv('mrpc', path.join(GLUE_DIR, 'MRPC/train.tsv'));
    assert.deepEqual([train.examples.length, train.examples.filter((e) => e.label === 1).length], [3667, 2473]);
  });

  it('reads SST-2 (single sentences) and STS-B (scores, regression)', async () => {
    const sst2 = readGlueTsv('sst2', path.join(GLUE_DIR, 'SST-2/dev.tsv'));
    assert.deepEqual([sst2.examples.length, sst2.examples.filter((e) => e.label === 1).length], [872, 444]);
    assert.ok(sst2.examples.every((e) => e.textPair === undefined));
    const stsb = await loadGlue('stsb', 'validation', { dir: path.join(GLUE_DIR, 'STS-B') });
    assert.equal(stsb.kind, 'regression');
    assert.deepEqual(stsb.labels, []);
    const scores = stsb.examples.map((e) => e.label!);
    assert.deepEqual([scores.length, Math.min(...scores), Math.max(...scores)], [1500, 0, 5]);
    assert.equal(Math.round(scores.reduce((a, b) => a + b, 0) * 1000) / 1000, 3545.861);
  });

  it('maps named labels (MNLI, RTE) to nyu-mll/glue ids, and CoLA without a header', () => {
    const mnli = readGlueTsv('mnli', file('dev_matched.tsv', [
      'index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label',
      '0\t1\t1e\tfiction\t(x)\t(y)\t(X)\t(Y)\tA man sleeps.\tA person rests.\tentailment\tentailment',
      '1\t2\t2n\tfiction\t(x)\t(y)\t(X)\t(Y)\tA man sleeps.\tHe dreams.\tneutral\tneutral',
      '2\t3\t3c\tfiction\t(x)\t(y)\t(X)\t(Y)\tA man sleeps.\tHe runs.\tcontradiction\tcontradiction',
    ].join('\n')));
    assert.deepEqual(mnli.examples.map((e) => e.label), [0, 1, 2]);
    assert.deepEqual(mnli.examples.map((e) => e.textPair), ['A person rests.', 'He dreams.', 'He runs.']);
    const rte = readGlueTsv('rte', file('rte.tsv', 'index\tsentence1\tsentence2\tlabel\r\n0\ta\tb\tnot_entailment\r\n'));
    assert.deepEqual(rte.examples.map((e) => [e.text, e.textPair, e.label]), [['a', 'b', 1]]);
    const cola = readGlueTsv('cola', file('cola.tsv', 'gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\ngj04\t0\t*\tThe more does Bill smoke.\n'));
    assert.deepEqual(cola.examples.map((e) => e.label), [1, 0]);
    assert.equal(glueTsvPath('mnli', '/glue/MNLI', 'validation_mismatched'), '/glue/MNLI/dev_mismatched.tsv');
  });

  it('reads the unlabeled test.tsv files by their headers when labels are optional (prediction input)', () => {
    const read = (task: Parameters<typeof readGlueTsv>[0], name: string, lines: string[]) =>
      readGlueTsv(task, file(name, lines.join('\n')), { labelsOptional: true }).examples.map((e) => [e.text, e.textPair ?? null, e.label]);
    assert.deepEqual(read('mrpc', 'mrpc-test.tsv', ['index\t#1 ID\t#2 ID\t#1 String\t#2 String', '0\t11\t12\tOne said.\tOne told.']),
      [['One said.', 'One told.', null]]);
    assert.deepEqual(read('cola', 'cola-test.tsv', ['index\tsentence', '0\tBill smokes.', '1\tThe more.']),
      [['Bill smokes.', null, null], ['The more.', null, null]]);
    assert.deepEqual(read('stsb', 'stsb-test.tsv', [
      'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2', '0\tnews\tf\t2012\t1\tnone\tnone\tA cat.\tA dog.',
    ]), [['A cat.', 'A dog.', null]]);
    assert.deepEqual(read('mnli', 'test_matched.tsv', [
      'index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2',
      '0\t1\t1e\tfiction\t(x)\t(y)\t(X)\t(Y)\tA man sleeps.\tA person rests.',
    ]), [['A man sleeps.', 'A person rests.', null]]);
    assert.deepEqual(read('qqp', 'qqp-test.tsv', ['id\tquestion1\tquestion2', '0\tWhy?\tHow?']), [['Why?', 'How?', null]]);
    // a labeled file stays labeled when labels are optional
    assert.deepEqual(read('rte', 'rte-dev.tsv', ['index\tsentence1\tsentence2\tlabel', '0\ta\tb\tentailment']), [['a', 'b', 0]]);
  });
});

describe('SQuAD JSON', () => {
  it('reads v1.1 (answerable only) and v2.0 (with unanswerable questions)', () => {
    const v1 = readSquadJson(path.join(SQUAD_DIR, 'sample-v1.1.json'));
    assert.equal(v1.version, '1.1');
    assert.equal(v1.examples.length, 293);
    assert.ok(v1.examples.every((e) => e.answers.length > 0));
    const v2 = readSquadJson(path.join(SQUAD_DIR, 'sample-v2.0.json'));
    assert.equal(v2.version, '2.0');
    assert.equal(v2.examples.length, 626);
    assert.equal(v2.examples.filter((e) => e.answers.length === 0).length, 333);
  });

  it('counts answer_start in code points, as Python does', () => {
    const squad = readSquadJson(file('emoji.json', JSON.stringify({ version: 'v2.0', data: [{ title: 't', paragraphs: [{
      context: 'Emoji 😀😀 then Paris.', qas: [{ id: 'q1', question: 'Where?', answers: [{ text: 'Paris', answer_start: 14 }] }],
    }] }] })));
    assert.deepEqual(squad.examples[0].answers, [{ text: 'Paris', answerStart: 14 }]);
    // 16 is where 'Paris' starts in UTF-16 code units: wrong for SQuAD
    assert.throws(() => readSquadJson(file('emoji16.json', JSON.stringify({ data: [{ title: 't', paragraphs: [{
      context: 'Emoji 😀😀 then Paris.', qas: [{ id: 'q1', question: 'Where?', answers: [{ text: 'Paris', answer_start: 16 }] }],
    }] }] }))), /found "ris\."/);
  });
});

describe('NER files', () => {
  it('reads CoNLL columns (token first, tag last), skipping -DOCSTART-', () => {
    const ner = readConll(file('train.conll', '-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n'));
    assert.deepEqual(ner.examples.map((e) => [e.tokens, e.tags]), [
      [['EU', 'rejects'], ['B-ORG', 'O']], [['Peter', 'Blackburn'], ['B-PER', 'I-PER']]]);
    assert.deepEqual(ner.labels, ['B-ORG', 'B-PER', 'I-PER', 'O']);
  });

  it('reads tokens-only prediction input (tags null) only when asked, and refuses files that mix', () => {
    const conll = file('bare.conll', 'EU\nrejects\n\nPeter\n');
    assert.deepEqual(readConll(conll, { tagsOptional: true }).examples.map((e) => [e.tokens, e.tags]), [[['EU', 'rejects'], null], [['Peter'], null]]);
    assert.throws(() => readConll(conll), (e: unknown) => e instanceof DataError && e.message.startsWith(`${conll}:1: expected a token and a tag`));
    const mixed = file('mixed.conll', 'EU B-ORG\n\nPeter\n');
    assert.throws(() => readConll(mixed, { tagsOptional: true }), (e: unknown) => e instanceof DataError &&
      e.message === `${mixed}:3: has no tag, but ${mixed} began with tagged tokens`);
    const jsonl = file('bare.jsonl', '{"tokens": ["Paris", "is"]}\n');
    const data = readNerJsonl(jsonl, { tagsOptional: true, labels: ['O', 'S-LOC'] });
    assert.deepEqual([data.examples[0].tags, data.labels], [null, ['O', 'S-LOC']]);
    const mixedJson = file('mixed.jsonl', '{"tokens": ["a"]}\n{"tokens": ["b"], "tags": ["O"]}\n');
    assert.throws(() => readNerJsonl(mixedJson, { tagsOptional: true }), (e: unknown) => e instanceof DataError &&
      e.message === `${mixedJson}:2: has tags, but ${mixedJson} began with tokens only`);
  });

  it('reads JSON lines with tokens and tags', () => {
    const ner = readNerJsonl(file('ner.jsonl', '{"tokens": ["Paris", "is", "big"], "tags": ["S-LOC", "O", "O"]}\n\n'));
    assert.deepEqual(ner.examples[0].tags, ['S-LOC', 'O', 'O']);
  });
});

describe('custom CSV / TSV / JSONL', () => {
  it('reads CSV with quoting, discovering labels sorted', () => {
    const data = readTable(file('reviews.csv', 'review,stars\n"Great, really",good\n"He said ""wow""",bad\nmeh,bad\n'),
      { textColumn: 'review', labelColumn: 'stars' });
    assert.equal(data.kind, 'classification');
    assert.deepEqual(data.labels, ['bad', 'good']);
    assert.deepEqual(data.examples.map((e) => [e.text, e.label]), [['Great, really', 1], ['He said "wow"', 0], ['meh', 0]]);
    assert.equal(data.examples[1].id, `${dir}/reviews.csv:3`);
  });

  it('sorts integer labels numerically and infers regression from fractional scores', () => {
    const classes = readTable(file('c.tsv', 'a\tb\tlabel\nx\ty\t10\nx\ty\t9\nx\ty\t-1\n'), { textColumn: 'a', textPairColumn: 'b' });
    assert.deepEqual(classes.labels, ['-1', '9', '10']);
    assert.deepEqual(classes.examples.map((e) => e.label), [2, 1, 0]);
    const scores = readTable(file('s.jsonl', '{"t": "x", "label": 0.5}\n{"t": "y", "label": 2}\n'), { textColumn: 't' });
    assert.equal(scores.kind, 'regression');
    assert.deepEqual(scores.examples.map((e) => e.label), [0.5, 2]);
  });

  it('uses the training labels for a validation file', () => {
    const dev = readTable(file('dev.csv', 'text,label\nx,good\n'), { textColumn: 'text', labels: ['bad', 'good'] });
    assert.deepEqual(dev.examples.map((e) => e.label), [1]);
  });
});

describe('bad input: one-line errors that say where and what', () => {
  const MRPC_HEADER = 'Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n';
  const squad = (qa: object, context = 'The cat sat on the mat.') =>
    JSON.stringify({ version: '1.1', data: [{ title: 't', paragraphs: [{ context, qas: [qa] }] }] });
  const cases: [string, () => unknown, string][] = [
    ['GLUE row with too few columns', () => readGlueTsv('mrpc', file('m1.tsv', `${MRPC_HEADER}1\t2\t3\n`)),
      `${dir}/m1.tsv:2: expected 5 tab-separated columns for MRPC (as the header), found 3`],
    ['GLUE row with a sixth column (a stray tab)', () => readGlueTsv('mrpc', file('m6.tsv', `${MRPC_HEADER}1\t1\t2\ta .\tb .\textra\n`)),
      `${dir}/m6.tsv:2: expected 5 tab-separated columns for MRPC (as the header), found 6`],
    ['a NUL byte inside a row', () => readGlueTsv('mrpc', file('nul.tsv', `${MRPC_HEADER}1\t1\t2\ta\0b\tc\n`)),
      `${dir}/nul.tsv:2: NUL byte at byte offset ${MRPC_HEADER.length + 7} (a text file has none; is it UTF-16 or binary?)`],
    ['a CSV header with a name twice', () => readTable(file('dup.csv', 'text,label,text\nx,1,y\n'), { textColumn: 'text' }),
      `${dir}/dup.csv:1: column "text" appears twice in the header`],
    ['JSONL labels mixing 1 and "1"', () => readTable(file('mixed.jsonl', '{"text": "a", "label": 1}\n{"text": "b", "label": "1"}\n'), { textColumn: 'text' }),
      `${dir}/mixed.jsonl:2: label "1" is a string, but the label at ${dir}/mixed.jsonl:1 is a number: use one type`],
    ['SQuAD v2 question that is possible but has no answers', () => readSquadJson(file('s6.json', squad({ id: 'q3', question: 'Who?', is_impossible: false, answers: [] }))),
      `${dir}/s6.json: question q3: is_impossible is false but it has no answers (an unanswerable question has is_impossible: true)`],
    ['GLUE label outside the classes', () => readGlueTsv('mrpc', file('m2.tsv', `${MRPC_HEADER}2\t1\t2\ta\tb\n`)),
      `${dir}/m2.tsv:2: label "2" is not one of 0, 1`],
    ['GLUE named label unknown', () => readGlueTsv('rte', file('r.tsv', 'index\tsentence1\tsentence2\tlabel\n0\ta\tb\tmaybe\n')),
      `${dir}/r.tsv:2: label "maybe" is not one of entailment, not_entailment`],
    ['a file of another task', () => readGlueTsv('mrpc', path.join(GLUE_DIR, 'SST-2/dev.tsv')),
      `${GLUE_DIR}/SST-2/dev.tsv:1: header does not look like GLUE MRPC: expected columns starting "Quality | #1 ID | #2 ID | #1 String", found "sentence | label"`],
    ['STS-B score that is not a number', () => readGlueTsv('stsb', file('st.tsv',
      'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\tg\tf\ty\to\ts\ts\ta\tb\thigh\n')),
      `${dir}/st.tsv:2: score "high" is not a number`],
    ['header only: no examples', () => readGlueTsv('mrpc', file('empty.tsv', MRPC_HEADER)), `${dir}/empty.tsv: no examples`],
    ['CoLA unlabeled test file', () => readGlueTsv('cola', file('test.tsv', 'index\tsentence\n0\tHello.\n')),
      `${dir}/test.tsv:1: the unlabeled GLUE CoLA test file: it can be predicted (\`tunelab predict --input\`, or --test-file), not trained or evaluated on`],
    ['CoLA file of 2 columns', () => readGlueTsv('cola', file('two.tsv', 'a\tb\n')),
      `${dir}/two.tsv:1: not a labeled CoLA file (expected 4 columns: source, label, mark, sentence)`],
    ['GLUE test row with too few columns', () => readGlueTsv('mrpc', file('t1.tsv', 'index\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t1\t2\ta\n'), { labelsOptional: true }),
      `${dir}/t1.tsv:2: expected 5 tab-separated columns (index, #1 ID, #2 ID, #1 String, #2 String), found 4`],
    ['Latin-1 bytes', () => readGlueTsv('sst2', file('latin1.tsv', Buffer.concat([Buffer.from('sentence\tlabel\nok\t1\ncaf'), Buffer.from([0xe9]), Buffer.from(' au lait\t0\n')]))),
      `${dir}/latin1.tsv:3: invalid UTF-8 byte 0xe9 at byte offset 23 (the file must be UTF-8)`],
    ['missing file', () => readGlueTsv('sst2', path.join(dir, 'nope.tsv')), `${dir}/nope.tsv: no such file`],
    ['SQuAD answer_start off by one', () => readSquadJson(file('s1.json', squad({ id: 'q-7', question: 'Who?', answers: [{ text: 'cat', answer_start: 5 }] }))),
      `${dir}/s1.json: question q-7: answer "cat" is not at answer_start 5 of the context (found "at ")`],
    ['SQuAD invalid JSON', () => readSquadJson(file('s2.json', '{"data": [\n  {"title": "t",\n  "paragraphs": [}]}')),
      `${dir}/s2.json:3: invalid JSON: unexpected "}" at column 18`],
    ['SQuAD duplicate question id', () => readSquadJson(file('s3.json', JSON.stringify({ data: [{ title: 't', paragraphs: [{ context: 'c', qas: [
      { id: 'dup', question: 'a', answers: [{ text: 'c', answer_start: 0 }] }, { id: 'dup', question: 'b', answers: [{ text: 'c', answer_start: 0 }] }] }] }] }))),
      `${dir}/s3.json: question dup: duplicate question id`],
    ['SQuAD impossible question with answers', () => readSquadJson(file('s4.json', squad({ id: 'q9', question: 'Who?', is_impossible: true, answers: [{ text: 'cat', answer_start: 4 }] }))),
      `${dir}/s4.json: question q9: is_impossible is true but it has 1 answers`],
    ['SQuAD without data array', () => readSquadJson(file('s5.json', '[]')), `${dir}/s5.json: expected an object with a "data" array (SQuAD format)`],
    ['CoNLL line without a tag', () => readConll(file('n1.conll', 'EU B-ORG\nrejects\n')),
      `${dir}/n1.conll:2: expected a token and a tag separated by whitespace, found "rejects"`],
    ['CoNLL tag that is not IOB', () => readConll(file('n2.conll', 'EU ORG\n')), `${dir}/n2.conll:1: tag "ORG" is not O or B-/I-/E-/S-<type>`],
    ['NER JSONL lengths differ', () => readNerJsonl(file('n3.jsonl', '{"tokens": ["a", "b"], "tags": ["O"]}\n')),
      `${dir}/n3.jsonl:1: tokens and tags differ in length (2 tokens, 1 tags)`],
    ['table without the named column', () => readTable(file('t1.csv', 'text,label\nx,1\n'), { textColumn: 'sentence' }),
      `${dir}/t1.csv:1: no column "sentence" (columns: text, label)`],
    ['table label unseen in training', () => readTable(file('t2.csv', 'text,label\nx,neutral\n'), { textColumn: 'text', labels: ['neg', 'pos'] }),
      `${dir}/t2.csv:2: label "neutral" is not among the training labels (neg, pos)`],
    ['regression label that is not a number', () => readTable(file('t3.jsonl', '{"t": "x", "label": "lots"}\n'), { textColumn: 't', kind: 'regression' }),
      `${dir}/t3.jsonl:1: label "lots" is not a number`],
    ['CSV quote never closed', () => readTable(file('t4.csv', 'text,label\n"x,1\n'), { textColumn: 'text' }),
      `${dir}/t4.csv:2: bad CSV: Quote Not Closed: the parsing is finished with an opening quote at line 2`],
    ['JSONL line that is not JSON', () => readTable(file('t5.jsonl', '{"t": "x", "label": 1}\n{"t": \n'), { textColumn: 't' }),
      `${dir}/t5.jsonl:2: invalid JSON: unexpected end of input at column 7`],
    ['TSV row with a missing field', () => readTable(file('t6.tsv', 'text\tlabel\nx\n'), { textColumn: 'text' }),
      `${dir}/t6.tsv:2: expected 2 tab-separated fields, found 1`],
  ];
  for (const [what, run, message] of cases) {
    it(what, () => {
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof DataError, `expected a DataError, got ${err}`);
        assert.equal(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }
});

describe('readTable without labels (prediction input)', () => {
  it('reads a file without the label column as unlabeled examples, only when asked', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tunelab-unlabeled-'));
    const csv = path.join(dir, 'inputs.csv');
    writeFileSync(csv, 'text\nfirst one\nsecond one\n');
    const data = readTable(csv, { textColumn: 'text', labels: ['neg', 'pos'], labelsOptional: true });
    assert.deepEqual(data.examples.map((e) => [e.id, e.text, e.label]), [[`${csv}:2`, 'first one', null], [`${csv}:3`, 'second one', null]]);
    assert.deepEqual(data.labels, ['neg', 'pos']);
    assert.throws(() => readTable(csv, { textColumn: 'text' }), (err: unknown) =>
      err instanceof DataError && err.message === `${csv}:1: no column "label" (columns: text)`);
  });
});
