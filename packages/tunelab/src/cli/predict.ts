// `tunelab predict`: a fine-tuned model folder + an input file → one JSON line per example (classification: label
// and probability; regression: the score; QA: answer text, span and score; NER: a tag per word).
import type { Command } from 'commander';
import { taskOfSavedModel } from '../tasks.js';
import { PredictArgsSchema, parseArgs } from '../train/args.js';
import { predictWithSavedModel } from '../train/evaluate.js';
import { metricsTable } from '../train/progress.js';
import { MODEL_OPTIONS, addOptions, givenFlags, runVerb } from './train.js';

export function register(program: Command): void {
  const command = program.command('predict').description('Predict with a fine-tuned model: file in, JSONL out');
  addOptions(command, [
    ...MODEL_OPTIONS,
    ['--input <file>', 'examples to predict, in the task\'s format'],
    ['--output <file>', 'where the JSONL predictions of --input go'],
    ['--text <text>', 'one sentence to classify instead of --input (prints the prediction)'],
    ['--text-pair <text>', 'the second sentence of a pair, with --text'],
  ]);
  command.action(() => runVerb(async () => {
    const flags = givenFlags(command);
    // Without --task, the model's own head says what it does.
    if (flags.task === undefined && typeof flags.model === 'string') flags.task = await taskOfSavedModel(flags.model);
    const args = parseArgs(PredictArgsSchema, flags);
    const result = await predictWithSavedModel(args);
    if (result.output === null) {
      for (const record of result.records) process.stdout.write(`${JSON.stringify(record)}\n`);
    } else if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else {
      const scores = Object.keys(result.metrics).length > 0 ? `${metricsTable(result.metrics)}\n` : '';
      process.stdout.write(`${scores}${result.count} predictions written to ${result.output}\n`);
    }
  }));
}
