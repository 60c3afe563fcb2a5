// Fill-mask over a masked-LM model, as transformers' fill-mask pipeline and `tunelab predict` (tasks/mlm.ts'
// fillMaskCandidates builds the answers): for each mask token the top_k (default 5) tokens by softmax probability,
// each with the text re-decoded with it in place; one mask: a list, several: a list per mask. Only the mask rows of
// the vocabulary-wide logits are used: softmax and top-k run on the device, the top MAX_TOP_K come to the host.
import * as torch from '@tunelab/torch';
import { z } from 'zod';
import { idsOf } from '../../data/features.js';
import { fillMaskCandidates } from '../../tasks/mlm.js';
import { badRequest } from '../errors.js';
import { encodeSingleText, SingleTextInput, type HeadContext } from './context.js';
import type { RowOutputs, ServingHead } from './types.js';

const MAX_TOP_K = 100;
const Parameters = z.strictObject({ top_k: z.number().int().min(1).max(MAX_TOP_K).default(5) });
type Parameters = z.infer<typeof Parameters>;

function maskPositions(inputIds: ArrayLike<number>, maskId: number): number[] {
  const positions: number[] = [];
  for (let t = 0; t < inputIds.length; t++) if (inputIds[t] === maskId) positions.push(t);
  return positions;
}

export function fillMaskHead(context: HeadContext): ServingHead<SingleTextInput, Parameters> {
  const { tokenizer } = context;
  const maskId = tokenizer.maskTokenId;
  const { maxSeqLength } = context.textOptions;
  return {
    pipeline: 'fill-mask',
    input: SingleTextInput,
    parameters: Parameters,
    async prepare(input, parameters) {
      const encoding = await encodeSingleText(context, input);
      const positions = maskPositions(encoding.input_ids, maskId);
      if (positions.length === 0) {
        throw badRequest(`no ${tokenizer.specialTokens.mask?.token ?? 'mask'} token in the text (within its first ${maxSeqLength} tokens)`);
      }
      return {
        features: [idsOf(encoding)],
        finish: ([row]) => fillMaskCandidates(tokenizer, encoding.input_ids, positions,
          { scores: row.scores.data, tokens: row.tokens.data }, parameters.top_k),
      };
    },
    readOutputs(outputs, batch) {
      const [rows, width] = batch.size;
      const masksPerRow = Array.from({ length: rows }, (_, r) => maskPositions(batch.input_ids.subarray(r * width, (r + 1) * width), maskId).length);
      // Flat indices of every mask token of the batch in [rows × width] order, so mask rows come out row by row.
      const flat = Int32Array.from(maskPositions(batch.input_ids, maskId));
      const logits = (outputs.logits ?? outputs.prediction_logits)!;
      const vocab = logits.shape[logits.shape.length - 1];
      const k = Math.min(MAX_TOP_K, vocab);
      const index = torch.fromTypedArray(flat, [flat.length], { dtype: 'int64', device: logits.device });
      const { values, indices } = logits.reshape([rows * width, vocab]).indexSelect(0, index).float().softmax(-1).topk(k, -1);
      const scores = values.cpu().toTypedArray() as Float32Array;
      const tokens = indices.float().cpu().toTypedArray() as Float32Array; // ids < 2^24: exact in float32
      let offset = 0;
      return masksPerRow.map((count): RowOutputs => {
        const slice = (data: Float32Array) => ({ data: data.subarray(offset * k, (offset + count) * k), shape: [count, k] });
        const row = { scores: slice(scores), tokens: slice(tokens) };
        offset += count;
        return row;
      });
    },
  };
}
