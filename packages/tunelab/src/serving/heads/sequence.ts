// Sentence (pair) classification and regression: `tunelab predict --text … --text-pair …`'s own code path (tasks'
// prepareTextPrediction and its split's scoring), so an answer is predict's record without its id: label, label_id,
// score (softmax probability) and logits; regression: score and logits. Texts beyond --max-seq-length are truncated.
import { z } from 'zod';
import { prepareTextPrediction } from '../../tasks/index.js';
import type { HeadContext } from './context.js';
import { scoreRows } from './split-rows.js';
import type { ServingHead } from './types.js';

const TextInput = z.union([
  z.string(),
  z.strictObject({ text: z.string(), text_pair: z.string().optional() }),
]);
type TextInput = z.infer<typeof TextInput>;

/** transformers' text-classification options (top_k, function_to_apply) are not offered: every answer has all logits. */
const NoParameters = z.strictObject({});

export function sequenceHead(context: HeadContext): ServingHead<TextInput, Record<string, never>> {
  const { task } = context;
  return {
    pipeline: 'text-classification',
    input: TextInput,
    parameters: NoParameters,
    outputs: ['logits'],
    async prepare(input) {
      const { text, text_pair: textPair } = typeof input === 'string' ? { text: input, text_pair: undefined } : input;
      const split = await prepareTextPrediction(task, context.tokenizer, { text, ...(textPair !== undefined ? { textPair } : {}) },
        context.textOptions);
      return {
        features: split.set.features,
        finish(rows) {
          const { id: _id, ...answer } = scoreRows(split, rows, [])[0];
          return answer;
        },
      };
    },
  };
}
