// Loading a pretrained folder or Hub id: config.json, then weights from model.safetensors, sharded safetensors
// (model.safetensors.index.json), or pytorch_model.bin (optionally sharded), in transformers' order of preference.
// Checkpoint keys are lined up with the model like transformers does: legacy LayerNorm gamma/beta names, buffers that
// are not parameters, and the base-model prefix (`bert.`) added or stripped when a base checkpoint meets a head model
// or the other way round. What does not line up is reported in one warning.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import { resolveFile, type HubOptions as HubResolveOptions } from '../hub/index.js';
import { readConfigJson } from './config.js';
import { ModelFileNotFoundError, WeightsError } from './errors.js';
import { logging } from './logging.js';
import { copyInto, type StateMatch } from './modules.js';
import type { PreTrainedModel } from './pretrained.js';

/** revision, cacheDir, offline (and hubUrl, accessToken, fetch): how hub/ finds files, shared with the tokenizers. */
export type HubOptions = HubResolveOptions;

export interface Checkpoint {
  tensors: Map<string, Tensor>;
  /** The files the tensors came from, for messages. */
  files: string[];
}

export interface LoadingInfo {
  missingKeys: string[];
  unexpectedKeys: string[];
  mismatchedKeys: { key: string; expected: number[]; found: number[] }[];
}

const SAFETENSORS = 'model.safetensors';
const SAFETENSORS_INDEX = 'model.safetensors.index.json';
const PYTORCH_BIN = 'pytorch_model.bin';
const PYTORCH_BIN_INDEX = 'pytorch_model.bin.index.json';

async function locate(pathOrHubId: string, filename: string, options: HubOptions): Promise<string | null> {
  const { revision, cacheDir, offline, hubUrl, accessToken, fetch } = options;
  return resolveFile(pathOrHubId, filename, { revision, cacheDir, offline, hubUrl, accessToken, fetch });
}

/** A config.json as read: its JSON object and where it is. */
export interface ResolvedConfig {
  raw: Record<string, unknown>;
  path: string;
}

export async function resolveConfig(pathOrHubId: string, options: HubOptions): Promise<ResolvedConfig> {
  const path = await locate(pathOrHubId, 'config.json', options);
  if (!path) throw new ModelFileNotFoundError(`${pathOrHubId}: no config.json`);
  return { raw: readConfigJson(path), path };
}

/** All weights of a checkpoint, on the CPU, in the dtype they were saved in (transformers' file preference). */
export async function loadCheckpoint(pathOrHubId: string, options: HubOptions): Promise<Checkpoint> {
  for (const name of [SAFETENSORS, SAFETENSORS_INDEX, PYTORCH_BIN, PYTORCH_BIN_INDEX]) {
    const path = await locate(pathOrHubId, name, options);
    if (!path) continue;
    return name.endsWith('.index.json')
      ? loadSharded(pathOrHubId, path, options)
      : { tensors: readWeights(path), files: [path] };
  }
  throw new ModelFileNotFoundError(`${pathOrHubId}: no weights (looked for ${SAFETENSORS}, ${SAFETENSORS_INDEX}, ` +
    `${PYTORCH_BIN}, ${PYTORCH_BIN_INDEX}); pass fromScratch to initialise from config.json alone`);
}

/** A safetensors or pytorch_model.bin file; unreadable files become a WeightsError naming them. */
function readWeights(path: string): Map<string, Tensor> {
  try {
    return path.endsWith('.bin') ? torch.loadPytorchBin(path) : torch.loadSafetensors(path).tensors;
  } catch (error) {
    throw new WeightsError(`${path}: cannot read weights (${(error as Error).message})`);
  }
}

async function loadSharded(pathOrHubId: string, indexPath: string, options: HubOptions): Promise<Checkpoint> {
  const weightMap = readWeightMap(indexPath);
  const tensors = new Map<string, Tensor>();
  const files: string[] = [];
  try {
    for (const shard of new Set(Object.values(weightMap))) {
      const file = await locate(pathOrHubId, shard, options);
      if (!file) throw new ModelFileNotFoundError(`${indexPath}: shard ${shard} is missing from ${pathOrHubId}`);
      files.push(file);
      for (const [key, tensor] of readWeights(file)) tensors.set(key, tensor);
    }
  } catch (error) {
    for (const tensor of tensors.values()) tensor.dispose();
    throw error;
  }
  const absent = Object.keys(weightMap).filter((key) => !tensors.has(key));
  if (absent.length > 0) {
    for (const tensor of tensors.values()) tensor.dispose();
    throw new WeightsError(`${indexPath}: ${absent.length} tensors of weight_map are in no shard (${absent.slice(0, 3).join(', ')})`);
  }
  return { tensors, files };
}

function readWeightMap(indexPath: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (error) {
    throw new WeightsError(`${indexPath}: invalid index (${(error as Error).message})`);
  }
  const weightMap = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null ||
      !Object.values(weightMap).every((file) => typeof file === 'string' && !file.includes('/') && !file.includes('..'))) {
    throw new WeightsError(`${indexPath}: weight_map must map tensor names to shard file names`);
  }
  return weightMap as Record<string, string>;
}

/** Non-parameter buffers older checkpoints saved; transformers drops them on load. */
const BUFFER_KEY = /(^|\.)embeddings\.(position_ids|token_type_ids)$/;

/**
 * Checkpoint keys renamed the way transformers reads them: LayerNorm `gamma`/`beta` → `weight`/`bias`, buffers
 * dropped, and the base-model prefix added (base checkpoint into a head model) or stripped (head checkpoint into a
 * base model, whose head keys then stay unexpected).
 */
export function alignCheckpointKeys(model: PreTrainedModel, tensors: Map<string, Tensor>): Map<string, Tensor> {
  const prefix = `${model.baseModelPrefix}.`;
  const entries = [...tensors]
    .filter(([key]) => !BUFFER_KEY.test(key))
    .map(([key, tensor]): [string, Tensor] => [key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias'), tensor]);
  const expectsPrefix = model.namedParameters().some(([name]) => name.startsWith(prefix));
  const hasPrefix = entries.some(([key]) => key.startsWith(prefix));
  if (expectsPrefix && !hasPrefix) return new Map(entries.map(([key, tensor]) => [prefix + key, tensor]));
  if (!expectsPrefix && hasPrefix) {
    return new Map(entries.map(([key, tensor]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key, tensor]));
  }
  return new Map(entries);
}

/**
 * Fills the model from a checkpoint: parameters the checkpoint lacks are initialised (normal(0, initializer_range),
 * biases 0, LayerNorm 1/0), then every matching tensor is copied (cast to the parameter's dtype). A shape mismatch
 * throws, unless `ignoreMismatchedSizes` turns it into a re-initialised, reported parameter.
 */
export function applyCheckpoint(
  model: PreTrainedModel, checkpoint: Checkpoint, { ignoreMismatchedSizes = false } = {},
): LoadingInfo {
  const source = checkpoint.files.length === 1 ? checkpoint.files[0]! : dirname(checkpoint.files[0] ?? '.');
  const match = model.matchState(alignCheckpointKeys(model, checkpoint.tensors));
  if (match.mismatched.length > 0 && !ignoreMismatchedSizes) {
    const shapes = match.mismatched.map(({ key, expected, found }) =>
      `${key} has shape [${found.join(', ')}] in the checkpoint, [${expected.join(', ')}] in ${model.architecture}`);
    throw new WeightsError(`${source}: ${shapes.join('; ')} (pass ignoreMismatchedSizes to re-initialise)`);
  }
  initialiseMissing(model, match);
  copyInto(match.assignments);
  const info = {
    missingKeys: match.missingKeys,
    unexpectedKeys: [...match.unexpectedKeys].sort(),
    mismatchedKeys: [...match.mismatched].sort((a, b) => a.key.localeCompare(b.key)),
  };
  warnAboutLoad(model.architecture, source, info);
  return info;
}

/**
 * Runs resetParameters on every module that owns a parameter the checkpoint did not fill (mismatched ones
 * included); checkpoint values are copied afterwards, so a module's filled parameters keep them.
 */
function initialiseMissing(model: PreTrainedModel, match: StateMatch): void {
  const filled = new Set(match.assignments.map(({ target }) => target));
  for (const [, module] of model.namedModules().reverse()) {
    if (module.ownParameters().some(([, tensor]) => !filled.has(tensor))) {
      module.resetParameters(model.config.initializer_range);
    }
  }
}

/** One warning, worded like transformers', listing unused and newly initialised weights. */
function warnAboutLoad(className: string, source: string, info: LoadingInfo): void {
  const lines: string[] = [];
  if (info.unexpectedKeys.length > 0) {
    lines.push(`Some weights of the model checkpoint at ${source} were not used when initializing ${className}: ` +
      `[${info.unexpectedKeys.join(', ')}]`);
  }
  if (info.missingKeys.length > 0) {
    lines.push(`Some weights of ${className} were not initialized from the model checkpoint at ${source} and are ` +
      `newly initialized: [${info.missingKeys.join(', ')}]`);
  }
  for (const { key, expected, found } of info.mismatchedKeys) {
    lines.push(`Some weights of ${className} were newly initialized because the shapes did not match: ${key}: ` +
      `checkpoint [${found.join(', ')}], model [${expected.join(', ')}]`);
  }
  if (info.missingKeys.length > 0 || info.mismatchedKeys.length > 0) {
    lines.push('You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.');
  }
  if (lines.length > 0) logging.warn(lines.join('\n'));
}
