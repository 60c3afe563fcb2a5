// Masked language modeling (run_mlm) and BERT pre-training (MLM + next sentence prediction): continued pre-training
// on your own text. Heads: *ForMaskedLM (decoder tied to the word embeddings) and BertForPreTraining. Data: a plain
// text corpus (one document per line), CSV/JSONL with --text-column; masking by data/mlm.ts. Metrics: eval_loss and
// perplexity (exp of the MLM loss); pretraining also next-sentence accuracy. Fill-mask prediction is here too
// (`fillMask`, HF's fill-mask pipeline), for `tunelab predict` and the server.
import * as torch from '@tunelab/torch';
import type { Batch } from '../data/collate.js';
import { evalBatches } from '../data/collate.js';
import { DataError } from '../data/errors.js';
import {
  maskBatch, maskingRng, memoryChunks, mlmFeatures, specialTokenIds, textFileChunks, type MaskingOptions,
  type MlmFeatureSet, type TextChunks,
} from '../data/mlm.js';
import { nspFeatures } from '../data/mlm-nsp.js';
import { readParquetShards } from '../data/parquet.js';
import { readTable } from '../data/table.js';
import { HubNotFoundError, HubOfflineError } from '../hub/errors.js';
import { resolveDatasetFiles } from '../hub/resolve.js';
import { AutoModelForMaskedLM, AutoModelForPreTraining, type AutoModelClass } from '../models/auto.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { TaskConfigError } from './errors.js';
import { gatherRows } from './shared.js';
import type { DataOptions, EvalSplit, MlmOptions, TaskData, TaskFamily, TaskSpec } from './types.js';

export const MLM_TASKS = ['mlm'] as const;
export const PRETRAINING_TASKS = ['pretraining'] as const;
export type MlmTask = (typeof MLM_TASKS)[number];
export type PretrainingTask = (typeof PRETRAINING_TASKS)[number];

/** run_mlm's defaults. */
export const MLM_DEFAULTS: MlmOptions = { mlmProbability: 0.15, wholeWordMasking: false, lineByLine: false, seed: 42 };
/** run_mlm's flags as given (undefined: its defaults); masks are drawn from --seed. */
export function mlmOptions(args: { mlmProbability?: number; wholeWordMasking?: boolean; lineByLine?: boolean; seed?: number }): MlmOptions {
  return {
    mlmProbability: args.mlmProbability ?? MLM_DEFAULTS.mlmProbability,
    wholeWordMasking: args.wholeWordMasking ?? MLM_DEFAULTS.wholeWordMasking,
    lineByLine: args.lineByLine ?? MLM_DEFAULTS.lineByLine, seed: args.seed ?? MLM_DEFAULTS.seed,
  };
}

/** Eval masks come from this stream of the seed, apart from every training batch's. */
const EVAL_STREAM_EPOCH = 1_000_000;
const MLM_FLAGS = ['mlmProbability', 'wholeWordMasking', 'lineByLine', 'textColumn', 'datasetName', 'datasetConfigName'] as const;

function maskingOf(tokenizer: Tokenizer, options: MlmOptions): MaskingOptions {
  if (!(options.mlmProbability > 0 && options.mlmProbability < 1)) {
    throw new TaskConfigError(`--mlm-probability ${options.mlmProbability}: must be between 0 and 1 (exclusive)`);
  }
  if (tokenizer.specialTokens.mask === null) throw new TaskConfigError('the tokenizer has no mask token: it cannot do masked language modeling');
  return {
    mlmProbability: options.mlmProbability, wholeWordMasking: options.wholeWordMasking,
    maskTokenId: tokenizer.maskTokenId, vocabSize: tokenizer.vocabSize, specialIds: specialTokenIds(tokenizer),
  };
}

/** Pretraining batches carry the NSP targets as class labels: they move to next_sentence_label. */
function masked(batch: Batch, set: MlmFeatureSet, masking: MaskingOptions, rng: ReturnType<typeof maskingRng>): Batch {
  const nsp = set.labelKind === 'class' ? batch.labels as Int32Array : undefined;
  const out = maskBatch({ ...batch, labels: undefined }, set.wordIds, rng, masking);
  return nsp ? { ...out, next_sentence_label: nsp } : out;
}

/** The texts of a corpus file: plain text lines, or the --text-column of a CSV/TSV/JSONL table. */
function corpusChunks(file: string, textColumn: string | undefined): TextChunks {
  if (!/\.(csv|tsv|jsonl?)$/i.test(file)) {
    if (textColumn !== undefined) throw new TaskConfigError(`--text-column is for CSV/TSV/JSONL corpora; ${file} is read as plain text`);
    return textFileChunks(file);
  }
  // The label column is none of the table's: every row is read as unlabeled text.
  const table = readTable(file, { textColumn: textColumn ?? 'text', labelsOptional: true, labelColumn: '\u0000' });
  return memoryChunks(table.examples.map((example) => ({ text: example.text, where: example.id })));
}

async function prepare(task: MlmTask | PretrainingTask, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  const mlm = { ...MLM_DEFAULTS, ...options.mlm };
  const masking = maskingOf(tokenizer, mlm);
  const corpusOptions = (maxSamples: number | undefined) => ({ maxSeqLength: options.maxSeqLength, lineByLine: mlm.lineByLine, maxSamples });
  const featuresOf = (file: string, maxSamples: number | undefined): Promise<MlmFeatureSet> => task === 'pretraining'
    ? nspFeatures(tokenizer, file, { maxSeqLength: options.maxSeqLength, seed: mlm.seed, maxSamples })
    : mlmFeatures(tokenizer, corpusChunks(file, options.textColumn), file, corpusOptions(maxSamples));
  if (options.datasetName !== undefined) {
    if (options.trainFile !== undefined || options.validationFile !== undefined) {
      throw new TaskConfigError('--dataset-name and --train-file/--validation-file conflict: give the data set or files');
    }
    const hub = await hubSplits(options.datasetName, options.datasetConfigName, options.textColumn ?? 'text', options.withTrain);
    const train = hub.train ? await mlmFeatures(tokenizer, hub.train.chunks, hub.train.source, corpusOptions(options.maxTrainSamples)) : null;
    const validation = hub.validation
      ? mlmSplit(task, 'validation', await mlmFeatures(tokenizer, hub.validation.chunks, hub.validation.source,
        corpusOptions(options.maxEvalSamples)), masking, mlm.seed)
      : null;
    return withMasking(train, validation ? [validation] : [], null, masking, mlm.seed);
  }
  if (options.withTrain && !options.trainFile) {
    throw new DataError(`--task ${task}`, task === 'pretraining'
      ? 'needs --train-file (plain text: one sentence per line, documents separated by blank lines)'
      : 'needs --train-file (plain text, one document per line; or CSV/JSONL with --text-column)');
  }
  const train = options.withTrain ? await featuresOf(options.trainFile!, options.maxTrainSamples) : null;
  const split = async (name: string, file: string | undefined): Promise<EvalSplit | null> =>
    file ? mlmSplit(task, name, await featuresOf(file, options.maxEvalSamples), masking, mlm.seed) : null;
  const validation = await split('validation', options.validationFile);
  return withMasking(train, validation ? [validation] : [], await split('test', options.testFile), masking, mlm.seed);
}

function withMasking(train: MlmFeatureSet | null, evalSplits: EvalSplit[], testSplit: EvalSplit | null,
  masking: MaskingOptions, seed: number): TaskData {
  return {
    labels: { names: [] },
    train,
    trainTransform: train ? (batches, epoch, rank) => batches.map((batch, i) =>
      masked(batch, train, masking, maskingRng(seed, epoch, i, rank))) : undefined,
    evalSplits, testSplit,
  };
}

interface HubText { chunks: TextChunks; source: string }

/** The train split (when training) and the validation split (when the data set has one) of a Hub data set. */
async function hubSplits(name: string, config: string | undefined, column: string, withTrain: boolean):
  Promise<{ train: HubText | null; validation: HubText | null }> {
  const read = async (split: string): Promise<HubText> => {
    const rows = await readParquetShards(await resolveDatasetFiles(name, { config, split }));
    const source = `${name}${config ? `/${config}` : ''}/${split}`;
    const texts = rows.map(({ row, where }) => {
      const value = row[column];
      if (typeof value !== 'string') {
        throw new DataError(where, `no text in column "${column}" (columns: ${Object.keys(row).join(', ')}); use --text-column`);
      }
      return { text: value, where };
    });
    return { chunks: memoryChunks(texts), source };
  };
  const train = withTrain ? await read('train') : null;
  // run_mlm evaluates on the validation split when the data set has one.
  const validation = await read('validation').catch((err: unknown) => {
    if (err instanceof HubNotFoundError || err instanceof HubOfflineError) return null;
    throw err;
  });
  return { train, validation };
}

/** An evaluation split masked once from the seed: every evaluation scores the same masked tokens. */
function mlmSplit(task: MlmTask | PretrainingTask, name: string, set: MlmFeatureSet, masking: MaskingOptions, seed: number): EvalSplit {
  const pretraining = task === 'pretraining';
  return {
    name, set, labeled: true, metricSuffix: '',
    batches: (batchSize, padId) => evalBatches(set, { batchSize, padId }).map((batch, i) =>
      masked(batch, set, masking, maskingRng(seed, EVAL_STREAM_EPOCH, i))),
    // The vocabulary logits are not needed (the loss is): left out here, they are neither copied to the host (B × T × V
    // floats) nor computed beyond the labelled tokens (models/heads.ts maskedLMLogitsAndLoss).
    outputs: pretraining ? ['seq_relationship_logits'] : [],
    score(result): { metrics: Record<string, number>; records: Record<string, unknown>[] } {
      if (result.loss === null) return { metrics: {}, records: [] };
      if (!pretraining) return { metrics: { perplexity: Math.exp(result.loss) }, records: [] };
      // loss = MLM + NSP, both means: the MLM part is what is left after the NSP cross entropy.
      const logits = gatherRows(set.features.length, result.batches, 'seq_relationship_logits');
      let nspLoss = 0;
      let correct = 0;
      logits.forEach((row, i) => {
        const label = set.features[i].label!;
        const max = Math.max(row[0], row[1]);
        nspLoss += max + Math.log(Math.exp(row[0] - max) + Math.exp(row[1] - max)) - row[label];
        if ((row[1] > row[0] ? 1 : 0) === label) correct++;
      });
      const mlmLoss = result.loss - nspLoss / logits.length;
      return { metrics: { perplexity: Math.exp(mlmLoss), next_sentence_accuracy: correct / logits.length }, records: [] };
    },
  };
}

const spec = (task: MlmTask | PretrainingTask): TaskSpec => task === 'pretraining'
  ? { head: 'pretraining', metrics: ['perplexity', 'next_sentence_accuracy'], primaryMetric: 'loss', defaultMaxSeqLength: 128 }
  : { head: 'masked-lm', metrics: ['perplexity'], primaryMetric: 'loss', defaultMaxSeqLength: 128 };

export const maskedLanguageModeling: TaskFamily<MlmTask> = {
  names: MLM_TASKS,
  head: 'masked-lm',
  autoModel: AutoModelForMaskedLM as AutoModelClass<PreTrainedModel>,
  architecture: /ForMaskedLM$/,
  acceptsFlag: (_task, flag) => (MLM_FLAGS as readonly string[]).includes(flag),
  spec, prepare,
  labeledHead: false,
  headOutputs: () => null,
  defaultTask: () => 'mlm',
};

export const pretraining: TaskFamily<PretrainingTask> = {
  names: PRETRAINING_TASKS,
  head: 'pretraining',
  autoModel: AutoModelForPreTraining as AutoModelClass<PreTrainedModel>,
  architecture: /ForPreTraining$/,
  acceptsFlag: (_task, flag) => flag === 'mlmProbability' || flag === 'wholeWordMasking',
  spec, prepare,
  labeledHead: false,
  headOutputs: () => null,
  defaultTask: () => 'pretraining',
};

// ---- fill-mask (HF's fill-mask pipeline) ----

export interface FillMaskCandidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

export interface FillMaskOptions {
  /** Candidates per mask (HF's top_k, default 5). */
  topK?: number;
  maxSeqLength?: number;
  /** Names text i in errors (`file:line`, `--text`). */
  where?: (i: number) => string;
}

/**
 * For each text, the top-k tokens at its mask token with their probabilities and the filled-in sequence, as HF's
 * fill-mask pipeline returns them: a list per text, or a list per mask when a text has several. `model` is a
 * masked-LM (or pre-training) model in eval mode.
 */
export async function fillMask(model: PreTrainedModel, tokenizer: Tokenizer, texts: readonly string[],
  options: FillMaskOptions = {}): Promise<(FillMaskCandidate[] | FillMaskCandidate[][])[]> {
  const topK = options.topK ?? 5;
  const maskId = tokenizer.maskTokenId;
  const encodings = await tokenizer.encodeBatch(texts, { maxLength: options.maxSeqLength ?? 512, truncation: 'longest_first' });
  const results: (FillMaskCandidate[] | FillMaskCandidate[][])[] = [];
  for (let i = 0; i < texts.length; i++) {
    const ids = encodings[i].input_ids;
    const positions = ids.flatMap((id, t) => (id === maskId ? [t] : []));
    if (positions.length === 0) throw new DataError(options.where?.(i) ?? `text ${i + 1}`, `no ${tokenizer.specialTokens.mask!.token} token to fill`);
    const top = torch.noGrad(() => torch.scope(() => {
      const inputIds = torch.fromTypedArray(Int32Array.from(ids), [1, ids.length], { dtype: 'int64' });
      const out = model.forward({ input_ids: inputIds, attention_mask: torch.onesLike(inputIds) });
      const logits = (out.logits ?? out.prediction_logits)!;
      const rows = logits.float().squeeze(0).indexSelect(0, torch.fromTypedArray(Int32Array.from(positions), [positions.length], { dtype: 'int64' }));
      const { values, indices } = rows.softmax(-1).topk(Math.min(topK, rows.shape[1]!), -1);
      return { scores: values.toTypedArray() as Float32Array, tokens: indices.toTypedArray() as BigInt64Array | Int32Array };
    }));
    results.push(await fillMaskCandidates(tokenizer, ids, positions, top, topK));
  }
  return results;
}

/**
 * The candidates of one text from the top tokens at its masks (`top`: for each mask in order, its k best tokens and
 * probabilities, best first; k ≥ topK), as the pipeline returns them: a list, or a list per mask when several.
 * Shared by `fillMask` and the server (serving/heads/fill-mask.ts), which batches the forward passes itself.
 */
export async function fillMaskCandidates(tokenizer: Tokenizer, ids: readonly number[], positions: readonly number[],
  top: { scores: ArrayLike<number>; tokens: ArrayLike<number | bigint> }, topK: number): Promise<FillMaskCandidate[] | FillMaskCandidate[][]> {
  const k = top.scores.length / positions.length;
  const perMask: FillMaskCandidate[][] = [];
  for (let m = 0; m < positions.length; m++) {
    const candidates: FillMaskCandidate[] = [];
    for (let j = 0; j < Math.min(k, topK); j++) {
      const token = Number(top.tokens[m * k + j]);
      const filled = [...ids];
      filled[positions[m]] = token;
      candidates.push({
        score: top.scores[m * k + j], token,
        token_str: await tokenizer.decode([token], { skipSpecialTokens: false }),
        // As the pipeline: with several masks, the others stay visible in the sequence.
        sequence: await tokenizer.decode(filled, { skipSpecialTokens: positions.length === 1 }),
      });
    }
    perMask.push(candidates);
  }
  return positions.length === 1 ? perMask[0] : perMask;
}

/** One fill-mask prediction record per text: `--text` gives its candidates; a file, `{ id, text, predictions }`. */
export async function predictFillMask(model: PreTrainedModel, tokenizer: Tokenizer,
  input: { text?: string; file?: string; textColumn?: string }, options: FillMaskOptions = {}): Promise<Record<string, unknown>[]> {
  if (input.file === undefined) {
    const [result] = await fillMask(model, tokenizer, [input.text ?? ''], { ...options, where: () => '--text' });
    // Several masks: a candidate list per mask, flattened with the mask's index.
    return isPerMask(result) ? result.flatMap((candidates, mask) => candidates.map((c) => ({ mask, ...c }))) : result.map((c) => ({ ...c }));
  }
  const records: Record<string, unknown>[] = [];
  for await (const chunk of corpusChunks(input.file, input.textColumn)) {
    const results = await fillMask(model, tokenizer, chunk.texts, { ...options, where: chunk.where });
    results.forEach((predictions, i) => records.push({ id: chunk.where(i), text: chunk.texts[i], predictions }));
  }
  if (records.length === 0) throw new DataError(input.file, 'no text to fill');
  return records;
}

function isPerMask(result: FillMaskCandidate[] | FillMaskCandidate[][]): result is FillMaskCandidate[][] {
  return Array.isArray(result[0]);
}
