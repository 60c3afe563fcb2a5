export { accuracy, argmax, f1Binary, matthewsCorrelation } from './classification.js';
export { averageRanks, pearson, spearman } from './correlation.js';
export { GLUE_METRICS, glueMetrics } from './glue.js';
export {
  exactMatch, normalizeAnswer, squadV1, squadV2, tokenF1,
  type SquadReference, type SquadV1Result, type SquadV2Result,
} from './squad.js';
export {
  postprocessQaPredictions, rowsByFeature,
  type NBestAnswer, type QaPostprocessOptions, type QaPostprocessResult,
} from './qa-postprocess.js';
export { getEntities, seqeval, type Entity, type SeqevalOptions, type SeqevalResult, type TaggingScheme, type TypeScores } from './seqeval.js';
export { alignTokenPredictions } from './token-classification.js';
export { MetricInputError } from './errors.js';
