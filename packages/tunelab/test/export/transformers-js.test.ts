// transformers.js in Node (onnxruntime-node underneath) loads an exported folder offline (local_files_only, no
// remote models) and agrees with tunelab: the same token ids, logits within 1e-4, the same label — and its
// text-classification pipeline gives tunelab's label with the fp32 and the int8 (dtype 'q8') model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, dirname, join } from 'node:path';
import * as transformers from '@huggingface/transformers';
import * as torch from '@tunelab/torch';
import { AutoModelForSequenceClassification } from '../../src/models/auto.js';
import { AutoTokenizer } from '../../src/tokenizers/auto.js';
import { exportModel } from '../../src/export/onnx-export.js';
import { tempDir, tinyModelWithTokenizer } from './helpers.js';

const LABELS = { 0: 'contradiction', 1: 'neutral', 2: 'entailment' };
const EXAMPLES: [string, string | null][] = [
  ['The cat sat on the mat.', 'A cat was sitting.'],
  ['Stocks fell sharply on Monday.', 'Markets rallied to a record high.'],
  ['I loved this film!', null],
  ['The weather in Paris is mild in spring, and the parks fill with people.', null],
  ['Who wrote the letter?', 'The letter was written by her brother in 1901.'],
  ['Terrible service, cold food, never again.', null],
  ['42', 'forty-two'],
  ['A quick brown fox jumps over the lazy dog near the river bank.', 'Dogs sleep.'],
];

const argmax = (values: ArrayLike<number>) => Array.from(values).indexOf(Math.max(...Array.from(values)));

/** Every architecture; RoBERTa with BERT's WordPiece vocabulary (the graph does not care which tokenizer made the ids). */
for (const modelType of ['bert', 'distilbert', 'electra', 'roberta']) {
  test(`${modelType}: transformers.js loads the export offline and gives tunelab's tokens, logits (1e-4) and labels`, async () => {
    await checkTransformersJs(modelType, { pipelines: modelType === 'bert' });
  });
}

/** `pipelines`: also run transformers.js' text-classification pipeline, fp32 and q8 (once is enough: it is the same model call). */
async function checkTransformersJs(modelType: string, { pipelines }: { pipelines: boolean }): Promise<void> {
  const modelDir = tinyModelWithTokenizer(AutoModelForSequenceClassification, {
    num_labels: 3, id2label: LABELS, label2id: Object.fromEntries(Object.entries(LABELS).map(([id, label]) => [label, Number(id)])),
  }, modelType);
  const out = join(tempDir(), 'exported');
  await exportModel({ model: modelDir, output: out, quantize: pipelines ? 'int8' : undefined });

  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = dirname(out);
  const name = basename(out);
  const segments = modelType === 'bert' || modelType === 'electra';
  const options = { local_files_only: true } as const;
  const theirTokenizer = await transformers.AutoTokenizer.from_pretrained(name, options);
  const theirModel = await transformers.AutoModelForSequenceClassification.from_pretrained(name, { ...options, dtype: 'fp32' });
  const ourTokenizer = await AutoTokenizer.fromPretrained(modelDir);
  const ourModel = await AutoModelForSequenceClassification.fromPretrained(modelDir);
  const ourLabels: string[] = [];
  try {
    for (const [text, pair] of EXAMPLES) {
      const theirs = theirTokenizer(text, { text_pair: pair });
      const ours = await ourTokenizer.encode(text, pair);
      assert.deepEqual(Array.from(theirs.input_ids.data as BigInt64Array, Number), ours.input_ids, `token ids of ${text}`);
      const theirLogits = (await theirModel(theirs)).logits.data as Float32Array;
      const ourLogits = torch.noGrad(() => torch.scope(() => {
        const tensor = (values: number[]) => torch.fromTypedArray(BigInt64Array.from(values, BigInt), [1, values.length], { dtype: 'int64' });
        return ourModel.forward({
          input_ids: tensor(ours.input_ids), attention_mask: tensor(ours.attention_mask),
          ...(segments ? { token_type_ids: tensor(ours.token_type_ids) } : {}),
        }).logits.toArray();
      }));
      ourLogits.forEach((value, i) => assert.ok(Math.abs(value - theirLogits[i]!) <= 1e-4, `logit ${i} of ${text}: ${value} vs ${theirLogits[i]}`));
      ourLabels.push(LABELS[argmax(ourLogits) as 0 | 1 | 2]);
      const { id2label } = theirModel.config as unknown as { id2label: Record<number, string> };
      assert.equal(id2label[argmax(theirLogits)], ourLabels.at(-1));
    }
    // With random weights the [CLS]-based heads of DistilBERT and ELECTRA give one label for all: the logits carry
    // the check there. BERT's reach several, so its pipelines' labels are a real check.
    if (pipelines) assert.ok(new Set(ourLabels).size > 1, 'the examples reach more than one label, so agreeing is not trivial');
    for (const dtype of pipelines ? ['fp32', 'q8'] as const : []) {
      const classify = await transformers.pipeline('text-classification', name, { ...options, dtype });
      try {
        for (const [index, [text, pair]] of EXAMPLES.entries()) {
          if (pair !== null) continue; // the pipeline takes single texts; pairs were checked through the model above
          const [answer] = await classify(text) as { label: string; score: number }[];
          assert.equal(answer!.label, ourLabels[index], `${dtype} pipeline label of ${text}`);
        }
      } finally {
        await classify.dispose();
      }
    }
  } finally {
    ourModel.dispose();
    await theirModel.dispose();
  }
}
