// The model `tunelab serve` answers with: a fine-tuned folder loaded once (head, tokenizer, labels, device,
// precision), the head that reads its requests, and one forward pass over a batch of rows.
import * as torch from '@tunelab/torch';
import { collate } from '../data/collate.js';
import type { Feature } from '../data/features.js';
import {
  TASKS, TASK_NAMES, TaskConfigError, checkModelHead, headOutputs, isMaskedLmTask, isTaskName, loadModelForTask, predictionTask,
  readModelHead, type TaskName,
} from '../tasks/index.js';
import { AutoTokenizer } from '../tokenizers/auto.js';
import { toModelInputs } from '../train/inference.js';
import { resolveUnpad, unpadsBatch, type UnpadMode } from '../train/unpad.js';
import {
  resolveDevice, resolvePrecision, withAutocast, type ComputeDevice, type DeviceFlag, type Precision, type PrecisionFlag,
} from '../train/precision.js';
import { checkedHead } from './heads/checked.js';
import type { HeadContext } from './heads/context.js';
import { fillMaskHead } from './heads/fill-mask.js';
import { questionAnsweringHead } from './heads/qa.js';
import { sequenceHead } from './heads/sequence.js';
import { tokenClassificationHead } from './heads/token.js';
import type { AnyServingHead, PipelineName, RowOutputs } from './heads/types.js';

export interface ServingModelOptions {
  modelDir: string;
  /** As `tunelab predict --task` (`fill-mask` for a masked LM); default: what the folder's head does. */
  task?: string;
  device?: DeviceFlag;
  /** Default fp32, as transformers' pipelines. */
  precision?: PrecisionFlag;
  maxSeqLength?: number;
  docStride?: number;
  nBestSize?: number;
  maxAnswerLength?: number;
  nullScoreDiffThreshold?: number;
  /** As train/eval's --unpad (train/unpad.ts): default auto, batches with ≥ 25 % padding on the CPU. */
  unpad?: UnpadMode;
}

export interface ServingModelInfo {
  modelDir: string;
  pipeline: PipelineName;
  task: TaskName;
  architecture: string;
  labels: string[];
  device: ComputeDevice;
  precision: Precision;
  maxSeqLength: number;
}

export interface ServingModel {
  info: ServingModelInfo;
  head: AnyServingHead;
  /** One forward pass over `features` (padded to the longest): each row's outputs, in order. */
  run(features: Feature[]): RowOutputs[] | Promise<RowOutputs[]>;
  dispose(): void;
}

export async function loadServingModel(options: ServingModelOptions): Promise<ServingModel> {
  const device = resolveDevice(options.device ?? 'auto');
  const precision = resolvePrecision(options.precision ?? 'fp32', device);
  const headInfo = await readModelHead(options.modelDir);
  // As predict: the folder's own task by default; `fill-mask` names the masked-LM task of the head.
  const task = await predictionTask(options.task, options.modelDir);
  if (!isTaskName(task)) throw new TaskConfigError(`--task ${task}: expected one of: fill-mask, ${TASK_NAMES.join(', ')}`);
  checkModelHead(task, options.modelDir, headInfo, true);
  const outputs = headOutputs(task);
  if (outputs !== null && headInfo.labels.length !== outputs) {
    throw new TaskConfigError(`--model ${options.modelDir}: its head has ${headInfo.labels.length} outputs, --task ${task} needs ${outputs}`);
  }
  const tokenizer = await AutoTokenizer.fromPretrained(options.modelDir);
  const model = await loadModelForTask(task, options.modelDir, { labels: null, fromScratch: false, device });
  const context: HeadContext = {
    task, tokenizer,
    textOptions: {
      labels: headInfo.labels,
      maxSeqLength: options.maxSeqLength ?? TASKS[task].defaultMaxSeqLength,
      docStride: options.docStride ?? 128,
      // predict's defaults (--n-best-size 20, --max-answer-length 30, --null-score-diff-threshold 0)
      qa: { nBestSize: options.nBestSize ?? 20, maxAnswerLength: options.maxAnswerLength ?? 30, nullScoreDiffThreshold: options.nullScoreDiffThreshold ?? 0 },
    },
  };
  const head = headFor(context);
  const unpadMinPadding = resolveUnpad(options.unpad ?? 'auto', device, false).minPadding;
  return {
    info: {
      modelDir: options.modelDir, pipeline: head.pipeline, task, architecture: model.architecture,
      labels: headInfo.labels, device, precision, maxSeqLength: context.textOptions.maxSeqLength,
    },
    head,
    run(features) {
      const batch = collate({ labelKind: 'none', features }, features.map((_, i) => i), { padId: tokenizer.padTokenId });
      return torch.noGrad(() => torch.scope(() => {
        // Requests of different lengths pad to the longest: a batch with much padding runs on its real tokens only.
        const forward = { outputs: head.outputs, unpad: unpadsBatch(batch, unpadMinPadding) };
        const outputs = withAutocast(precision, device, () => model.forward(toModelInputs(batch, device, false), forward));
        return head.readOutputs ? head.readOutputs(outputs, batch) : rowsOf(outputs, batch.size[0], head.outputs);
      }));
    },
    dispose: () => model.dispose(),
  };
}

function headFor(context: HeadContext): AnyServingHead {
  if (isMaskedLmTask(context.task)) return checkedHead(fillMaskHead(context));
  const kind = TASKS[context.task].head;
  if (kind === 'question-answering') return checkedHead(questionAnsweringHead(context));
  if (kind === 'token-classification') return checkedHead(tokenClassificationHead(context));
  return checkedHead(sequenceHead(context));
}

/** The tensor outputs the head reads (default: all but the loss), as float32 on the host, split into rows. */
function rowsOf(outputs: Record<string, torch.Tensor | undefined>, rows: number, read?: readonly string[]): RowOutputs[] {
  const result: RowOutputs[] = Array.from({ length: rows }, () => ({}));
  for (const [name, value] of Object.entries(outputs)) {
    if (name === 'loss' || !value || (read && !read.includes(name))) continue;
    const host = value.detach().float().cpu();
    const data = host.toTypedArray() as Float32Array;
    const shape = host.shape.slice(1);
    const width = data.length / rows;
    result.forEach((row, r) => { row[name] = { data: data.subarray(r * width, (r + 1) * width), shape }; });
  }
  return result;
}
