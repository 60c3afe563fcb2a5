export type { NerDataset, NerExample, QaAnswer, QaDataset, QaExample, TextDataset, TextExample } from './types.js';
export { DataError } from './errors.js';
export {
  GLUE_TASK_NAMES, GLUE_TASKS, glueFromRows, glueTsvPath, isGlueTask, loadGlue, readGlueTsv,
  type GlueSource, type GlueTask, type GlueTaskSpec,
} from './glue.js';
export { loadSquad, readSquadJson, squadFromRows, type SquadSource } from './squad.js';
export { readConll, readNerJsonl, type NerReadOptions } from './ner.js';
export { readTable, type TableReadOptions } from './table.js';
export { readParquetRows, readParquetShards, type ParquetRow } from './parquet.js';
export {
  IGNORE_INDEX, sequenceClassificationFeatures, tokenClassificationFeatures,
  type Feature, type FeatureSet, type LabelKind, type SequenceFeatureOptions,
} from './features.js';
export { qaEvalFeatures, qaTrainFeatures, type QaEvalFeatures, type QaFeatureInfo, type QaFeatureOptions } from './qa-features.js';
export { collate, evalBatches, trainBatches, type Batch, type CollateOptions, type EpochBatchOptions } from './collate.js';
export { evalOrder, trainOrder, type Shard, type TrainOrderOptions } from './sampler.js';
export { Rng } from './rng.js';
export {
  generateParaphrasePairs, writeSyntheticParaphraseCorpus,
  type ParaphrasePair, type SyntheticCorpusFiles, type SyntheticCorpusOptions,
} from './synthetic.js';
