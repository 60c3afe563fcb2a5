// What the readers return: examples as plain objects, before tokenization.

/** A sentence or sentence pair with a class id (index into `labels`) or a regression score; null when unlabeled. */
export interface TextExample {
  /** Where the example comes from (`file:line`, or `parquet row N`), for error messages and predictions. */
  id: string;
  text: string;
  textPair?: string;
  label: number | null;
}

export interface TextDataset {
  kind: 'classification' | 'regression';
  /** id2label: class names in id order (empty for regression). */
  labels: string[];
  examples: TextExample[];
  source: string;
}

export interface QaAnswer {
  text: string;
  /** Start in code points of the context (as SQuAD counts). */
  answerStart: number;
}

export interface QaExample {
  id: string;
  title: string;
  context: string;
  question: string;
  /** Gold answers; empty for SQuAD v2 unanswerable questions. The first is the training target. */
  answers: QaAnswer[];
}

export interface QaDataset {
  /** '2.0' when the data has unanswerable questions (is_impossible / empty answers). */
  version: '1.1' | '2.0';
  examples: QaExample[];
  source: string;
}

export interface NerExample {
  id: string;
  tokens: string[];
  /** One tag per token; null for prediction input that has tokens only. */
  tags: string[] | null;
}

export interface NerDataset {
  /** Tag names in id order (sorted, as HF's run_ner does). */
  labels: string[];
  examples: NerExample[];
  source: string;
}
