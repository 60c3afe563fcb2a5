// The tokenizer: Hugging Face's `tokenizers` (Rust, through its npm binding) normalises, splits and maps text to ids;
// this class does the rest in JS: truncation and overflow windows (ported from tokenizers' `truncate_encodings` and
// `Encoding::truncate`), and adding special tokens by the tokenizer's own template. The binding's versions of these
// abort the process on a bad stride, give overflow windows segment ids of 0 (huggingface/tokenizers#1908), lose
// sequence ids of a truncated first text and drop context windows; here they fail with a message or are right.
// Also: word ids for pre-split words, and save_pretrained-compatible files.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  bertNormalizer,
  bertPreTokenizer,
  Tokenizer as NativeTokenizer,
  templateProcessing,
  WordPiece,
  wordPieceDecoder,
  type Encoding as NativeEncoding,
} from 'tokenizers';
import { ChunkMemo, chunkSeparator, type TokenizerJson } from './chunk-memo.js';
import { firstLineOf } from '../errors.js';
import { TokenizerError } from './errors.js';
import { codePointLength } from './offsets.js';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface EncodeOptions {
  /** Add the model's special tokens (`[CLS] A [SEP] B [SEP]` for BERT). Default true. */
  addSpecialTokens?: boolean;
  /** Longest encoding, special tokens included. Giving it without `truncation` means 'longest_first'. */
  maxLength?: number;
  /** Which sequence loses tokens when the input is longer than `maxLength`; false keeps everything (default). */
  truncation?: TruncationStrategy | false;
  /** Tokens repeated between consecutive overflow windows (HF's `stride`, run_qa's `doc_stride`). Default 0. */
  stride?: number;
  /** Keep the windows after the first one in `overflowing`; otherwise they are dropped. Default false. */
  returnOverflowing?: boolean;
}

export type Offset = [start: number, end: number];

/** One encoded input. Keys are the model's input names; offsets count code points of the sequence's own text. */
export interface Encoding {
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  special_tokens_mask: number[];
  /** [start, end) in code points of the text of `sequence_ids[i]` ([0, 0] for special tokens). */
  offsets: Offset[];
  /** 0 or 1: which input the token comes from; null for special tokens. */
  sequence_ids: (0 | 1 | null)[];
  /** Index of the word (pre-token, or input word for `encodeWordsBatch`) a token comes from; null for special tokens. */
  word_ids: (number | null)[];
  tokens: string[];
  /** The windows after this one when `returnOverflowing` was set (each with an empty `overflowing`). */
  overflowing: Encoding[];
}

export type SpecialTokenRole = 'cls' | 'sep' | 'pad' | 'mask' | 'unk';
export const SPECIAL_TOKEN_ROLES: readonly SpecialTokenRole[] = ['cls', 'sep', 'pad', 'mask', 'unk'];
export interface SpecialToken {
  token: string;
  id: number;
}
export type SpecialTokens = Record<SpecialTokenRole, SpecialToken | null>;

/** How the text is normalised, as a BERT normaliser describes it (null: the tokenizer has another normaliser). */
export interface BertNormalization {
  lowercase: boolean;
  stripAccents: boolean;
  handleChineseChars: boolean;
}

export interface TokenizerSettings {
  /** Token strings for each role (from tokenizer_config.json); roles left out are looked up by their usual names. */
  specialTokens?: Partial<Record<SpecialTokenRole, string>>;
  modelMaxLength?: number | null;
}

export interface WordPieceOptions extends TokenizerSettings {
  lowercase?: boolean;
  /** Default: same as `lowercase` (BERT's rule). */
  stripAccents?: boolean;
  handleChineseChars?: boolean;
  /** Words longer than this (in characters) become the unknown token, as in BERT. Default 100. */
  maxInputCharsPerWord?: number;
}

const USUAL_NAMES: Record<SpecialTokenRole, string[]> = {
  cls: ['[CLS]', '<s>'],
  sep: ['[SEP]', '</s>'],
  pad: ['[PAD]', '<pad>'],
  mask: ['[MASK]', '<mask>'],
  unk: ['[UNK]', '<unk>'],
};

const RAW = { addSpecialTokens: false } as const;

interface NativeDescription {
  modelType: string;
  normalization: BertNormalization | null;
  /** What separates the chunks encoding is compositional over; null if it is not (see chunk-memo.ts). */
  chunkSeparator: RegExp | null;
}

export class Tokenizer {
  /** encodeIdsBatch's memo of encoded chunks; null when the tokenizer is not chunkwise (then the native batch path). */
  private readonly chunkMemo: ChunkMemo | null;

  private constructor(
    private readonly native: NativeTokenizer,
    private readonly description: NativeDescription,
    readonly specialTokens: SpecialTokens,
    /** Longest input the model was trained for, from tokenizer_config.json; null when unknown. */
    readonly modelMaxLength: number | null,
    private readonly template: Template,
  ) {
    const separator = description.chunkSeparator;
    this.chunkMemo = separator ? new ChunkMemo(separator, (chunks) => this.native.encodeBatch(chunks, RAW)) : null;
  }

  /** Loads a tokenizer.json; `settings` come from tokenizer_config.json (see AutoTokenizer). */
  static async fromFile(tokenizerJson: string, settings: TokenizerSettings & { doLowerCase?: boolean } = {}):
    Promise<Tokenizer> {
    let json: TokenizerJson & { model?: { type?: string; vocab?: unknown }; normalizer?: Record<string, unknown> | null };
    let native: NativeTokenizer;
    try {
      json = JSON.parse(await readFile(tokenizerJson, 'utf8'));
      native = NativeTokenizer.fromFile(tokenizerJson);
    } catch (err) {
      throw new TokenizerError(`${tokenizerJson}: not a tokenizer.json: ${firstLineOf(err)}`);
    }
    let normalization = readBertNormalization(json.normalizer ?? null);
    const modelType = json.model?.type ?? (json.model?.vocab !== undefined ? 'WordPiece' : 'unknown');
    // transformers' BertTokenizerFast rebuilds the normaliser when tokenizer_config.json's do_lower_case disagrees
    // with tokenizer.json (accents follow lowercasing unless set); do the same so both files mean one thing.
    if (normalization && settings.doLowerCase !== undefined && settings.doLowerCase !== normalization.lowercase) {
      normalization = { ...normalization, lowercase: settings.doLowerCase, stripAccents: settings.doLowerCase };
      native.setNormalizer(bertNormalizer({ cleanText: true, ...normalization }));
      json = { ...json, normalizer: { type: 'BertNormalizer', clean_text: true } };
    }
    return Tokenizer.create(native, { modelType, normalization, chunkSeparator: chunkSeparator(json) }, settings);
  }

  /** Builds a BERT WordPiece tokenizer from a vocabulary (vocab.txt lines, or a trained vocabulary). */
  static async fromWordPieceVocab(vocab: string[] | { file: string }, options: WordPieceOptions = {}):
    Promise<Tokenizer> {
    const unkToken = options.specialTokens?.unk ?? '[UNK]';
    const modelOptions = { unkToken, continuingSubwordPrefix: '##', maxInputCharsPerWord: options.maxInputCharsPerWord ?? 100 };
    let model;
    if (Array.isArray(vocab)) {
      const ids: Record<string, number> = {};
      vocab.forEach((token, id) => { ids[token] = id; });
      model = WordPiece.init(ids, modelOptions);
    } else {
      try {
        model = await WordPiece.fromFile(vocab.file, modelOptions);
      } catch (err) {
        throw new TokenizerError(`${vocab.file}: cannot read the WordPiece vocabulary: ${firstLineOf(err)}`);
      }
    }
    const native = new NativeTokenizer(model);
    const lowercase = options.lowercase ?? true;
    const normalization = {
      lowercase,
      stripAccents: options.stripAccents ?? lowercase,
      handleChineseChars: options.handleChineseChars ?? true,
    };
    native.setNormalizer(bertNormalizer({ cleanText: true, ...normalization }));
    native.setPreTokenizer(bertPreTokenizer());
    native.setDecoder(wordPieceDecoder('##', true));
    const tokens = resolveSpecialTokens(native, options.specialTokens ?? {});
    const { cls, sep } = tokens;
    if (!cls || !sep) {
      throw new TokenizerError(`the vocabulary has no ${!cls ? 'CLS' : 'SEP'} token (${USUAL_NAMES[!cls ? 'cls' : 'sep'].join(' or ')})`);
    }
    native.setPostProcessor(templateProcessing(
      `${cls.token}:0 $A:0 ${sep.token}:0`,
      `${cls.token}:0 $A:0 ${sep.token}:0 $B:1 ${sep.token}:1`,
      [[cls.token, cls.id], [sep.token, sep.id]],
    ));
    // Special tokens are matched before normalisation, so "[MASK]" in a text is the mask token (as in BERT).
    native.addSpecialTokens(SPECIAL_TOKEN_ROLES.flatMap((role) => (tokens[role] ? [tokens[role].token] : [])));
    const separator = chunkSeparator({
      normalizer: { type: 'BertNormalizer', clean_text: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      model: { type: 'WordPiece' },
      added_tokens: SPECIAL_TOKEN_ROLES.flatMap((role) => (tokens[role] ? [{ content: tokens[role].token, normalized: false }] : [])),
    });
    return Tokenizer.create(native, { modelType: 'WordPiece', normalization, chunkSeparator: separator }, options);
  }

  private static async create(native: NativeTokenizer, description: NativeDescription, settings: TokenizerSettings):
    Promise<Tokenizer> {
    // Truncation and padding are done per call below; settings saved in tokenizer.json would apply twice.
    native.disableTruncation();
    native.disablePadding();
    const specialTokens = resolveSpecialTokens(native, settings.specialTokens ?? {});
    return new Tokenizer(native, description, specialTokens, settings.modelMaxLength ?? null, await probeTemplate(native));
  }

  /** Vocabulary size, added tokens included (the size of the model's word embedding needs to be at least this). */
  get vocabSize(): number {
    return this.native.getVocabSize(true);
  }

  /**
   * Share of whitespace-separated chunks encodeIdsBatch found in its memo so far (benchmarks report it); null when
   * this tokenizer is not chunkwise and encodeIdsBatch calls the native batch encoder on whole texts.
   */
  get chunkMemoHitRate(): number | null {
    return this.chunkMemo?.hitRate ?? null;
  }

  /** The BERT normaliser's settings, or null when the tokenizer normalises otherwise. */
  get normalization(): BertNormalization | null {
    return this.description.normalization;
  }

  get clsTokenId(): number { return this.requireSpecial('cls'); }
  get sepTokenId(): number { return this.requireSpecial('sep'); }
  get padTokenId(): number { return this.requireSpecial('pad'); }
  get maskTokenId(): number { return this.requireSpecial('mask'); }
  get unkTokenId(): number { return this.requireSpecial('unk'); }

  /** Special tokens added around one input (pair false) or a pair ([CLS] A [SEP] B [SEP]: 3). */
  numSpecialTokens(pair: boolean): number {
    return (pair ? this.template.pair : this.template.single).filter((piece) => piece.kind === 'special').length;
  }

  tokenToId(token: string): number | null {
    return this.native.tokenToId(token) ?? null;
  }

  idToToken(id: number): string | null {
    return this.native.idToToken(id) ?? null;
  }

  /** Encodes a text or a pair (question + context, sentence 1 + sentence 2). */
  async encode(text: string, textPair?: string | null, options: EncodeOptions = {}): Promise<Encoding> {
    const hasPair = textPair !== undefined && textPair !== null;
    const [first, second] = await Promise.all([
      this.native.encode(text, null, RAW),
      hasPair ? this.native.encode(textPair, null, RAW) : null,
    ]);
    return this.finish(rawSequence(first), second ? rawSequence(second) : null, options);
  }

  /** Encodes many inputs at once (tokenized in parallel by the native library; repeated texts, e.g. a QA context, once). */
  async encodeBatch(inputs: readonly (string | readonly [string, string])[], options: EncodeOptions = {}):
    Promise<Encoding[]> {
    const unique = new Map<string, number>();
    for (const input of inputs) {
      for (const text of typeof input === 'string' ? [input] : input) if (!unique.has(text)) unique.set(text, unique.size);
    }
    const raw = (await this.native.encodeBatch([...unique.keys()], RAW)).map(rawSequence);
    const sequence = (text: string) => raw[unique.get(text)!];
    return inputs.map((input) => (typeof input === 'string'
      ? this.finish(sequence(input), null, options)
      : this.finish(sequence(input[0]), sequence(input[1]), options)));
  }

  /**
   * Ids and word ids (-1 at special tokens) of many single texts with the template's special tokens, no truncation:
   * the lean path for corpora (masked-LM pre-training), which builds no offsets, token strings or masks. BERT-style
   * tokenizers go through a memo of whitespace-separated chunks (same output, fewer native calls: chunk-memo.ts).
   */
  async encodeIdsBatch(texts: readonly string[]): Promise<{ ids: Int32Array; wordIds: Int32Array }[]> {
    const pieces = this.template.single;
    if (this.chunkMemo) return this.chunkMemo.encode(texts, pieces);
    const native = await this.native.encodeBatch([...texts], RAW);
    return native.map((encoding) => {
      const ids = encoding.getIds();
      const words = encoding.getWordIds();
      const length = ids.length + pieces.length - 1;
      const out = { ids: new Int32Array(length), wordIds: new Int32Array(length) };
      let at = 0;
      for (const piece of pieces) {
        if (piece.kind === 'special') {
          out.ids[at] = piece.id;
          out.wordIds[at++] = -1;
          continue;
        }
        out.ids.set(ids, at);
        for (let i = 0; i < words.length; i++) out.wordIds[at + i] = words[i] ?? -1;
        at += ids.length;
      }
      return out;
    });
  }

  /**
   * Encodes texts already split into words (NER), as HF's `is_split_into_words`: `word_ids` index each input's words.
   * Offsets are into the words joined by single spaces.
   */
  async encodeWordsBatch(inputs: readonly (readonly string[])[], options: EncodeOptions = {}): Promise<Encoding[]> {
    const encodings = await this.encodeBatch(inputs.map((words) => words.join(' ')), options);
    return encodings.map((encoding, i) => {
      const starts: number[] = [];
      let position = 0;
      for (const word of inputs[i]) {
        starts.push(position);
        position += codePointLength(word) + 1;
      }
      for (const window of [encoding, ...encoding.overflowing]) {
        window.word_ids = window.offsets.map(([start], t) =>
          window.sequence_ids[t] === null ? null : wordAt(starts, start));
      }
      return encoding;
    });
  }

  async decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): Promise<string> {
    return this.native.decode([...ids], options.skipSpecialTokens ?? true);
  }

  /**
   * Writes tokenizer.json, tokenizer_config.json, special_tokens_map.json and (WordPiece) vocab.txt, each
   * atomically, so that transformers' AutoTokenizer and this class load the folder alike.
   */
  async savePretrained(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const files: [string, string][] = [];
    const tokenizerJson = path.join(dir, `.tokenizer.json.tmp-${process.pid}`);
    this.native.save(tokenizerJson, true);
    try {
      files.push(['tokenizer.json', await readFile(tokenizerJson, 'utf8')]);
    } finally {
      await rm(tokenizerJson, { force: true });
    }
    if (this.description.modelType === 'WordPiece') files.push(['vocab.txt', this.vocabFileText()]);
    const specialMap: Record<string, string> = {};
    for (const role of SPECIAL_TOKEN_ROLES) {
      const special = this.specialTokens[role];
      if (special) specialMap[`${role}_token`] = special.token;
    }
    const config: Record<string, unknown> = { ...specialMap };
    const norm = this.description.normalization;
    if (norm) {
      Object.assign(config, {
        tokenizer_class: 'BertTokenizer',
        do_lower_case: norm.lowercase,
        strip_accents: norm.stripAccents === norm.lowercase ? null : norm.stripAccents,
        tokenize_chinese_chars: norm.handleChineseChars,
      });
    }
    if (this.modelMaxLength !== null) config.model_max_length = this.modelMaxLength;
    config.clean_up_tokenization_spaces = true;
    files.push(['tokenizer_config.json', JSON.stringify(config, null, 2) + '\n']);
    files.push(['special_tokens_map.json', JSON.stringify(specialMap, null, 2) + '\n']);
    for (const [name, text] of files) await writeAtomically(path.join(dir, name), text);
  }

  private vocabFileText(): string {
    const vocab = this.native.getVocab(true);
    const byId: string[] = [];
    for (const [token, id] of Object.entries(vocab)) byId[id] = token;
    for (let id = 0; id < byId.length; id++) {
      if (byId[id] === undefined) throw new TokenizerError(`cannot write vocab.txt: no token has id ${id}`);
    }
    return byId.join('\n') + '\n';
  }

  private requireSpecial(role: SpecialTokenRole): number {
    const special = this.specialTokens[role];
    if (!special) throw new TokenizerError(`this tokenizer has no ${role} token (looked for ${USUAL_NAMES[role].join(', ')})`);
    return special.id;
  }

  private finish(a: RawSequence, b: RawSequence | null, options: EncodeOptions): Encoding {
    const pieces = (b ? this.template.pair : this.template.single)
      .filter((piece) => piece.kind === 'sequence' || (options.addSpecialTokens ?? true));
    const strategy = options.truncation ?? (options.maxLength !== undefined ? 'longest_first' : false);
    if (!strategy) return assemble(pieces, [a, b], [[0, a.ids.length], [0, b?.ids.length ?? 0]]);
    const stride = options.stride ?? 0;
    const added = pieces.length - (b ? 2 : 1);
    const kept = truncatedLengths(a.ids.length, b?.ids.length ?? null, options.maxLength, added, strategy);
    checkStride(stride, kept, a.ids.length, b?.ids.length ?? null);
    const cutA = kept[0] < a.ids.length;
    const cutB = b !== null && kept[1] < b.ids.length;
    if (cutA && cutB && options.returnOverflowing) {
      throw new TokenizerError("overflow windows need one text to be cut: use truncation 'only_first' or 'only_second'");
    }
    const whole: Range = [0, b?.ids.length ?? 0];
    const windows: [Range, Range][] = cutA
      ? windowRanges(a.ids.length, kept[0], stride).map((range) => [range, cutB ? [0, kept[1]] : whole])
      : cutB ? windowRanges(b.ids.length, kept[1], stride).map((range) => [[0, a.ids.length], range])
      : [[[0, a.ids.length], whole]];
    const main = assemble(pieces, [a, b], windows[0]);
    if (options.returnOverflowing) main.overflowing = windows.slice(1).map((ranges) => assemble(pieces, [a, b], ranges));
    return main;
  }
}

type Range = [start: number, end: number];

/** One special token or one input sequence, in the order the tokenizer's post-processor lays them out. */
type Piece =
  | { kind: 'special'; id: number; token: string; typeId: number }
  | { kind: 'sequence'; sequence: 0 | 1; typeId: number };

interface Template {
  single: Piece[];
  pair: Piece[];
}

/** A text tokenized without special tokens. */
interface RawSequence {
  ids: number[];
  tokens: string[];
  offsets: Offset[];
  wordIds: (number | null)[];
}

/**
 * The post-processor's layout ([CLS] A [SEP] B [SEP] for BERT, <s> A </s></s> B </s> for RoBERTa), read off the
 * native encoding of one-token texts (the native pair encoder reports sequence and type ids correctly there).
 */
async function probeTemplate(native: NativeTokenizer): Promise<Template> {
  const probe = async (pair: boolean): Promise<Piece[]> => {
    const encoding = await native.encode('a', pair ? 'b' : null);
    const specialMask = encoding.getSpecialTokensMask();
    const sequenceIds = encoding.getSequenceIds();
    const ids = encoding.getIds();
    const tokens = encoding.getTokens();
    const typeIds = encoding.getTypeIds();
    const pieces: Piece[] = [];
    specialMask.forEach((special, i) => {
      const sequence = sequenceIds[i];
      if (special === 1) {
        pieces.push({ kind: 'special', id: ids[i], token: tokens[i], typeId: typeIds[i] });
        return;
      }
      if (sequence !== 0 && sequence !== 1) throw new TokenizerError('cannot read the special-token layout of this tokenizer');
      const last = pieces[pieces.length - 1];
      if (!(last?.kind === 'sequence' && last.sequence === sequence)) pieces.push({ kind: 'sequence', sequence, typeId: typeIds[i] });
    });
    const sequences = pieces.filter((piece) => piece.kind === 'sequence').length;
    if (sequences !== (pair ? 2 : 1)) throw new TokenizerError('cannot read the special-token layout: "a" encodes to nothing');
    return pieces;
  };
  return { single: await probe(false), pair: await probe(true) };
}

function rawSequence(encoding: NativeEncoding): RawSequence {
  return {
    ids: encoding.getIds(),
    tokens: encoding.getTokens(),
    offsets: encoding.getOffsets() as Offset[],
    wordIds: encoding.getWordIds().map((id) => id ?? null),
  };
}

/** Lays out one window: the template's special tokens around the given token ranges of each text. */
function assemble(pieces: Piece[], sequences: [RawSequence, RawSequence | null], ranges: [Range, Range]): Encoding {
  const out: Encoding = {
    input_ids: [], token_type_ids: [], attention_mask: [], special_tokens_mask: [], offsets: [], sequence_ids: [],
    word_ids: [], tokens: [], overflowing: [],
  };
  for (const piece of pieces) {
    if (piece.kind === 'special') {
      out.input_ids.push(piece.id);
      out.token_type_ids.push(piece.typeId);
      out.special_tokens_mask.push(1);
      out.offsets.push([0, 0]);
      out.sequence_ids.push(null);
      out.word_ids.push(null);
      out.tokens.push(piece.token);
      continue;
    }
    const sequence = sequences[piece.sequence]!;
    const [start, end] = ranges[piece.sequence];
    for (let t = start; t < end; t++) {
      out.input_ids.push(sequence.ids[t]);
      out.token_type_ids.push(piece.typeId);
      out.special_tokens_mask.push(0);
      out.offsets.push(sequence.offsets[t]);
      out.sequence_ids.push(piece.sequence);
      out.word_ids.push(sequence.wordIds[t]);
      out.tokens.push(sequence.tokens[t]);
    }
  }
  out.attention_mask = out.input_ids.map(() => 1);
  return out;
}

/** Windows of `keep` tokens starting every `keep - stride` tokens until one reaches the end (Encoding::truncate). */
function windowRanges(length: number, keep: number, stride: number): Range[] {
  const ranges: Range[] = [];
  for (let start = 0; ; start += keep - stride) {
    const end = Math.min(start + keep, length);
    ranges.push([start, end]);
    if (end === length) return ranges;
  }
}

/** Per-sequence lengths after truncation, ported from tokenizers' `truncate_encodings`, with errors, not panics. */
function truncatedLengths(lengthA: number, lengthB: number | null, maxLength: number | undefined, added: number,
  strategy: TruncationStrategy): [number, number] {
  if (maxLength === undefined || !Number.isInteger(maxLength) || maxLength < 1) {
    throw new TokenizerError(`truncation '${strategy}' needs maxLength as a positive integer (got ${maxLength})`);
  }
  const budget = maxLength - added;
  if (budget < 1) {
    throw new TokenizerError(`maxLength ${maxLength} leaves no room for text after the ${added} special tokens`);
  }
  const b = lengthB ?? 0;
  if (lengthA + b <= budget) return [lengthA, b];
  const toRemove = lengthA + b - budget;
  if (strategy === 'longest_first') {
    if (lengthB === null) return [budget, 0];
    let [n1, n2] = lengthA > lengthB ? [lengthB, lengthA] : [lengthA, lengthB];
    n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = Math.floor(budget / 2);
      n2 = n1 + (budget % 2);
    }
    return lengthA > lengthB ? [n2, n1] : [n1, n2];
  }
  if (strategy === 'only_second' && lengthB === null) {
    throw new TokenizerError(`truncation 'only_second' needs a pair of texts, got one`);
  }
  const [target, name] = strategy === 'only_first' ? [lengthA, 'first'] : [b, 'second'];
  if (target <= toRemove) {
    throw new TokenizerError(`truncation '${strategy}' cannot fit maxLength ${maxLength}: the ${name} text has ` +
      `${target} tokens but ${toRemove} must go (the other text has ${strategy === 'only_first' ? b : lengthA}, ` +
      `special tokens ${added})`);
  }
  return strategy === 'only_first' ? [lengthA - toRemove, b] : [lengthA, b - toRemove];
}

function checkStride(stride: number, lengths: [number, number], lengthA: number, lengthB: number | null): void {
  if (!Number.isInteger(stride) || stride < 0) throw new TokenizerError(`stride must be an integer >= 0 (got ${stride})`);
  const cut = [lengths[0] < lengthA ? lengths[0] : null, lengthB !== null && lengths[1] < lengthB ? lengths[1] : null];
  for (const kept of cut) {
    if (kept === null) continue;
    if (kept === 0) throw new TokenizerError('maxLength is too small: truncation would leave a text with no tokens');
    if (stride >= kept) {
      throw new TokenizerError(`stride ${stride} must be smaller than the ${kept} tokens of text each window keeps`);
    }
  }
}

function wordAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function resolveSpecialTokens(native: NativeTokenizer, names: Partial<Record<SpecialTokenRole, string>>): SpecialTokens {
  const out = {} as SpecialTokens;
  for (const role of SPECIAL_TOKEN_ROLES) {
    const candidates = names[role] !== undefined ? [names[role]] : USUAL_NAMES[role];
    out[role] = null;
    for (const token of candidates) {
      const id = native.tokenToId(token);
      if (id !== null && id !== undefined) {
        out[role] = { token, id };
        break;
      }
    }
  }
  return out;
}

function readBertNormalization(normalizer: Record<string, unknown> | null): BertNormalization | null {
  if (!normalizer || normalizer.type !== 'BertNormalizer') return null;
  const lowercase = normalizer.lowercase !== false;
  const strip = normalizer.strip_accents;
  return {
    lowercase,
    stripAccents: typeof strip === 'boolean' ? strip : lowercase,
    handleChineseChars: normalizer.handle_chinese_chars !== false,
  };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, file);
}
