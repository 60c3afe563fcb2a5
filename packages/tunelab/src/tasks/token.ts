// Token classification (NER): CoNLL columns or JSON lines of tokens/tags. Head: *ForTokenClassification. Features as
// run_ner (a label at each word's first sub-token); scoring by seqeval.
import { DataError } from '../data/errors.js';
import { UNTAGGED_WORD, tokenClassificationFeatures, type FeatureSet } from '../data/features.js';
import { readConll, readNerJsonl } from '../data/ner.js';
import type { NerDataset } from '../data/types.js';
import { argmax } from '../metrics/classification.js';
import { seqeval } from '../metrics/seqeval.js';
import { alignTokenPredictions } from '../metrics/token-classification.js';
import { AutoModelForTokenClassification, type AutoModelClass } from '../models/auto.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { gatherRows, limit } from './shared.js';
import { TaskConfigError } from './errors.js';
import type { DataOptions, EvalSplit, TaskData, TaskFamily, TextInput, TextInputOptions } from './types.js';

export const TOKEN_TASKS = ['ner'] as const;
export type TokenTask = (typeof TOKEN_TASKS)[number];

async function prepare(_task: TokenTask, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  // --test-file and `predict --input` may have tokens only
  const read = (file: string, labels?: string[], tagsOptional = false): NerDataset =>
    (/\.jsonl?$/i.test(file) ? readNerJsonl : readConll)(file, { ...(labels ? { labels } : {}), tagsOptional });
  const train = options.withTrain && options.trainFile ? read(options.trainFile, options.labels) : null;
  if (options.withTrain && !train) throw new DataError('--task ner', 'needs --train-file (CoNLL columns or JSONL tokens/tags)');
  const labels = options.labels ?? train!.labels;
  const split = async (name: string, file: string | undefined): Promise<EvalSplit | null> => {
    if (!file) return null;
    const dataset = limit(read(file, labels, name === 'test'), options.maxEvalSamples);
    const set = await tokenClassificationFeatures(tokenizer, dataset, { maxLength: options.maxSeqLength });
    return nerSplit(name, dataset, set, labels);
  };
  const evalSplit = await split('validation', options.validationFile);
  return {
    labels: { names: labels },
    train: train ? await tokenClassificationFeatures(tokenizer, limit(train, options.maxTrainSamples), { maxLength: options.maxSeqLength }) : null,
    evalSplits: evalSplit ? [evalSplit] : [],
    testSplit: await split('test', options.testFile),
  };
}

function nerSplit(name: string, dataset: NerDataset, set: FeatureSet, labels: string[]): EvalSplit {
  const labeled = set.labelKind !== 'none';
  return {
    name, set, labeled, metricSuffix: '',
    outputs: ['logits'], // read at real tokens only: batches may run unpadded (train/unpad.ts)
    score(result) {
      const logits = gatherRows(set.features.length, result.batches, 'logits');
      const predictedIds = logits.map((row, i) => argmax(row, [row.length / labels.length, labels.length])
        .subarray(0, set.features[i].input_ids.length));
      if (!labeled) {
        const predicted = wordStartPredictions(set, predictedIds, labels);
        const records = dataset.examples.map((example, i) => ({
          id: example.id, tokens: example.tokens.slice(0, predicted[i].length), predicted_tags: predicted[i],
        }));
        return { metrics: {} as Record<string, number>, records };
      }
      const gold = set.features.map((feature) => feature.token_labels!);
      const { predictions, references } = alignTokenPredictions(gold, predictedIds, labels);
      const records = dataset.examples.map((example, i) => ({
        id: example.id, tokens: example.tokens.slice(0, predictions[i].length),
        predicted_tags: predictions[i], reference_tags: references[i],
      }));
      const scores = seqeval(predictions, references);
      return {
        metrics: {
          precision: scores.overall_precision, recall: scores.overall_recall,
          f1: scores.overall_f1, accuracy: scores.overall_accuracy,
        },
        records,
      };
    },
  };
}

/** Inline `--text`: its whitespace-separated words, tagged. */
async function prepareText(task: TokenTask, tokenizer: Tokenizer, input: TextInput, options: TextInputOptions): Promise<EvalSplit> {
  const tokens = input.text?.split(/\s+/).filter((word) => word !== '') ?? [];
  if (tokens.length === 0) throw new TaskConfigError(`--task ${task} tags the words of --text: give a non-empty --text`);
  const dataset: NerDataset = { labels: options.labels, examples: [{ id: '0', tokens, tags: null }], source: '--text' };
  const set = await tokenClassificationFeatures(tokenizer, dataset, { maxLength: options.maxSeqLength });
  return nerSplit('predict', dataset, set, options.labels);
}

/** Untagged sentences: the predicted tag at each word's first sub-token (UNTAGGED_WORD marks them). */
function wordStartPredictions(set: FeatureSet, predictedIds: Int32Array[], labels: string[]): string[][] {
  return set.features.map((feature, i) => {
    const tags: string[] = [];
    feature.token_labels!.forEach((marker, t) => {
      if (marker === UNTAGGED_WORD) tags.push(labels[predictedIds[i][t]]);
    });
    return tags;
  });
}

export const tokenClassification: TaskFamily<TokenTask> = {
  names: TOKEN_TASKS,
  head: 'token-classification',
  autoModel: AutoModelForTokenClassification as AutoModelClass<PreTrainedModel>,
  architecture: /ForTokenClassification$/,
  acceptsFlag: () => false,
  spec: () => ({ head: 'token-classification', metrics: ['precision', 'recall', 'f1', 'accuracy'], primaryMetric: 'f1', defaultMaxSeqLength: 128 }),
  prepare,
  prepareText,
  labeledHead: true,
  headOutputs: () => null,
  defaultTask: () => 'ner',
};
