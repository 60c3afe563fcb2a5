// `tunelab eval`: metrics of a fine-tuned model folder on validation data; with --output-dir also metrics.json and
// predictions/<split>.jsonl. fp32 unless --precision says otherwise; the output names the device and precision.
import type { Command } from 'commander';
import { predictionTask } from '../tasks/index.js';
import { EvalArgsSchema, parseArgs } from '../train/args.js';
import { evaluateSavedModel } from '../train/evaluate.js';
import { createEvalProgress } from '../train/progress.js';
import { formatSetup, metricsTable } from '../format.js';
import { INFERENCE_OPTIONS, MODEL_OPTIONS, addOptions, givenFlags, runVerb } from './options.js';

export function register(program: Command): void {
  const command = program.command('eval').description('Evaluate a fine-tuned model on validation data');
  addOptions(command, [
    ...MODEL_OPTIONS,
    ...INFERENCE_OPTIONS,
    ['--validation-file <file>', 'data to score (none: the task\'s Hub validation split)'],
    ['--validation-mismatched-file <file>', 'glue/mnli: the mismatched dev set'],
    ['--max-eval-samples <n>', 'use only the first n examples'],
    ['--output-dir <dir>', 'also write metrics.json and predictions/<split>.jsonl here'],
  ]);
  command.action(() => runVerb(async () => {
    const flags = givenFlags(command);
    // Without --task, the task the model was trained for (config.json finetuning_task), else its head's; as predict.
    if (typeof flags.model === 'string' && (flags.task === undefined || typeof flags.task === 'string')) {
      flags.task = await predictionTask(flags.task, flags.model,
        typeof flags.validationFile === 'string' ? flags.validationFile : undefined);
    }
    const args = parseArgs(EvalArgsSchema, flags);
    const progress = createEvalProgress(args.json ? null : process.stderr);
    const result = await evaluateSavedModel(args, {
      onBatch: progress.update, onWarning: (text) => process.stderr.write(`warning: ${text}\n`),
    }).finally(() => progress.stop());
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else {
      process.stdout.write(`${metricsTable(result.metrics)}\n${formatSetup(result)}\n`
        + `${result.outputDir ? `output: ${result.outputDir}\n` : ''}`);
    }
  }));
}
