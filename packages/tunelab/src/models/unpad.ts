// The unpadded-token path (FasterTransformer's "remove padding", MosaicBERT's unpad_input / pad_input): after the
// embeddings, the real tokens (attention_mask 1) of a [B, T, H] batch are gathered into [N, H] rows, so every linear,
// LayerNorm, activation, dropout and residual of the encoder costs N rows instead of B × T. Only attention needs the
// [B, heads, T, head_dim] layout: its q/k/v rows are scattered into a zero-padded [B, T, ·] buffer for
// multiHeadAttention (same additive mask), and the context rows gathered back (modules.ts selfAttention). Both moves
// are index_select, whose backward (index_add) carries the gradients back to the rows they came from.
//
// Equal to the padded path at real tokens. At padding, the hidden states are zeros instead of what the padded path
// computes there, so a model takes this path only for outputs that never read padding (PreTrainedModel.unpadFor).
// The shapes depend on the batch's token count: never inside a captured CUDA graph.
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';

/** Where a batch's real tokens sit: the gather [B, T, ·] → [N, ·] and the scatter back. */
export class UnpaddedTokens {
  private constructor(
    readonly batch: number,
    readonly length: number,
    /** [N]: the flat positions (b·T + t) of the real tokens, row-major. */
    private readonly tokenPositions: Tensor,
    /** [B·T]: each position's row among the N token rows plus one zero row (index N), which padding reads. */
    private readonly rowOfPosition: Tensor,
  ) {}

  /**
   * The layout of `attentionMask` ([B, T], 1 at tokens), or undefined when there is no mask or no padding (nothing
   * to gain). Finding N waits for the device once per forward: every shape after it depends on N.
   */
  static of(attentionMask: Tensor | undefined): UnpaddedTokens | undefined {
    if (!attentionMask) return undefined;
    const [batch, length] = attentionMask.shape as [number, number];
    const isToken = attentionMask.reshape(-1).ne(0);
    const tokenPositions = torch.arange(batch * length, { dtype: 'int64', device: attentionMask.device }).index(isToken);
    const count = tokenPositions.shape[0]!;
    if (count === batch * length) return undefined;
    const rank = isToken.long().cumsum(0).sub(1);
    return new UnpaddedTokens(batch, length, tokenPositions, torch.where(isToken, rank, count));
  }

  /** N, the number of real tokens. */
  get count(): number {
    return this.tokenPositions.shape[0]!;
  }

  /** [B, T, W] → [N, W]: the real tokens' rows. */
  unpad(padded: Tensor): Tensor {
    const width = padded.shape[padded.ndim - 1]!;
    return padded.reshape(this.batch * this.length, width).indexSelect(0, this.tokenPositions);
  }

  /** [N, W] → [B, T, W], zeros at padding. */
  pad(rows: Tensor): Tensor {
    const width = rows.shape[1]!;
    const zeroRow = torch.zeros([1, width], { dtype: rows.dtype, device: rows.device });
    return torch.cat([rows, zeroRow], 0).indexSelect(0, this.rowOfPosition).view(this.batch, this.length, width);
  }
}
