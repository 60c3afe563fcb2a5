// Every CLI verb, one line each. A verb file exports `register(program: Command): void`.
import type { Command } from 'commander';

export const verbs: ((program: Command) => void)[] = [
  (await import('./sweep.js')).register,
  (await import('./runs.js')).register,
  (await import('./worker.js')).register,
];
