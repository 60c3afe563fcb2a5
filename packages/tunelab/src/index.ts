// Public API of tunelab. Each capability folder re-exports its own public surface here; utilities whose names would
// collide (data readers, metrics, the Hub cache) are namespaces: `import { data, metrics } from 'tunelab'`.
export { InputError, exitCodeOf, isInputError } from './errors.js';
export * from './models/index.js';
export {
  AutoTokenizer, Tokenizer, TokenizerError, trainWordPiece,
  type Encoding, type EncodeOptions, type Offset, type SpecialTokens,
} from './tokenizers/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/index.js';
export * as hub from './hub/index.js';
export {
  TASKS, TASK_NAMES, prepareTaskData, preparePredictionData, loadModelForTask, metricForBest, readModelHead,
  type TaskName, type TaskSpec, type TaskData, type EvalSplit, type HeadKind,
} from './tasks/index.js';
export { fillMask, predictFillMask, type FillMaskCandidate, type FillMaskOptions } from './tasks/mlm.js';
export * from './train/index.js';
export { fineTuneOnRanks, type LaunchFlags } from './distributed/train-ranks.js';
export { startRun, RunClient, ENV_RUN_ID, ENV_STORE, type StartRunOptions } from './track/client.js';
export { openStore, isStore, type Store, resolveStoreTarget, NotFoundError, StoreError, StoreInputError } from './track/store.js';
export { formatProtocolLine, parseProtocolLine, PROTOCOL_PREFIX } from './track/protocol.js';
export { startServer, createApp, type AppType, type ServeOptions, type RunningServer } from './server/index.js';
export {
  exportModel, ExportError, EXPORT_FORMATS, QUANTIZATIONS, type ExportOptions, type ExportResult,
} from './export/index.js';
