// `tunelab eval`: metrics of a fine-tuned model folder on validation data; with --output-dir also metrics.json and
// predictions/<split>.jsonl.
import type { Command } from 'commander';
import { EvalArgsSchema, parseArgs } from '../train/args.js';
import { evaluateSavedModel } from '../train/evaluate.js';
import { metricsTable } from '../train/progress.js';
import { MODEL_OPTIONS, addOptions, givenFlags, runVerb } from './train.js';

export function register(program: Command): void {
  const command = program.command('eval').description('Evaluate a fine-tuned model on validation data');
  addOptions(command, [
    ...MODEL_OPTIONS,
    ['--validation-file <file>', 'data to score (none: the task\'s Hub validation split)'],
    ['--validation-mismatched-file <file>', 'glue/mnli: the mismatched dev set'],
    ['--max-eval-samples <n>', 'use only the first n examples'],
    ['--output-dir <dir>', 'also write metrics.json and predictions/<split>.jsonl here'],
  ]);
  command.action(() => runVerb(async () => {
    const args = parseArgs(EvalArgsSchema, givenFlags(command));
    const result = await evaluateSavedModel(args);
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else process.stdout.write(`${metricsTable(result.metrics)}\n${result.outputDir ? `output: ${result.outputDir}\n` : ''}`);
  }));
}
