// AutoTokenizer.fromPretrained: the tokenizer of a local folder or Hub repo, from tokenizer.json when there is one,
// else from vocab.txt + tokenizer_config.json (older BERT repos), the way transformers builds BertTokenizerFast.
import { readFile } from 'node:fs/promises';
import { resolveFile, type HubOptions } from '../hub/resolve.js';
import { TokenizerError } from './errors.js';
import { SPECIAL_TOKEN_ROLES, Tokenizer, type SpecialTokenRole } from './tokenizer.js';

export type FromPretrainedOptions = HubOptions;

/** What tokenizer_config.json (and special_tokens_map.json) say; unknown keys are ignored, as transformers does. */
interface TokenizerConfig {
  doLowerCase?: boolean;
  stripAccents?: boolean;
  tokenizeChineseChars?: boolean;
  modelMaxLength: number | null;
  specialTokens: Partial<Record<SpecialTokenRole, string>>;
}

// transformers uses int(1e30) for "no limit" when a config leaves model_max_length out or sets it huge.
const NO_LIMIT = 1e18;

export const AutoTokenizer = {
  async fromPretrained(pathOrHubId: string, options: FromPretrainedOptions = {}): Promise<Tokenizer> {
    const find = (name: string) => resolveFile(pathOrHubId, name, options);
    const config = await readTokenizerConfig(await find('tokenizer_config.json'), await find('special_tokens_map.json'));
    const tokenizerJson = await find('tokenizer.json');
    if (tokenizerJson !== null) return Tokenizer.fromFile(tokenizerJson, config);
    const vocab = await find('vocab.txt');
    if (vocab === null) {
      throw new TokenizerError(`${pathOrHubId}: no tokenizer.json or vocab.txt (only BERT-style WordPiece vocabularies ` +
        `load without tokenizer.json)`);
    }
    return Tokenizer.fromWordPieceVocab({ file: vocab }, {
      lowercase: config.doLowerCase ?? true,
      stripAccents: config.stripAccents,
      handleChineseChars: config.tokenizeChineseChars ?? true,
      specialTokens: config.specialTokens,
      modelMaxLength: config.modelMaxLength,
    });
  },
};

async function readTokenizerConfig(configFile: string | null, specialMapFile: string | null): Promise<TokenizerConfig> {
  const config = configFile ? await readJsonObject(configFile) : {};
  const specialMap = specialMapFile ? await readJsonObject(specialMapFile) : {};
  const specialTokens: Partial<Record<SpecialTokenRole, string>> = {};
  for (const role of SPECIAL_TOKEN_ROLES) {
    const value = config[`${role}_token`] ?? specialMap[`${role}_token`];
    const token = tokenContent(value);
    if (token !== null) specialTokens[role] = token;
  }
  const maxLength = config.model_max_length;
  return {
    doLowerCase: optionalBoolean(config.do_lower_case, 'do_lower_case', configFile),
    stripAccents: optionalBoolean(config.strip_accents, 'strip_accents', configFile),
    tokenizeChineseChars: optionalBoolean(config.tokenize_chinese_chars, 'tokenize_chinese_chars', configFile),
    modelMaxLength: typeof maxLength === 'number' && maxLength > 0 && maxLength < NO_LIMIT ? maxLength : null,
    specialTokens,
  };
}

async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new TokenizerError(`${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerError(`${file}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Special tokens are strings, or AddedToken objects `{ content: "[CLS]", … }` in newer files. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return null;
}

function optionalBoolean(value: unknown, key: string, file: string | null): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new TokenizerError(`${file}: ${key} must be true, false or null (got ${JSON.stringify(value)})`);
  return value;
}
