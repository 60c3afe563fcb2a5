// The ONNX counterparts of models/' blocks: each function adds to the graph what the module's forward computes in
// eval mode (dropout is the identity), reading the module's own weights. Initializers are named by checkpoint key
// (`bert.encoder.layer.0.attention.self.query.weight`); a Linear weight is stored transposed ([in, out], the
// MatMul layout) under `<key>.T`.
import * as torch from '@tunelab/torch';
import type { Tensor } from '@tunelab/torch';
import type { BertEmbeddings, BertLayer, BertModel } from '../../models/bert/modeling.js';
import type { DistilBertModel, TransformerBlock } from '../../models/distilbert/modeling.js';
import { RobertaEmbeddings } from '../../models/roberta/modeling.js';
import { finfoMin, type ActivationName, type LayerNorm, type Linear, type Module } from '../../models/modules.js';
import { dataType, float, int, ints, OnnxGraph } from './graph.js';

/** Graph input names, as transformers.js and Optimum name them; token_type_ids only where a model has segments. */
export interface GraphInputs {
  input_ids: string;
  attention_mask: string;
  token_type_ids?: string;
}

/** The graph being built and the checkpoint key of every parameter of the model it is built from. */
export class ExportContext {
  readonly graph = new OnnxGraph();
  private readonly keys: Map<Tensor, string>;

  constructor(model: Module) {
    this.keys = new Map(model.namedParameters().map(([key, tensor]) => [tensor, key]));
  }

  /** A parameter as the checkpoint holds it. */
  weight(tensor: Tensor): string {
    const key = this.keyOf(tensor);
    return this.graph.addInitializer(key, 'float32', tensor.shape, float32Values(tensor));
  }

  /**
   * A Linear weight [out, in] as the right operand of MatMul. A weight tied to an embedding that is already in the
   * graph (an MLM decoder) is transposed by a node instead, so the file holds the matrix once.
   */
  matmulWeight(tensor: Tensor): string {
    const key = this.keyOf(tensor);
    if (this.graph.initializers.has(key)) return this.graph.op('Transpose', [key], { perm: ints([1, 0]) });
    const transposed = torch.noGrad(() => torch.scope(() => float32Values(tensor.t())));
    return this.graph.addInitializer(`${key}.T`, 'float32', [tensor.shape[1]!, tensor.shape[0]!], transposed);
  }

  private keyOf(tensor: Tensor): string {
    const key = this.keys.get(tensor);
    if (key === undefined) throw new Error('tensor is not a parameter of the exported model');
    return key;
  }
}

function float32Values(tensor: Tensor): Float32Array {
  return torch.noGrad(() => torch.scope(() =>
    tensor.detach().to({ device: 'cpu', dtype: 'float32' }).contiguous().toTypedArray() as Float32Array));
}

export function linear(ctx: ExportContext, x: string, layer: Linear): string {
  const product = ctx.graph.op('MatMul', [x, ctx.matmulWeight(layer.weight)]);
  return layer.bias ? ctx.graph.op('Add', [product, ctx.weight(layer.bias)]) : product;
}

export function layerNorm(ctx: ExportContext, x: string, norm: LayerNorm): string {
  return ctx.graph.op('LayerNormalization', [x, ctx.weight(norm.weight), ctx.weight(norm.bias)],
    { axis: int(-1), epsilon: float(norm.eps) });
}

/** models/modules.ts' ACTIVATIONS: exact-erf GELU for `gelu`, the tanh form for the others. */
export function activation(graph: OnnxGraph, x: string, name: ActivationName): string {
  const scalar = (value: number) => graph.constant('float32', [value], []);
  const mul = (a: string, b: string) => graph.op('Mul', [a, b]);
  switch (name) {
    case 'gelu': {
      const erf = graph.op('Erf', [graph.op('Div', [x, scalar(Math.SQRT2)])]);
      return mul(mul(x, scalar(0.5)), graph.op('Add', [erf, scalar(1)]));
    }
    case 'gelu_new': case 'gelu_pytorch_tanh': case 'gelu_fast': {
      const cube = mul(mul(x, x), x);
      const inner = mul(graph.op('Add', [x, mul(cube, scalar(0.044715))]), scalar(Math.sqrt(2 / Math.PI)));
      return mul(mul(x, scalar(0.5)), graph.op('Add', [graph.op('Tanh', [inner]), scalar(1)]));
    }
    case 'relu': return graph.op('Relu', [x]);
    case 'tanh': return graph.op('Tanh', [x]);
    case 'silu': case 'swish': return mul(x, graph.op('Sigmoid', [x]));
  }
}

/** [B, T, H] → [B, H]: the first ([CLS] / <s>) token. */
export function firstToken(graph: OnnxGraph, hidden: string): string {
  return graph.op('Gather', [hidden, graph.constant('int64', [0], [])], { axis: int(1) });
}

/** additiveAttentionMask: [B, T] 1/0 → [B, 1, 1, T] holding 0 at tokens and float32's min at padding. */
export function additiveMask(graph: OnnxGraph, attentionMask: string): string {
  const mask = graph.op('Cast', [attentionMask], { to: int(dataType('float32')) });
  const padding = graph.op('Sub', [graph.constant('float32', [1], []), mask]);
  const additive = graph.op('Mul', [padding, graph.constant('float32', [finfoMin('float32')], [])]);
  return graph.op('Unsqueeze', [additive, graph.constant('int64', [1, 2])]);
}

/** multiHeadAttention: softmax(Q·Kᵀ/√d + mask)·V over `heads` heads, [B, T, H] → [B, T, H]. */
export function attention(
  ctx: ExportContext, hidden: string, mask: string,
  projections: { query: Linear; key: Linear; value: Linear }, heads: number,
): string {
  const { graph } = ctx;
  const width = projections.query.weight.shape[0]!;
  const headDim = width / heads;
  const split = (layer: Linear, perm: number[]) => graph.op('Transpose',
    [graph.op('Reshape', [linear(ctx, hidden, layer), graph.constant('int64', [0, 0, heads, headDim])])],
    { perm: ints(perm) });
  const query = split(projections.query, [0, 2, 1, 3]);
  const keyT = split(projections.key, [0, 2, 3, 1]);
  const value = split(projections.value, [0, 2, 1, 3]);
  const scores = graph.op('Div', [graph.op('MatMul', [query, keyT]), graph.constant('float32', [Math.sqrt(headDim)], [])]);
  const probabilities = graph.op('Softmax', [graph.op('Add', [scores, mask])], { axis: int(-1) });
  const context = graph.op('Transpose', [graph.op('MatMul', [probabilities, value])], { perm: ints([0, 2, 1, 3]) });
  return graph.op('Reshape', [context, graph.constant('int64', [0, 0, width])]);
}

/** BertEmbeddings (and RoBERTa's, DistilBERT's): word + token type + position embeddings, then LayerNorm. */
export function embeddings(ctx: ExportContext, block: BertEmbeddings, inputs: GraphInputs): string {
  const { graph } = ctx;
  const lookup = (table: Tensor, ids: string) => graph.op('Gather', [ctx.weight(table), ids]);
  let sum = lookup(block.word_embeddings.weight, inputs.input_ids);
  if (block.token_type_embeddings) {
    // Without a token_type_ids input every token is segment 0, as in forward() without token types.
    const segments = inputs.token_type_ids ?? graph.constant('int64', [0], []);
    sum = graph.op('Add', [sum, lookup(block.token_type_embeddings.weight, segments)]);
  }
  sum = graph.op('Add', [sum, lookup(block.position_embeddings.weight, positionIds(graph, block, inputs.input_ids))]);
  return layerNorm(ctx, sum, block.LayerNorm);
}

/** BertEmbeddings.positionIds: 0 … T-1; RoBERTa counts tokens from padding_idx + 1 and keeps padding_idx at padding. */
function positionIds(graph: OnnxGraph, block: BertEmbeddings, inputIds: string): string {
  if (block instanceof RobertaEmbeddings) {
    const padding = block.word_embeddings.paddingIdx!;
    const isPadding = graph.op('Equal', [inputIds, graph.constant('int64', [padding], [])]);
    const isToken = graph.op('Cast', [graph.op('Not', [isPadding])], { to: int(dataType('int64')) });
    const counted = graph.op('Mul', [graph.op('CumSum', [isToken, graph.constant('int64', [1], [])]), isToken]);
    return graph.op('Add', [counted, graph.constant('int64', [padding], [])]);
  }
  const length = graph.op('Gather', [graph.op('Shape', [inputIds]), graph.constant('int64', [1], [])], { axis: int(0) });
  return graph.op('Range', [graph.constant('int64', [0], []), length, graph.constant('int64', [1], [])]);
}

/** BertModel (RoBERTa's and ELECTRA's bases are BertModels): last_hidden_state, and pooler_output with a pooler. */
export function bertModel(ctx: ExportContext, model: BertModel, inputs: GraphInputs): { last: string; pooled?: string } {
  const mask = additiveMask(ctx.graph, inputs.attention_mask);
  let hidden = embeddings(ctx, model.embeddings, inputs);
  if (model.embeddings_project) hidden = linear(ctx, hidden, model.embeddings_project);
  const { num_attention_heads: heads, hidden_act: act } = model.config;
  for (const layer of model.encoder.layer) hidden = bertLayer(ctx, layer, hidden, mask, heads, act);
  if (!model.pooler) return { last: hidden };
  return { last: hidden, pooled: ctx.graph.op('Tanh', [linear(ctx, firstToken(ctx.graph, hidden), model.pooler.dense)]) };
}

function bertLayer(
  ctx: ExportContext, layer: BertLayer, hidden: string, mask: string, heads: number, act: ActivationName,
): string {
  const { graph } = ctx;
  const residualNorm = (x: string, residual: string, block: { dense: Linear; LayerNorm: LayerNorm }) =>
    layerNorm(ctx, graph.op('Add', [linear(ctx, x, block.dense), residual]), block.LayerNorm);
  const context = attention(ctx, hidden, mask, layer.attention.self, heads);
  const attended = residualNorm(context, hidden, layer.attention.output);
  const intermediate = activation(graph, linear(ctx, attended, layer.intermediate.dense), act);
  return residualNorm(intermediate, attended, layer.output);
}

/** DistilBertModel: BERT's embeddings without segments, then TransformerBlocks. */
export function distilBertModel(ctx: ExportContext, model: DistilBertModel, inputs: GraphInputs): string {
  const mask = additiveMask(ctx.graph, inputs.attention_mask);
  let hidden = embeddings(ctx, model.embeddings, inputs);
  for (const block of model.transformer.layer) {
    hidden = transformerBlock(ctx, block, hidden, mask, model.config.n_heads, model.config.activation);
  }
  return hidden;
}

function transformerBlock(
  ctx: ExportContext, block: TransformerBlock, hidden: string, mask: string, heads: number, act: ActivationName,
): string {
  const { graph } = ctx;
  const { q_lin: query, k_lin: key, v_lin: value, out_lin: out } = block.attention;
  const context = linear(ctx, attention(ctx, hidden, mask, { query, key, value }, heads), out);
  const attended = layerNorm(ctx, graph.op('Add', [context, hidden]), block.sa_layer_norm);
  const ffn = linear(ctx, activation(graph, linear(ctx, attended, block.ffn.lin1), act), block.ffn.lin2);
  return layerNorm(ctx, graph.op('Add', [ffn, attended]), block.output_layer_norm);
}
