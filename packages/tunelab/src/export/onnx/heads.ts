// Which graph each model class exports, as data: one entry per head class, matched with instanceof, so RoBERTa's
// and ELECTRA's question answering and token classification (BERT's classes over their base) share BERT's entry.
// Outputs are named as transformers' model outputs (logits, start_logits, …), which transformers.js reads by name.
import {
  BertEmbeddings, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel,
} from '../../models/bert/modeling.js';
import { BertForMaskedLM, BertForPreTraining, type BertLMPredictionHead } from '../../models/bert/pretraining.js';
import {
  DistilBertForMaskedLM, DistilBertForQuestionAnswering, DistilBertForSequenceClassification,
  DistilBertForTokenClassification, DistilBertModel,
} from '../../models/distilbert/modeling.js';
import {
  ElectraForMaskedLM, ElectraForPreTraining, ElectraForSequenceClassification,
} from '../../models/electra/modeling.js';
import type { ActivationName, Linear } from '../../models/modules.js';
import type { PreTrainedModel } from '../../models/pretrained.js';
import {
  RobertaForMaskedLM, RobertaForSequenceClassification, type RobertaClassificationHead,
} from '../../models/roberta/modeling.js';
import { ExportError } from '../errors.js';
import {
  activation, bertModel, distilBertModel, ExportContext, firstToken, layerNorm, linear, type GraphInputs,
} from './blocks.js';
import { int, type Dim, type OnnxGraph } from './graph.js';

interface GraphOutput { name: string; value: string; dims: Dim[] }

interface HeadExport<M extends PreTrainedModel> {
  modelClass: abstract new (...args: never[]) => M;
  build(ctx: ExportContext, model: M, inputs: GraphInputs): GraphOutput[];
}

const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';

const head = <M extends PreTrainedModel>(
  modelClass: HeadExport<M>['modelClass'], build: HeadExport<M>['build'],
): HeadExport<PreTrainedModel> => ({ modelClass, build }) as HeadExport<PreTrainedModel>;

const outFeatures = (layer: Linear) => layer.weight.shape[0]!;

/** [B, n] logits of a sequence-level head. */
const sequenceLogits = (value: string, layer: Linear): GraphOutput[] =>
  [{ name: 'logits', value, dims: [BATCH, outFeatures(layer)] }];

/** [B, T, n] logits of a per-token head. */
const tokenLogits = (name: string, value: string, layer: Linear): GraphOutput[] =>
  [{ name, value, dims: [BATCH, SEQUENCE, outFeatures(layer)] }];

/** splitSpanLogits: [B, T, 2] → start_logits and end_logits [B, T]. */
function spanLogits(graph: OnnxGraph, logits: string): GraphOutput[] {
  const pick = (index: number) => graph.op('Gather', [logits, graph.constant('int64', [index], [])], { axis: int(2) });
  return [
    { name: 'start_logits', value: pick(0), dims: [BATCH, SEQUENCE] },
    { name: 'end_logits', value: pick(1), dims: [BATCH, SEQUENCE] },
  ];
}

/** RobertaClassificationHead on the first token: dense → activation (tanh; gelu for ELECTRA) → out_proj. */
function classificationHead(ctx: ExportContext, block: RobertaClassificationHead, hidden: string, act: ActivationName): string {
  const dense = activation(ctx.graph, linear(ctx, firstToken(ctx.graph, hidden), block.dense), act);
  return linear(ctx, dense, block.out_proj);
}

/** BertLMPredictionHead: transform (dense → hidden_act → LayerNorm) → decoder tied to the word embeddings. */
function bertPredictions(ctx: ExportContext, block: BertLMPredictionHead, hidden: string, act: ActivationName): string {
  const transformed = activation(ctx.graph, linear(ctx, hidden, block.transform.dense), act);
  return linear(ctx, layerNorm(ctx, transformed, block.transform.LayerNorm), block.decoder);
}

const HEADS: HeadExport<PreTrainedModel>[] = [
  head(BertForSequenceClassification, (ctx, model, inputs) => {
    const { pooled } = bertModel(ctx, model.base, inputs);
    return sequenceLogits(linear(ctx, pooled!, model.classifier), model.classifier);
  }),
  head(RobertaForSequenceClassification, (ctx, model, inputs) => sequenceLogits(
    classificationHead(ctx, model.classifier, bertModel(ctx, model.base, inputs).last, 'tanh'), model.classifier.out_proj)),
  head(ElectraForSequenceClassification, (ctx, model, inputs) => sequenceLogits(
    classificationHead(ctx, model.classifier, bertModel(ctx, model.base, inputs).last, 'gelu'), model.classifier.out_proj)),
  head(DistilBertForSequenceClassification, (ctx, model, inputs) => {
    const first = firstToken(ctx.graph, distilBertModel(ctx, model.distilbert, inputs));
    const pooled = ctx.graph.op('Relu', [linear(ctx, first, model.pre_classifier)]);
    return sequenceLogits(linear(ctx, pooled, model.classifier), model.classifier);
  }),
  head(BertForQuestionAnswering, (ctx, model, inputs) =>
    spanLogits(ctx.graph, linear(ctx, bertModel(ctx, model.base, inputs).last, model.qa_outputs))),
  head(DistilBertForQuestionAnswering, (ctx, model, inputs) =>
    spanLogits(ctx.graph, linear(ctx, distilBertModel(ctx, model.distilbert, inputs), model.qa_outputs))),
  head(BertForTokenClassification, (ctx, model, inputs) =>
    tokenLogits('logits', linear(ctx, bertModel(ctx, model.base, inputs).last, model.classifier), model.classifier)),
  head(DistilBertForTokenClassification, (ctx, model, inputs) =>
    tokenLogits('logits', linear(ctx, distilBertModel(ctx, model.distilbert, inputs), model.classifier), model.classifier)),
  head(BertForMaskedLM, (ctx, model, inputs) => {
    const hidden = bertModel(ctx, model.base, inputs).last;
    const logits = bertPredictions(ctx, model.cls.predictions, hidden, model.config.hidden_act);
    return tokenLogits('logits', logits, model.cls.predictions.decoder);
  }),
  head(BertForPreTraining, (ctx, model, inputs) => {
    const { last, pooled } = bertModel(ctx, model.base, inputs);
    const prediction = bertPredictions(ctx, model.cls.predictions, last, model.config.hidden_act);
    return [
      ...tokenLogits('prediction_logits', prediction, model.cls.predictions.decoder),
      { name: 'seq_relationship_logits', value: linear(ctx, pooled!, model.cls.seq_relationship), dims: [BATCH, 2] },
    ];
  }),
  head(RobertaForMaskedLM, (ctx, model, inputs) => {
    const hidden = bertModel(ctx, model.base, inputs).last;
    const { lm_head: lmHead } = model;
    const dense = activation(ctx.graph, linear(ctx, hidden, lmHead.dense), 'gelu');
    return tokenLogits('logits', linear(ctx, layerNorm(ctx, dense, lmHead.layer_norm), lmHead.decoder), lmHead.decoder);
  }),
  head(ElectraForMaskedLM, (ctx, model, inputs) => {
    const hidden = bertModel(ctx, model.base, inputs).last;
    const { generator_predictions: predictions } = model;
    const dense = activation(ctx.graph, linear(ctx, hidden, predictions.dense), 'gelu');
    const logits = linear(ctx, layerNorm(ctx, dense, predictions.LayerNorm), model.generator_lm_head);
    return tokenLogits('logits', logits, model.generator_lm_head);
  }),
  head(ElectraForPreTraining, (ctx, model, inputs) => {
    const hidden = bertModel(ctx, model.base, inputs).last;
    const { discriminator_predictions: predictions } = model;
    const dense = activation(ctx.graph, linear(ctx, hidden, predictions.dense), model.config.hidden_act);
    const scores = linear(ctx, dense, predictions.dense_prediction);
    const logits = ctx.graph.op('Squeeze', [scores, ctx.graph.constant('int64', [-1])]);
    return [{ name: 'logits', value: logits, dims: [BATCH, SEQUENCE] }];
  }),
  head(DistilBertForMaskedLM, (ctx, model, inputs) => {
    const hidden = distilBertModel(ctx, model.distilbert, inputs);
    const transformed = activation(ctx.graph, linear(ctx, hidden, model.vocab_transform), model.config.activation);
    const logits = linear(ctx, layerNorm(ctx, transformed, model.vocab_layer_norm), model.vocab_projector);
    return tokenLogits('logits', logits, model.vocab_projector);
  }),
  head(BertModel, (ctx, model, inputs) => {
    const { last, pooled } = bertModel(ctx, model, inputs);
    const width = model.encoder.layer[0]!.output.dense.weight.shape[0]!;
    const outputs: GraphOutput[] = [{ name: 'last_hidden_state', value: last, dims: [BATCH, SEQUENCE, width] }];
    if (pooled) outputs.push({ name: 'pooler_output', value: pooled, dims: [BATCH, width] });
    return outputs;
  }),
  head(DistilBertModel, (ctx, model, inputs) => [{
    name: 'last_hidden_state', value: distilBertModel(ctx, model, inputs), dims: [BATCH, SEQUENCE, model.config.dim],
  }]),
];

/**
 * The inference graph of `model` (in eval mode): inputs input_ids and attention_mask [batch_size, sequence_length]
 * int64, plus token_type_ids where the model has more than one segment type; outputs named as transformers does.
 */
export function buildGraph(model: PreTrainedModel): OnnxGraph {
  const entry = HEADS.find(({ modelClass }) => model instanceof modelClass);
  if (!entry) throw new ExportError(`${model.architecture}: no ONNX export for this model class`);
  const ctx = new ExportContext(model);
  const dims = [BATCH, SEQUENCE];
  const inputs: GraphInputs = {
    input_ids: ctx.graph.addInput('input_ids', 'int64', dims),
    attention_mask: ctx.graph.addInput('attention_mask', 'int64', dims),
  };
  if (hasSegments(model)) inputs.token_type_ids = ctx.graph.addInput('token_type_ids', 'int64', dims);
  for (const output of entry.build(ctx, model, inputs)) ctx.graph.addOutput(output.name, output.value, 'float32', output.dims);
  return ctx.graph;
}

/** BERT and ELECTRA take segment ids; RoBERTa (one type) and DistilBERT (none) do not, as in their tokenizers. */
function hasSegments(model: PreTrainedModel): boolean {
  const embeddings = model.namedModules().find(([, module]) => module instanceof BertEmbeddings)?.[1] as BertEmbeddings;
  return (embeddings?.token_type_embeddings?.weight.shape[0] ?? 0) > 1;
}
