// Extractive question answering: SQuAD v1.1 and v2.0 (JSON files, or the Hub data sets). Head:
// *ForQuestionAnswering. Features as run_qa (windows with --doc-stride); scoring by run_qa's post-processing and the
// official SQuAD metrics.
import { DataError } from '../data/errors.js';
import type { FeatureSet } from '../data/features.js';
import { qaEvalFeatures, qaTrainFeatures, type QaFeatureInfo } from '../data/qa-features.js';
import { loadSquad, readSquadJson } from '../data/squad.js';
import type { QaDataset } from '../data/types.js';
import { postprocessQaPredictions, rowsByFeature } from '../metrics/qa-postprocess.js';
import { squadV1, squadV2 } from '../metrics/squad.js';
import { AutoModelForQuestionAnswering, type AutoModelClass } from '../models/auto.js';
import type { PreTrainedModel } from '../models/pretrained.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { limit, noFilesGiven } from './shared.js';
import { TaskConfigError } from './errors.js';
import type { DataOptions, EvalSplit, QaScoring, TaskData, TaskFamily, TextInput, TextInputOptions } from './types.js';

export const QA_TASKS = ['squad', 'squad_v2'] as const;
export type QaTask = (typeof QA_TASKS)[number];

const SQUAD_V2_METRICS = ['exact', 'f1', 'HasAns_exact', 'HasAns_f1', 'NoAns_exact', 'NoAns_f1', 'best_exact', 'best_f1'];

async function prepare(task: QaTask, tokenizer: Tokenizer, options: DataOptions): Promise<TaskData> {
  const version2 = task === 'squad_v2';
  const repo = version2 ? 'rajpurkar/squad_v2' : 'rajpurkar/squad';
  const read = async (file: string | undefined, split: string): Promise<QaDataset | null> => {
    const dataset = file ? readSquadJson(file) : noFilesGiven(options) ? await loadSquad({ hub: { repo } }, split) : null;
    if (dataset && dataset.version === '2.0' && !version2) {
      throw new DataError(dataset.source, 'has unanswerable questions (SQuAD v2.0): use --task squad_v2');
    }
    return dataset;
  };
  const featureOptions = { maxLength: options.maxSeqLength, docStride: options.docStride };
  const train = options.withTrain ? await read(options.trainFile, 'train') : null;
  if (options.withTrain && !train) throw new DataError(`--task ${task}`, 'needs --train-file (SQuAD JSON)');
  const split = async (name: string, file: string | undefined): Promise<EvalSplit | null> => {
    const dataset = await read(file, name);
    if (!dataset) return null;
    const limited = limit(dataset, options.maxEvalSamples);
    const { set, info } = await qaEvalFeatures(tokenizer, limited, featureOptions);
    // Labeled splits also get run_qa's training targets for the same windows, so an eval loss can be reported.
    const labeled = limited.examples.some((example) => example.answers.length > 0);
    const scored = labeled ? await qaTrainFeatures(tokenizer, limited, featureOptions) : set;
    return qaSplit(name, limited, scored, info, labeled, version2, options.qa);
  };
  return {
    labels: { names: [] },
    train: train ? await qaTrainFeatures(tokenizer, limit(train, options.maxTrainSamples), featureOptions) : null,
    evalSplits: [await split('validation', options.validationFile)].filter((s): s is EvalSplit => s !== null),
    testSplit: options.testFile ? await split('test', options.testFile) : null,
  };
}

/** Inline `--question … --context …`: one unanswered question (v2 models may answer ""). */
async function prepareText(task: QaTask, tokenizer: Tokenizer, input: TextInput, options: TextInputOptions): Promise<EvalSplit> {
  if (input.question === undefined || input.context === undefined) {
    throw new TaskConfigError(`--task ${task} answers --question "…" from --context "…": give both`);
  }
  const dataset: QaDataset = {
    version: task === 'squad_v2' ? '2.0' : '1.1', source: '--question',
    examples: [{ id: '0', title: '', question: input.question, context: input.context, answers: [] }],
  };
  const { set, info } = await qaEvalFeatures(tokenizer, dataset, { maxLength: options.maxSeqLength, docStride: options.docStride });
  return qaSplit('predict', dataset, set, info, false, task === 'squad_v2', options.qa);
}

function qaSplit(name: string, dataset: QaDataset, set: FeatureSet, info: QaFeatureInfo[], labeled: boolean,
  version2: boolean, options: QaScoring): EvalSplit {
  return {
    name, set, labeled, metricSuffix: '',
    score(result) {
      const starts = rowsByFeature(set.features.length, result.batches.map((b) => ({ featureIndex: b.batch.feature_index, logits: b.outputs.start_logits })));
      const ends = rowsByFeature(set.features.length, result.batches.map((b) => ({ featureIndex: b.batch.feature_index, logits: b.outputs.end_logits })));
      const post = postprocessQaPredictions(dataset.examples, info, starts, ends, {
        version2, nBest: options.nBestSize, maxAnswerLength: options.maxAnswerLength,
        nullScoreDiffThreshold: options.nullScoreDiffThreshold,
      });
      const records = dataset.examples.map((example) => {
        const text = post.predictions.get(example.id)!;
        const chosen = post.nBest.get(example.id)!.find((answer) => answer.text === text)!;
        const hasSpan = chosen.end > chosen.start; // not the null answer, nor HF's "empty" placeholder
        return {
          id: example.id, prediction_text: text,
          answer_start: hasSpan ? chosen.start : null, answer_end: hasSpan ? chosen.end : null,
          score: chosen.probability,
          ...(labeled ? { references: example.answers.map((a) => a.text) } : {}),
        };
      });
      if (!labeled) return { metrics: {}, records };
      const references = dataset.examples.map((example) => ({ id: example.id, answers: example.answers.map((a) => a.text) }));
      const metrics = version2 ? squadV2(references, post.predictions) : squadV1(references, post.predictions);
      const numeric = Object.fromEntries(Object.entries(metrics).filter(([key, value]) =>
        typeof value === 'number' && !key.endsWith('_total') && !key.endsWith('_thresh') && key !== 'total'));
      return { metrics: numeric, records };
    },
  };
}

export const questionAnswering: TaskFamily<QaTask> = {
  names: QA_TASKS,
  head: 'question-answering',
  autoModel: AutoModelForQuestionAnswering as AutoModelClass<PreTrainedModel>,
  architecture: /ForQuestionAnswering$/,
  acceptsFlag: (_task, flag) => flag === 'docStride',
  spec: (task) => task === 'squad_v2'
    ? { head: 'question-answering', metrics: SQUAD_V2_METRICS, primaryMetric: 'f1', defaultMaxSeqLength: 384 }
    : { head: 'question-answering', metrics: ['exact_match', 'f1'], primaryMetric: 'f1', defaultMaxSeqLength: 384 },
  prepare,
  prepareText,
  labeledHead: false,
  fixedNumLabels: 2,
  headOutputs: () => null,
  // A QA model of unknown SQuAD version may answer "": v2 scoring covers both.
  defaultTask: () => 'squad_v2',
};
