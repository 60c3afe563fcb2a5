// Every CLI verb, one line each. A verb file exports `register(program: Command): void`.
import type { Command } from 'commander';

export const verbs: ((program: Command) => void)[] = [
  (await import('./train.js')).register,
  (await import('./eval.js')).register,
  (await import('./predict.js')).register,
  (await import('./demo.js')).register,
  (await import('./sweep.js')).register,
  (await import('./runs.js')).register,
  (await import('./worker.js')).register,
  (await import('./ui.js')).register,
  (await import('./serve.js')).register,
  (await import('./export.js')).register,
  (await import('./doctor.js')).register,
];
