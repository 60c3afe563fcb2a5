// What a head is built from: the loaded model's tokenizer and task, and the input limits `tunelab serve` was given.
import { z } from 'zod';
import type { TaskName } from '../../tasks/index.js';
import type { TextInputOptions } from '../../tasks/types.js';
import type { Encoding, Tokenizer } from '../../tokenizers/tokenizer.js';

export interface HeadContext {
  /** The task the model does (`classification`, `regression`, `glue/mrpc`, `squad_v2`, `ner`, `mlm`, …). */
  task: TaskName;
  tokenizer: Tokenizer;
  /**
   * As `tunelab predict` reads inline text: id2label, --max-seq-length (longer texts are truncated, longer QA
   * contexts windowed), --doc-stride and the QA post-processing flags.
   */
  textOptions: TextInputOptions;
}

/** The input of a one-text head (token classification, fill-mask): a string, or `{ text }`. */
export const SingleTextInput = z.union([z.string(), z.strictObject({ text: z.string() })]);
export type SingleTextInput = z.infer<typeof SingleTextInput>;

/** A one-text input encoded as `tunelab predict --text` encodes it: truncated to --max-seq-length. */
export function encodeSingleText(context: HeadContext, input: SingleTextInput): Promise<Encoding> {
  const text = typeof input === 'string' ? input : input.text;
  return context.tokenizer.encode(text, null, { maxLength: context.textOptions.maxSeqLength, truncation: 'longest_first' });
}
