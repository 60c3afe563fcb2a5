// What a head is built from: the loaded model's tokenizer and task, and the input limits `tunelab serve` was given.
import type { TaskName } from '../../tasks/index.js';
import type { TextInputOptions } from '../../tasks/types.js';
import type { Tokenizer } from '../../tokenizers/tokenizer.js';

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
