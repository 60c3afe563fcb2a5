// Fine-tuned model folders for predict/eval tests without training: the tiny 2-layer config with a head, its
// weights drawn from a seed and saved (model.safetensors), and bert-base-uncased's tokenizer.
import * as torch from '@tunelab/torch';
import {
  AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForTokenClassification,
} from '../../src/models/auto.js';
import { tinyModelFolder } from '../e2e/helpers.js';

const HEADS = {
  sequence: { architecture: 'BertForSequenceClassification', auto: AutoModelForSequenceClassification },
  token: { architecture: 'BertForTokenClassification', auto: AutoModelForTokenClassification },
  qa: { architecture: 'BertForQuestionAnswering', auto: AutoModelForQuestionAnswering },
} as const;

/** A saved model folder with `head` and `labels` (id order), weights from `seed`; `extra` goes into config.json. */
export async function savedTinyModel(head: keyof typeof HEADS, labels: string[] = [], extra: Record<string, unknown> = {}): Promise<string> {
  const id2label = Object.fromEntries(labels.map((label, id) => [String(id), label]));
  const label2id = Object.fromEntries(labels.map((label, id) => [label, id]));
  const dir = tinyModelFolder({
    architectures: [HEADS[head].architecture], ...(labels.length > 0 ? { id2label, label2id } : {}), ...extra,
  });
  torch.manualSeed(7);
  const model = await HEADS[head].auto.fromPretrained(dir, { fromScratch: true });
  try {
    model.savePretrained(dir);
  } finally {
    model.dispose();
  }
  return dir;
}
