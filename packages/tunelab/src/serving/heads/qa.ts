// Extractive question answering: {question, context} → {answer, start, end, score}, through `tunelab predict
// --question … --context …`'s code path (tasks' prepareTextPrediction: windows of --max-seq-length tokens sharing
// --doc-stride tokens, SQuAD post-processing). answer/start/end/score are predict's prediction_text, answer_start,
// answer_end (code points of the context; null for no answer) and score (the answer's n-best probability).
import { z } from 'zod';
import { prepareTextPrediction } from '../../tasks/index.js';
import { badRequest } from '../errors.js';
import type { HeadContext } from './context.js';
import { scoreRows } from './split-rows.js';
import type { ServingHead } from './types.js';

const QuestionInput = z.strictObject({ question: z.string(), context: z.string() });
type QuestionInput = z.infer<typeof QuestionInput>;

/** Windows (rows) one question may take: a longer context is refused, not cut (cutting would change the answer). */
export const MAX_QA_WINDOWS = 64;

export function questionAnsweringHead(context: HeadContext): ServingHead<QuestionInput, Record<string, never>> {
  const { task } = context;
  return {
    pipeline: 'question-answering',
    input: QuestionInput,
    parameters: z.strictObject({}),
    outputs: ['start_logits', 'end_logits'],
    async prepare({ question, context: text }) {
      const split = await prepareTextPrediction(task, context.tokenizer, { question, context: text }, context.textOptions);
      const windows = split.set.features.length;
      if (windows > MAX_QA_WINDOWS) {
        throw badRequest(`context: ${windows} windows of ${context.textOptions.maxSeqLength} tokens, at most ${MAX_QA_WINDOWS} per question`);
      }
      return {
        features: split.set.features,
        finish(rows) {
          const record = scoreRows(split, rows, ['start_logits', 'end_logits'])[0];
          return { answer: record.prediction_text, start: record.answer_start, end: record.answer_end, score: record.score };
        },
      };
    },
  };
}
