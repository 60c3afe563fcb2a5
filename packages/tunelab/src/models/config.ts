// What every model config shares (transformers' PretrainedConfig): labels, problem type, token ids, and parsing
// config.json at the edge. Each architecture's config.ts adds its fields with zod (type, default, one sentence each).
//
// config.json files in the wild carry keys nobody reads (`transformers_version`, `gradient_checkpointing`, …):
// those are kept verbatim in `extra` and written back on save, as transformers does. A key that looks like a typo of
// a known one (`hiden_size`) is an error, so a mistyped field never silently falls back to its default.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';

export const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/** Fields of PretrainedConfig that every architecture accepts. */
export const commonFields = {
  architectures: z.array(z.string()).nullish().describe('Class names the weights were saved from.'),
  id2label: z.record(z.string().regex(/^\d+$/, 'keys must be class ids'), z.string()).optional()
    .describe('Class id → label name; its size is num_labels.'),
  label2id: z.record(z.string(), z.number().int()).optional().describe('Label name → class id (id2label inverted).'),
  num_labels: z.number().int().positive().optional().describe('Classes of a classification head (default 2).'),
  problem_type: z.enum(PROBLEM_TYPES).nullish()
    .describe('Loss of sequence classification; inferred from num_labels and the labels dtype when unset.'),
  torch_dtype: z.string().nullish().describe('dtype the weights were saved in (informational).'),
  bos_token_id: z.number().int().nullish(),
  eos_token_id: z.number().int().nullish(),
  tie_word_embeddings: z.boolean().default(true).describe('MLM decoder shares the word embedding matrix.'),
  classifier_dropout: z.number().min(0).max(1).nullish()
    .describe('Dropout before classification heads; hidden_dropout_prob when unset.'),
  initializer_range: z.number().positive().default(0.02).describe('Std of the normal init of new weights.'),
};

/** Keys transformers writes that no model here reads; accepted silently (and kept) rather than typo-checked. */
const GENERIC_KEYS = new Set([
  'transformers_version', '_name_or_path', 'gradient_checkpointing', 'use_cache', 'output_attentions',
  'output_hidden_states', 'return_dict', 'torchscript', 'finetuning_task', 'is_decoder', 'add_cross_attention',
  'chunk_size_feed_forward', 'pruned_heads', 'tie_encoder_decoder', 'tokenizer_class', 'prefix', 'task_specific_params',
  'directionality', 'output_past', 'dtype', 'sep_token_id', 'decoder_start_token_id', 'is_encoder_decoder',
]);

/** The typed fields every parsed config has after label normalisation. */
export interface LabelFields {
  model_type: string;
  num_labels: number;
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  problem_type?: ProblemType | null;
  /** Keys of config.json that no field reads, written back unchanged on save. */
  extra: Record<string, unknown>;
}

/** Where a config came from, for error messages: a file path or a description like `AutoConfig.forModel`. */
export type ConfigSource = string;

/** Reads and JSON-parses a config.json, naming file and line on a syntax error. */
export function readConfigJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = Number(/position (\d+)/.exec(message)?.[1] ?? NaN);
    const line = Number.isNaN(position) ? '' : `:${text.slice(0, position).split('\n').length}`;
    throw new ConfigError(`${path}${line}: invalid JSON (${message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${path}: expected a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Validates `raw` against an architecture's zod object, normalises labels, and keeps unknown keys in `extra`.
 * Errors name the source and the field (`config.json: hidden_size: expected number, received string`).
 */
export function parseModelConfig<S extends z.ZodObject>(
  schema: S, modelType: string, raw: Record<string, unknown>, source: ConfigSource,
): z.output<S> & LabelFields {
  const known = new Set([...Object.keys(schema.shape), 'model_type']);
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (known.has(key)) continue;
    const typoOf = GENERIC_KEYS.has(key) ? undefined : [...known].find((name) => isTypo(key, name));
    if (typoOf) throw new ConfigError(`${source}: unknown key '${key}' (did you mean '${typoOf}'?)`);
    extra[key] = value;
  }
  if (raw.model_type !== undefined && raw.model_type !== modelType) {
    throw new ConfigError(`${source}: model_type '${String(raw.model_type)}' given to the ${modelType} config`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new ConfigError(`${source}: ${where}${issue.message}`);
  }
  return { ...result.data, model_type: modelType, ...normaliseLabels(result.data, source), extra };
}

/** id2label, label2id and num_labels made consistent, as PretrainedConfig does (default: 2 labels LABEL_0, LABEL_1). */
function normaliseLabels(
  fields: { id2label?: Record<string, string>; label2id?: Record<string, number>; num_labels?: number },
  source: ConfigSource,
): Pick<LabelFields, 'num_labels' | 'id2label' | 'label2id'> {
  let id2label: Record<number, string>;
  if (fields.id2label) {
    const ids = Object.keys(fields.id2label).map(Number).sort((a, b) => a - b);
    if (!ids.every((id, index) => id === index)) {
      throw new ConfigError(`${source}: id2label keys must be 0..n-1, got [${ids.join(', ')}]`);
    }
    if (fields.num_labels !== undefined && fields.num_labels !== ids.length) {
      throw new ConfigError(`${source}: num_labels ${fields.num_labels} but id2label has ${ids.length} labels`);
    }
    id2label = Object.fromEntries(ids.map((id) => [id, fields.id2label![id]!]));
  } else {
    id2label = defaultId2label(fields.num_labels ?? 2);
  }
  const numLabels = Object.keys(id2label).length;
  const label2id = fields.label2id ?? Object.fromEntries(Object.entries(id2label).map(([id, name]) => [name, Number(id)]));
  for (const [name, id] of Object.entries(label2id)) {
    if (id < 0 || id >= numLabels) throw new ConfigError(`${source}: label2id '${name}' → ${id} is not a class id (0..${numLabels - 1})`);
  }
  return { num_labels: numLabels, id2label, label2id };
}

export function defaultId2label(numLabels: number): Record<number, string> {
  return Object.fromEntries(Array.from({ length: numLabels }, (_, id) => [id, `LABEL_${id}`]));
}

/** Overrides of fromPretrained/fromConfig that change the head's labels or loss. */
export interface LabelOverrides {
  numLabels?: number;
  id2label?: Record<number, string>;
  label2id?: Record<string, number>;
  problemType?: ProblemType;
}

/** Applies label overrides to a raw config: a changed num_labels without id2label gets LABEL_i names, like transformers. */
export function applyLabelOverrides(raw: Record<string, unknown>, overrides: LabelOverrides): Record<string, unknown> {
  const out = { ...raw };
  if (overrides.id2label) {
    out.id2label = overrides.id2label;
    out.label2id = overrides.label2id;
    delete out.num_labels;
  } else if (overrides.numLabels !== undefined) {
    // like transformers' num_labels setter: names survive when the count is unchanged
    const current = out.id2label as Record<string, string> | undefined;
    if (!current || Object.keys(current).length !== overrides.numLabels) {
      out.id2label = defaultId2label(overrides.numLabels);
      out.label2id = overrides.label2id;
    } else if (overrides.label2id) {
      out.label2id = overrides.label2id;
    }
    delete out.num_labels;
  } else if (overrides.label2id) {
    out.label2id = overrides.label2id;
  }
  if (out.label2id === undefined) delete out.label2id;
  if (overrides.problemType) out.problem_type = overrides.problemType;
  return out;
}

/** The JSON transformers writes for a config: typed fields and kept extras, keys sorted, num_labels implied by id2label. */
export function configToJson(config: LabelFields, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { extra, num_labels: _numLabels, ...fields } = config;
  const merged: Record<string, unknown> = { ...extra, ...fields, ...overrides };
  return Object.fromEntries(Object.keys(merged).sort()
    .filter((key) => merged[key] !== undefined)
    .map((key) => [key, merged[key]]));
}

/** One edit (insert, delete or substitute a character) apart, for names of 5+ characters: likely a typo. */
function isTypo(key: string, known: string): boolean {
  if (key === known || Math.min(key.length, known.length) < 5) return false;
  if (Math.abs(key.length - known.length) > 1) return false;
  return editDistance(key, known) <= 1;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
