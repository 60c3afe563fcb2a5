// The `tunelab` command: one file per verb in this folder, each exporting `register(program)`.
import { Command } from 'commander';
import { verbs } from './verbs.js';

const program = new Command('tunelab')
  .description('Fine-tune BERT-family models, track runs and sweep hyperparameters')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

for (const register of verbs) register(program);

await program.parseAsync(process.argv);
