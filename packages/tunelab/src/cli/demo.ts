// `tunelab demo` (`npm run demo`): fine-tunes a small BERT on a generated paraphrase corpus, offline, in a minute or
// two on a CPU, and prints the metrics and where the run lives. See train/demo.ts.
import type { Command } from 'commander';
import { z } from 'zod';
import { parseArgs } from '../train/args.js';
import { runDemo } from '../train/demo.js';
import { chooseReporterMode, createReporter } from '../train/progress.js';
import { addOptions, givenFlags, runVerb, storeHelp } from './options.js';

const DemoArgsSchema = z.strictObject({
  dir: z.string().min(1).optional(),
  epochs: z.coerce.number().positive().optional(),
  trainSize: z.coerce.number().int().positive().optional(),
  store: z.string().min(1).optional(),
  track: z.boolean().default(true),
  json: z.boolean().default(false),
});

export function register(program: Command): void {
  const command = program.command('demo')
    .description('Fine-tune a small BERT on a synthetic paraphrase corpus (offline, about a minute on a CPU)');
  addOptions(command, [
    ['--dir <dir>', 'folder for the corpus, model and output (default: tunelab-runs/demo-<time>)'],
    ['--epochs <n>', 'training epochs (default 6)'],
    ['--train-size <n>', 'sentence pairs in the generated training set (default 3000)'],
    ['--store <url>', storeHelp()],
    ['--no-track', 'do not record the run in the tracking store'],
    ['--json', 'machine-readable output: one JSON object per line'],
  ]);
  command.action(() => runVerb(async () => {
    const args = parseArgs(DemoArgsSchema, givenFlags(command));
    const reporter = createReporter(chooseReporterMode(args.json));
    try {
      const started = performance.now();
      const result = await runDemo(args, reporter);
      reporter.result(result);
      reporter.message(`demo finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      reporter.close();
    }
  }));
}
