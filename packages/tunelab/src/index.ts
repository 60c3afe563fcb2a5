// Public API of tunelab. Each capability folder re-exports its own public surface here.
export * from './models/index.js';
export { AutoTokenizer } from './tokenizers/auto.js';
