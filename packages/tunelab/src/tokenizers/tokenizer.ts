// The tokenizer: Hugging Face's `tokenizers` (Rust, through its npm binding) does the tokenizing; this class adds
// what fine-tuning needs on top: truncation that fails with a message instead of aborting the process, overflow
// windows with correct segment ids, word ids for pre-split words, and save_pretrained-compatible files.
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
}

export class Tokenizer {
  private constructor(
    private readonly native: NativeTokenizer,
    private readonly description: NativeDescription,
    readonly specialTokens: SpecialTokens,
    /** Longest input the model was trained for, from tokenizer_config.json; null when unknown. */
    readonly modelMaxLength: number | null,
    private readonly addedTokens: { single: number; pair: number },
  ) {}

  /** Loads a tokenizer.json; `settings` come from tokenizer_config.json (see AutoTokenizer). */
  static async fromFile(tokenizerJson: string, settings: TokenizerSettings & { doLowerCase?: boolean } = {}):
    Promise<Tokenizer> {
    let json: { model?: { type?: string; vocab?: unknown }; normalizer?: Record<string, unknown> | null };
    let native: NativeTokenizer;
    try {
      json = JSON.parse(await readFile(tokenizerJson, 'utf8'));
      native = NativeTokenizer.fromFile(tokenizerJson);
    } catch (err) {
      throw new TokenizerError(`${tokenizerJson}: not a tokenizer.json: ${oneLine(err)}`);
    }
    let normalization = readBertNormalization(json.normalizer ?? null);
    const modelType = json.model?.type ?? (json.model?.vocab !== undefined ? 'WordPiece' : 'unknown');
    // transformers' BertTokenizerFast rebuilds the normaliser when tokenizer_config.json's do_lower_case disagrees
    // with tokenizer.json (accents follow lowercasing unless set); do the same so both files mean one thing.
    if (normalization && settings.doLowerCase !== undefined && settings.doLowerCase !== normalization.lowercase) {
      normalization = { ...normalization, lowercase: settings.doLowerCase, stripAccents: settings.doLowerCase };
      native.setNormalizer(bertNormalizer({ cleanText: true, ...normalization }));
    }
    return Tokenizer.create(native, { modelType, normalization }, settings);
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
        throw new TokenizerError(`${vocab.file}: cannot read the WordPiece vocabulary: ${oneLine(err)}`);
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
    return Tokenizer.create(native, { modelType: 'WordPiece', normalization }, options);
  }

  private static async create(native: NativeTokenizer, description: NativeDescription, settings: TokenizerSettings):
    Promise<Tokenizer> {
    // Truncation and padding are done per call below; settings saved in tokenizer.json would apply twice.
    native.disableTruncation();
    native.disablePadding();
    const empty = () => native.encode('', null, RAW);
    const single = native.postProcess(await empty(), null, true).getLength();
    const pair = native.postProcess(await empty(), await empty(), true).getLength();
    const specialTokens = resolveSpecialTokens(native, settings.specialTokens ?? {});
    return new Tokenizer(native, description, specialTokens, settings.modelMaxLength ?? null, { single, pair });
  }

  /** Vocabulary size, added tokens included (the size of the model's word embedding needs to be at least this). */
  get vocabSize(): number {
    return this.native.getVocabSize(true);
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
    return pair ? this.addedTokens.pair : this.addedTokens.single;
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
    return this.finish(first, second, options);
  }

  /** Encodes many inputs at once (tokenized in parallel by the native library). */
  async encodeBatch(inputs: readonly (string | readonly [string, string])[], options: EncodeOptions = {}):
    Promise<Encoding[]> {
    const texts: string[] = [];
    for (const input of inputs) {
      if (typeof input === 'string') texts.push(input);
      else texts.push(input[0], input[1]);
    }
    const raw = await this.native.encodeBatch(texts, RAW);
    const out: Encoding[] = [];
    let next = 0;
    for (const input of inputs) {
      const first = raw[next++];
      const second = typeof input === 'string' ? null : raw[next++];
      out.push(this.finish(first, second, options));
    }
    return out;
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

  private finish(first: NativeEncoding, second: NativeEncoding | null, options: EncodeOptions): Encoding {
    const addSpecial = options.addSpecialTokens ?? true;
    const strategy = options.truncation ?? (options.maxLength !== undefined ? 'longest_first' : false);
    if (strategy) {
      const stride = options.stride ?? 0;
      const added = addSpecial ? this.numSpecialTokens(second !== null) : 0;
      const lengths = truncatedLengths(first.getLength(), second?.getLength() ?? null, options.maxLength, added, strategy);
      checkStride(stride, lengths, first.getLength(), second?.getLength() ?? null);
      // The native truncate panics (aborting the process) on bad arguments; the checks above rule those out.
      if (lengths[0] < first.getLength()) first.truncate(lengths[0], stride, 'right');
      if (second && lengths[1] < second.getLength()) second.truncate(lengths[1], stride, 'right');
    }
    const merged = this.native.postProcess(first, second, addSpecial);
    const main = fromNative(merged);
    if (options.returnOverflowing) {
      // The native post-processor gives overflow windows segment ids of 0 (huggingface/tokenizers#1908): rebuild
      // them from the first window, whose layout (special tokens, then each sequence) every window repeats.
      main.overflowing = merged.getOverflowing().map((window) => withSegmentIdsOf(main, fromNative(window)));
    }
    return main;
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

function fromNative(encoding: NativeEncoding): Encoding {
  return {
    input_ids: encoding.getIds(),
    token_type_ids: encoding.getTypeIds(),
    attention_mask: encoding.getAttentionMask(),
    special_tokens_mask: encoding.getSpecialTokensMask(),
    offsets: encoding.getOffsets() as Offset[],
    sequence_ids: encoding.getSequenceIds().map((id) => (id === 0 || id === 1 ? id : null)),
    word_ids: encoding.getWordIds().map((id) => id ?? null),
    tokens: encoding.getTokens(),
    overflowing: [],
  };
}

function withSegmentIdsOf(first: Encoding, window: Encoding): Encoding {
  const specialTypes = first.token_type_ids.filter((_, i) => first.sequence_ids[i] === null);
  const sequenceType = [0, 1].map((seq) => {
    const at = first.sequence_ids.indexOf(seq as 0 | 1);
    return at >= 0 ? first.token_type_ids[at] : seq;
  });
  let special = 0;
  window.token_type_ids = window.sequence_ids.map((seq, i) =>
    seq === null ? (specialTypes[special++] ?? window.token_type_ids[i]) : sequenceType[seq]);
  return window;
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

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
