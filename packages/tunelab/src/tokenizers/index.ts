export { AutoTokenizer, type FromPretrainedOptions } from './auto.js';
export {
  Tokenizer, SPECIAL_TOKEN_ROLES,
  type BertNormalization, type EncodeOptions, type Encoding, type Offset, type SpecialToken, type SpecialTokenRole,
  type SpecialTokens, type TokenizerSettings, type TruncationStrategy, type WordPieceOptions,
} from './tokenizer.js';
export { trainWordPiece, type WordPieceTrainingOptions } from './wordpiece-trainer.js';
export { codePointLength, codePointToUtf16Map, sliceCodePoints } from './offsets.js';
export { TokenizerError } from './errors.js';
