// Fill-mask over a masked-LM model (AutoModelForMaskedLM), as transformers' fill-mask pipeline: for each mask token
// the top_k (default 5) vocabulary entries by softmax probability, each with the text re-decoded with it in place.
// One mask: a list of candidates; several masks: a list per mask. Only the mask rows of the logits leave the device.
// `fillMaskCandidates` is the library function (predict can reuse it): mask-row logits → candidates.
import * as torch from '@tunelab/torch';
import { z } from 'zod';
import { idsOf } from '../../data/features.js';
import { softmax } from '../../tasks/shared.js';
import type { Tokenizer } from '../../tokenizers/tokenizer.js';
import { badRequest } from '../errors.js';
import type { HeadContext } from './context.js';
import type { RowOutputs, ServingHead } from './types.js';

const TextInput = z.union([z.string(), z.strictObject({ text: z.string() })]);
type TextInput = z.infer<typeof TextInput>;
const Parameters = z.strictObject({ top_k: z.number().int().min(1).max(100).default(5) });
type Parameters = z.infer<typeof Parameters>;

export interface FillMaskCandidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

/**
 * The top `topK` candidates for each mask of one sequence: `maskLogits` holds one vocabulary row per mask token of
 * `inputIds`, in order. The sequence is decoded without special tokens when there is one mask (as transformers).
 */
export async function fillMaskCandidates(tokenizer: Tokenizer, inputIds: readonly number[], maskLogits: Float32Array,
  topK: number): Promise<FillMaskCandidate[][]> {
  const masks = maskPositions(inputIds, tokenizer.maskTokenId);
  const vocab = maskLogits.length / Math.max(1, masks.length);
  const single = masks.length === 1;
  const answers: FillMaskCandidate[][] = [];
  for (const [m, position] of masks.entries()) {
    const probabilities = softmax(maskLogits.subarray(m * vocab, (m + 1) * vocab));
    const best = probabilities.map((p, id) => [p, id] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, topK);
    const candidates: FillMaskCandidate[] = [];
    for (const [score, token] of best) {
      const filled = inputIds.map((id, t) => (t === position ? token : id)).filter((id) => id !== tokenizer.padTokenId);
      candidates.push({
        score, token,
        token_str: await tokenizer.decode([token]),
        sequence: await tokenizer.decode(filled, { skipSpecialTokens: single }),
      });
    }
    answers.push(candidates);
  }
  return answers;
}

export function maskPositions(inputIds: ArrayLike<number>, maskId: number): number[] {
  const positions: number[] = [];
  for (let t = 0; t < inputIds.length; t++) if (inputIds[t] === maskId) positions.push(t);
  return positions;
}

export function fillMaskHead(context: HeadContext): ServingHead<TextInput, Parameters> {
  const { tokenizer } = context;
  const maskId = tokenizer.maskTokenId;
  const { maxSeqLength } = context.textOptions;
  return {
    pipeline: 'fill-mask',
    input: TextInput,
    parameters: Parameters,
    async prepare(input, parameters) {
      const text = typeof input === 'string' ? input : input.text;
      const encoding = await tokenizer.encode(text, null, { maxLength: maxSeqLength, truncation: 'longest_first' });
      if (maskPositions(encoding.input_ids, maskId).length === 0) {
        throw badRequest(`no ${tokenizer.specialTokens.mask?.token ?? 'mask'} token in the text (within its first ${maxSeqLength} tokens)`);
      }
      return {
        features: [idsOf(encoding)],
        async finish([row]) {
          const answers = await fillMaskCandidates(tokenizer, encoding.input_ids, row.logits.data, parameters.top_k);
          return answers.length === 1 ? answers[0] : answers;
        },
      };
    },
    readOutputs(outputs, batch) {
      const [rows, width] = batch.size;
      const perRow = Array.from({ length: rows }, (_, r) => maskPositions(batch.input_ids.subarray(r * width, (r + 1) * width), maskId).length);
      const flat = Int32Array.from(maskPositions(batch.input_ids, maskId));
      const logits = outputs.logits!;
      const vocab = logits.shape[logits.shape.length - 1];
      const index = torch.fromTypedArray(flat, [flat.length], { dtype: 'int64', device: logits.device });
      const host = logits.reshape([rows * width, vocab]).indexSelect(0, index).float().cpu().toTypedArray() as Float32Array;
      let offset = 0;
      return perRow.map((count): RowOutputs => {
        const data = host.subarray(offset * vocab, (offset + count) * vocab);
        offset += count;
        return { logits: { data, shape: [count, vocab] } };
      });
    },
  };
}
