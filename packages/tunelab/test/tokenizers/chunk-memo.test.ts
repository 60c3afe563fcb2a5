// encodeIdsBatch's chunk memo (src/tokenizers/chunk-memo.ts) must give exactly what the native library gives for
// whole texts: real text from ../shared and hostile lines, through several BERT-style tokenizer.json variants, in
// batches so that later ones hit the memo. Tokenizers that are not chunkwise (byte-level BPE) keep the native path.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { byteLevelAlphabet, Tokenizer as NativeTokenizer } from 'tokenizers';
import { readGlueTsv } from '../../src/data/glue.js';
import { readSquadJson } from '../../src/data/squad.js';
import { ChunkMemo, chunkSeparator, type TokenizerJson } from '../../src/tokenizers/chunk-memo.js';
import { Tokenizer } from '../../src/tokenizers/tokenizer.js';
import { BERT_DIR, GLUE_DIR, SQUAD_DIR } from '../data/shared.js';

const HOSTILE = [
  'Héllo Wörld café naïve Ångström façade Øresund', 'ΟΔΥΣΣΕΥΣ ΣΊΣΥΦΟΣ σοφός', 'İstanbul ǅemal Straße ﬁne ＡＢＣ',
  '我爱北京天安门 東京タワーへ行く 한국어 텍스트', 'emoji 👍🏽 family 👨‍👩‍👧 flags 🇫🇷 ok', 'a\u0000b \u0001c\u0007 d\u001f e\u007f',
  'zero\u200bwidth join\u200dner soft\u00adhyphen \u200e\u200f marks a\u180eb', '\ufeffstart mid\ufeffdle \ufeff alone \ufeff',
  'next\u0085line \u0085 end\u0085', 'vertical\u000btab form\u000cfeed \u000b \u000c', 'cr\rlf\n', 'non\u00a0breaking \u00a0 space', 'tab\tseparated\t\tvalues\t', '  lead   and   trail  ',
  '\u3000ideographic\u3000space\u2028line sep\u2029para\u202fnarrow\u205fmath\u1680ogham\u2003em',
  `short ${'a'.repeat(100)} exactly ${'b'.repeat(101)} over ${'c'.repeat(150)}!`, `${'é'.repeat(101)} ${'x'.repeat(99)}!!`,
  '', ' ', '\t', '\u0085', '\ufeff', '!!!???... ,,, ;;', '"quoted," (paren) [bracket] {brace} — dash – en… «guillemets»',
  "don't won't it's rock'n'roll", 'e-mail@example.com https://example.com/a_b?c=d&e=%20 #hash $5.99 3.14 1,000,000',
  '[MASK] is [CLS]x[SEP] [mask] [ MASK ] un[MASK]able [UNK][PAD]', 'a \u0301b \u0301 e\u0301 \u0301\u0301',
  'lone \ud800 surrogate x\udc00y', '\u00e9\u0301 ª º ½ ² ℃ Ⅻ', 'tunelab c++ TuneLab tune lab', 'CamelCaseWord snake_case_word',
];

/** The texts of ../shared: SST-2 and MRPC sentences, STS-B pairs, SQuAD contexts (read in place). */
function sharedTexts(): string[] {
  const sst2 = readGlueTsv('sst2', path.join(GLUE_DIR, 'SST-2/dev.tsv')).examples.map((e) => e.text);
  const pairs = (task: 'mrpc' | 'stsb', folder: string) => readGlueTsv(task, path.join(GLUE_DIR, folder, 'dev.tsv')).examples
    .flatMap((e) => [e.text, e.textPair!]);
  const squad = readSquadJson(path.join(SQUAD_DIR, 'sample-v1.1.json'));
  const contexts = [...new Set(squad.examples.map((e) => e.context))];
  assert.ok(contexts.length > 20);
  return [...sst2, ...pairs('mrpc', 'MRPC'), ...pairs('stsb', 'STS-B'), ...contexts];
}

type Ids = { ids: number[]; wordIds: number[] };

/** What the native library gives for whole texts with special tokens (word id -1 at special tokens). */
async function nativeIds(native: NativeTokenizer, texts: string[]): Promise<Ids[]> {
  return (await native.encodeBatch(texts)).map((e) => ({ ids: e.getIds(), wordIds: e.getWordIds().map((w) => w ?? -1) }));
}

async function memoIds(tokenizer: Tokenizer, texts: string[], batch: number): Promise<Ids[]> {
  const out: Ids[] = [];
  for (let start = 0; start < texts.length; start += batch) {
    for (const e of await tokenizer.encodeIdsBatch(texts.slice(start, start + batch))) {
      out.push({ ids: [...e.ids], wordIds: [...e.wordIds] });
    }
  }
  return out;
}

function assertSameLines(actual: Ids[], expected: Ids[], texts: string[], what: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((got, i) => assert.deepEqual(got, expected[i], `${what}, line ${i}: ${JSON.stringify(texts[i].slice(0, 80))}`));
}

/** The parts of tokenizer.json the variants change. */
interface JsonFile {
  normalizer: Record<string, unknown> | null;
  pre_tokenizer: Record<string, unknown> | null;
  model: Record<string, unknown>;
  added_tokens: Record<string, unknown>[];
}

let dir: string;
let bertJson: JsonFile;
let texts: string[];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tunelab-chunk-memo-'));
  bertJson = JSON.parse(await readFile(path.join(BERT_DIR, 'tokenizer.json'), 'utf8'));
  texts = [...HOSTILE, ...sharedTexts(), ...HOSTILE];
});
after(() => rm(dir, { recursive: true, force: true }));

async function variantFile(name: string, change: (json: JsonFile) => void): Promise<string> {
  const json = structuredClone(bertJson);
  change(json);
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(json));
  return file;
}

const ADDED = [
  { id: 30522, content: 'tunelab', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
  { id: 30523, content: 'c++', single_word: true, lstrip: false, rstrip: false, normalized: false, special: false },
];

const VARIANTS: [string, (json: JsonFile) => void][] = [
  ['bert-base-uncased as is', () => {}],
  ['cased, accents kept', (json) => { Object.assign(json.normalizer!, { lowercase: false, strip_accents: false }); }],
  ['no clean_text, no CJK spacing', (json) => { Object.assign(json.normalizer!, { clean_text: false, handle_chinese_chars: false }); }],
  ['added tokens (normalised, single-word)', (json) => { json.added_tokens.push(...ADDED); }],
  ['no normaliser, WhitespaceSplit', (json) => { json.normalizer = null; json.pre_tokenizer = { type: 'WhitespaceSplit' }; }],
  ['Whitespace pre-tokenizer', (json) => { json.pre_tokenizer = { type: 'Whitespace' }; }],
];

describe('the chunk memo gives the native encodings, line by line', () => {
  for (const [name, change] of VARIANTS) {
    it(name, async () => {
      const file = await variantFile(name.replace(/\W+/g, '-'), change);
      const tokenizer = await Tokenizer.fromFile(file);
      assert.notEqual(tokenizer.chunkMemoHitRate, null, 'this tokenizer takes the memo path');
      const expected = await nativeIds(NativeTokenizer.fromFile(file), texts);
      assertSameLines(await memoIds(tokenizer, texts, 700), expected, texts, name);
      // the second half of the text repeats words of the first: most chunks come from the memo
      assert.ok(tokenizer.chunkMemoHitRate! > 0.5, `hit rate ${tokenizer.chunkMemoHitRate}`);
    });
  }

  it('from vocab.txt and with do_lower_case overridden by tokenizer_config.json', async () => {
    const fromVocab = await Tokenizer.fromWordPieceVocab({ file: path.join(BERT_DIR, 'vocab.txt') });
    assert.notEqual(fromVocab.chunkMemoHitRate, null);
    const expected = await nativeIds(NativeTokenizer.fromFile(path.join(BERT_DIR, 'tokenizer.json')), texts);
    assertSameLines(await memoIds(fromVocab, texts, 4096), expected, texts, 'vocab.txt');

    // the rebuilt normaliser cleans text (U+0085 then joins words) even where tokenizer.json's did not
    const uncleaned = await variantFile('no-clean-text', (json) => { json.normalizer!.clean_text = false; });
    const cased = await Tokenizer.fromFile(uncleaned, { doLowerCase: false });
    const casedFile = await variantFile('cased-override', (json) => { Object.assign(json.normalizer!, { lowercase: false, strip_accents: false }); });
    assertSameLines(await memoIds(cased, HOSTILE, 10), await nativeIds(NativeTokenizer.fromFile(casedFile), HOSTILE), HOSTILE, 'cased override');
  });

  it('stays exact when the memo fills up and starts over, with batches in flight together', async () => {
    const native = NativeTokenizer.fromFile(path.join(BERT_DIR, 'tokenizer.json'));
    const tokenizer = await Tokenizer.fromFile(path.join(BERT_DIR, 'tokenizer.json'));
    const template = [{ kind: 'special', id: tokenizer.clsTokenId }, { kind: 'sequence' }, { kind: 'special', id: tokenizer.sepTokenId }] as const;
    let nativeCalls = 0;
    const memo = new ChunkMemo(chunkSeparator(bertJson)!, (chunks) => { nativeCalls++; return native.encodeBatch(chunks, { addSpecialTokens: false }); }, 50);
    const batches = Array.from({ length: Math.ceil(texts.length / 300) }, (_, b) => texts.slice(b * 300, (b + 1) * 300));
    const results = await Promise.all(batches.map((batch) => memo.encode(batch, template)));
    const actual = results.flat().map((e) => ({ ids: [...e.ids], wordIds: [...e.wordIds] }));
    assertSameLines(actual, await nativeIds(native, texts), texts, 'memo of 50 chunks');
    assert.equal(nativeCalls, batches.length, 'one native call per batch, for its unseen chunks');
  });
});

describe('which tokenizers encode chunk by chunk (decided from tokenizer.json)', () => {
  const bert = (change: (json: JsonFile) => void): TokenizerJson => {
    const json = structuredClone(bertJson);
    change(json);
    return json;
  };
  it('BERT-style configurations do', () => {
    for (const [, change] of VARIANTS) assert.notEqual(chunkSeparator(bert(change)), null);
    // Rust's whitespace, not JS \s: U+FEFF never separates; U+0085 does unless clean_text deletes it first
    const cleaned = chunkSeparator(bert(() => {}))!;
    const raw = chunkSeparator(bert((json) => { json.normalizer = null; }))!;
    assert.deepEqual(['a\ufeffb', 'a\u0085b', 'a\u000bb', 'a\u00a0b', 'a\u3000b'].map((text) => text.split(cleaned).length),
      [1, 1, 1, 2, 2]);
    assert.deepEqual(['a\ufeffb', 'a\u0085b', 'a\u000bb', 'a\u00a0b', 'a\u3000b'].map((text) => text.split(raw).length),
      [1, 2, 2, 2, 2]);
  });
  it('others do not', () => {
    const others: [string, (json: JsonFile) => void][] = [
      ['Metaspace', (json) => { json.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' }; }],
      ['ByteLevel', (json) => { json.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: false }; }],
      ['no pre-tokenizer', (json) => { json.pre_tokenizer = null; }],
      ['a Sequence pre-tokenizer', (json) => { json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }] }; }],
      ['NFKC normaliser', (json) => { json.normalizer = { type: 'NFKC' }; }],
      ['BPE model', (json) => { json.model = { type: 'BPE', vocab: {}, merges: [] }; }],
      ['Unigram model', (json) => { json.model = { type: 'Unigram', vocab: [] }; }],
      ['an added token with a space', (json) => { json.added_tokens.push({ ...ADDED[0], content: 'new york' }); }],
      ['an added token with U+0085', (json) => { json.added_tokens.push({ ...ADDED[0], content: 'a\u0085b' }); }],
      ['an added token that strips spaces', (json) => { json.added_tokens.push({ ...ADDED[0], lstrip: true }); }],
      ['a normalised CJK added token', (json) => { json.added_tokens.push({ ...ADDED[0], content: '北京' }); }],
    ];
    for (const [name, change] of others) assert.equal(chunkSeparator(bert(change)), null, name);
  });

  it('a byte-level BPE tokenizer (RoBERTa style) keeps the native path and its output', async () => {
    const file = path.join(dir, 'byte-level-bpe.json');
    await writeFile(file, JSON.stringify(byteLevelBpeJson()));
    const native = NativeTokenizer.fromFile(file);
    // chunk by chunk would be wrong here: a word after a space is encoded with its space (Ġthe), alone without
    const together = (await native.encode('the the', null, { addSpecialTokens: false })).getIds();
    const alone = (await native.encode('the', null, { addSpecialTokens: false })).getIds();
    assert.notDeepEqual(together, [...alone, ...alone]);
    const tokenizer = await Tokenizer.fromFile(file);
    assert.equal(tokenizer.chunkMemoHitRate, null);
    const lines = ['the the and', ' and the', 'thé  and\tthe', ...HOSTILE.slice(0, 12)];
    assertSameLines(await memoIds(tokenizer, lines, 5), await nativeIds(native, lines), lines, 'byte-level BPE');
  });
});

/** A tiny RoBERTa-style tokenizer.json: byte-level pre-tokenizer and BPE with a few merges. */
function byteLevelBpeJson(): Record<string, unknown> {
  const specials = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'];
  const merges = ['t h', 'th e', 'Ġ the', 'a n', 'an d', 'Ġ and'];
  const tokens = [...specials, ...byteLevelAlphabet().sort(), ...merges.map((m) => m.replace(' ', ''))];
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: content === '<mask>', rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, vocab: Object.fromEntries(tokens.map((token, id) => [token, id])), merges,
    },
  };
}
