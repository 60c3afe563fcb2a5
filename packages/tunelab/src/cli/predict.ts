// `tunelab predict`: a fine-tuned model folder + an input file → one JSON line per example (classification: label
// and probability; regression: the score; QA: answer text, span and score; NER: a tag per word), into --output or
// onto stdout; or one inline example (--text, --question/--context), printed for people (JSON with --json).
import type { Command } from 'commander';
import { predictionTask } from '../tasks/index.js';
import { PredictArgsSchema, parseArgs } from '../train/args.js';
import { predictWithSavedModel } from '../train/evaluate.js';
import { createEvalProgress } from '../train/progress.js';
import { formatPrediction, formatSetup, metricsTable } from '../format.js';
import { INFERENCE_OPTIONS, MODEL_OPTIONS, addOptions, givenFlags, runVerb } from './options.js';

export function register(program: Command): void {
  const command = program.command('predict').description('Predict with a fine-tuned model: file in, JSONL out');
  addOptions(command, [
    ...MODEL_OPTIONS,
    ...INFERENCE_OPTIONS,
    ['--input <file>', 'examples to predict, in the task\'s format'],
    ['--output <file>', 'where the JSONL predictions of --input go (default, or -: stdout)'],
    ['--text <text>', 'one example instead of --input: a sentence to classify, or whose words to tag (ner)'],
    ['--text-pair <text>', 'the second sentence of a pair, with --text'],
    ['--question <text>', 'squad/squad_v2: a question to answer from --context, instead of --input'],
    ['--context <text>', 'squad/squad_v2: the passage that holds the answer to --question'],
    ['--top-k <n>', 'fill-mask (mlm): candidates per mask token (default 5)'],
  ]);
  command.action(() => runVerb(async () => {
    const flags = givenFlags(command);
    // Without --task, the model's own head says what it does.
    // `fill-mask` is the masked-LM task of the model's head.
    if (typeof flags.model === 'string' && (flags.task === undefined || typeof flags.task === 'string')) {
      flags.task = await predictionTask(flags.task, flags.model, typeof flags.input === 'string' ? flags.input : undefined);
    }
    const args = parseArgs(PredictArgsSchema, flags);
    const inline = args.input === undefined;
    const progress = createEvalProgress(args.json || inline ? null : process.stderr);
    const result = await predictWithSavedModel(args, {
      onBatch: progress.update, onWarning: (text) => process.stderr.write(`warning: ${text}\n`),
    }).finally(() => progress.stop());
    const scores = Object.keys(result.metrics).length > 0 ? `${metricsTable(result.metrics)}\n` : '';
    if (inline && !args.json) {
      process.stdout.write(`${result.records.map(formatPrediction).join('\n')}\n(${formatSetup(result)})\n`);
    } else if (result.output === null) {
      // stdout holds the JSON lines alone; what ran them goes to stderr
      for (const record of result.records) process.stdout.write(`${JSON.stringify(record)}\n`);
      process.stderr.write(inline ? `${formatSetup(result)}\n` : `${scores}${result.count} predictions (${formatSetup(result)})\n`);
    } else if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else process.stdout.write(`${scores}${result.count} predictions written to ${result.output} (${formatSetup(result)})\n`);
  }));
}
