// What every serving head implements: validate one request input, turn it into model rows (features), and turn the
// rows' outputs back into its answer. The batcher runs rows of many requests in one forward pass in between.
import type { Tensor } from '@tunelab/torch';
import type { z } from 'zod';
import type { Batch } from '../../data/collate.js';
import type { Feature } from '../../data/features.js';
import type { HostArray } from '../../train/inference.js';

/** The outputs of one row, without the batch dimension: logits [C], token logits [T, C] (T = the batch's length). */
export type RowOutputs = Record<string, HostArray>;

/** One input turned into model rows, and how the rows' outputs (in the same order) become its answer (JSON). */
export interface PreparedInput {
  features: Feature[];
  finish(rows: RowOutputs[]): unknown | Promise<unknown>;
}

/** The pipelines, named as transformers names them (and the Inference API routes them). */
export type PipelineName = 'text-classification' | 'token-classification' | 'question-answering' | 'fill-mask';

export interface ServingHead<Input, Parameters> {
  pipeline: PipelineName;
  /** One input in the request body (a list of these is a batch request). */
  input: z.ZodType<Input>;
  /** The Inference API's `parameters` this head understands; anything else is refused by name. */
  parameters: z.ZodType<Parameters>;
  prepare(input: Input, parameters: Parameters): Promise<PreparedInput>;
  /**
   * The model outputs the head reads (the others are not copied to the host, and a model may skip their work: an
   * encoder then runs a padded batch on its real tokens only, train/unpad.ts). Default: all of them.
   */
  outputs?: readonly string[];
  /**
   * Copies what the head needs from a batch's model outputs to the host, one entry per row. Default: every output,
   * split by rows; the masked LM keeps only the rows of mask tokens (a vocabulary-wide row per token is large).
   */
  readOutputs?(outputs: Record<string, Tensor | undefined>, batch: Batch): RowOutputs[];
}

/** A head with its input types checked inside: what the server holds. */
export interface AnyServingHead {
  pipeline: PipelineName;
  /** Validates `input` and `parameters` (zod) and prepares; throws RequestError naming the bad field. */
  prepare(input: unknown, parameters: unknown, where: string): Promise<PreparedInput>;
  outputs?: readonly string[];
  readOutputs?(outputs: Record<string, Tensor | undefined>, batch: Batch): RowOutputs[];
}
