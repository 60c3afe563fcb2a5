// A small PyTorch-like Module: parameters are the Tensor fields of a module tree, named by their field paths, so
// Hugging Face checkpoint keys (`bert.encoder.layer.0.attention.self.query.weight`) fall out of the field names.
// Arrays of modules are PyTorch's ModuleList (`layer.0`, `layer.1`, …). A tensor held by two fields (a tied decoder
// weight) is one parameter, named where it is met first — the name Hugging Face keeps when it saves.
import * as torch from '@tunelab/torch';
import { F, Tensor, type Device, type DType } from '@tunelab/torch';
import { StateDictError, WeightsError } from './errors.js';
import type { UnpaddedTokens } from './unpad.js';

export type MoveTarget = Device | DType | { device?: Device; dtype?: DType };
export type StateDict = Map<string, Tensor> | Record<string, Tensor>;

/** How a state dict lines up with a module: what to copy where, and what does not fit. */
export interface StateMatch {
  assignments: { key: string; target: Tensor; value: Tensor }[];
  missingKeys: string[];
  unexpectedKeys: string[];
  mismatched: { key: string; expected: number[]; found: number[] }[];
}

/**
 * How a forward pass runs. `train: true` turns dropout on (PyTorch's model.train()); the default is inference
 * (model.eval()). A module holds no mode: each call says which it is (tch-rs's forward_t(xs, train)).
 */
export interface ForwardOptions {
  train?: boolean;
  /**
   * The outputs the caller reads besides `loss` (default: all). A head may skip the work of an output left out:
   * masked-LM heads given labels then decode only the labelled tokens (heads.ts maskedLMLogitsAndLoss).
   */
  outputs?: readonly string[];
  /**
   * Run the encoder on the real tokens only (attention_mask 1; models/unpad.ts), so padding costs no FLOPs outside
   * attention. Equal outputs at real tokens; hidden states at padding are zeros. A request: the model stays padded
   * while the caller reads an output that depends on padding (PreTrainedModel.unpadFor), and for a batch without
   * padding. Default off; its shapes vary with each batch's token count, so never inside a captured CUDA graph.
   */
  unpad?: boolean;
}

export abstract class Module {
  /** Direct parameters: the fields that hold a Tensor, in declaration order. */
  ownParameters(): [string, Tensor][] {
    return Object.entries(this).filter((entry): entry is [string, Tensor] => entry[1] instanceof Tensor);
  }

  /** Direct submodules: Module fields, and arrays of modules as `field.0`, `field.1`, … */
  children(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value) && value.length > 0 && value.every((item) => item instanceof Module)) {
        value.forEach((item: Module, index) => out.push([`${key}.${index}`, item]));
      }
    }
    return out;
  }

  /** This module and every descendant, pre-order (PyTorch's named_modules order). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Every name of every parameter: a tied tensor appears under each of its names (PyTorch's state_dict keys). */
  namedParameterAliases(): [string, Tensor][] {
    return this.namedModules().flatMap(([prefix, module]) =>
      module.ownParameters().map(([name, tensor]): [string, Tensor] => [prefix ? `${prefix}.${name}` : name, tensor]));
  }

  /** Each parameter once, under the first name it is met by (PyTorch's named_parameters). */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    return this.namedParameterAliases().filter(([, tensor]) => !seen.has(tensor) && seen.add(tensor));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, tensor]) => tensor);
  }

  /** Parameters by name, tied ones once: exactly the tensors Hugging Face writes to model.safetensors. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /** Lines a state dict up with this module's parameters (any of a tied tensor's names matches). */
  matchState(state: StateDict): StateMatch {
    const targets = new Map(this.namedParameterAliases());
    const entries = state instanceof Map ? [...state] : Object.entries(state);
    const match: StateMatch = { assignments: [], missingKeys: [], unexpectedKeys: [], mismatched: [] };
    const accounted = new Set<Tensor>();
    for (const [key, value] of entries) {
      const target = targets.get(key);
      if (!target) match.unexpectedKeys.push(key);
      else if (!sameShape(target.shape, value.shape)) {
        match.mismatched.push({ key, expected: target.shape, found: value.shape });
        accounted.add(target); // reported as mismatched, not as missing
      } else {
        match.assignments.push({ key, target, value });
        accounted.add(target);
      }
    }
    match.missingKeys = this.namedParameters().filter(([, tensor]) => !accounted.has(tensor)).map(([name]) => name);
    return match;
  }

  /**
   * Copies `state` into the parameters (casting dtype and device). A shape mismatch always throws; missing or
   * unexpected keys throw when `strict`, and are returned either way.
   */
  loadStateDict(state: StateDict, { strict = true } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const match = this.matchState(state);
    const [bad] = match.mismatched;
    if (bad) {
      throw new WeightsError(`${bad.key}: shape [${bad.found.join(', ')}] in the state dict, ` +
        `[${bad.expected.join(', ')}] in the model`);
    }
    if (strict && (match.missingKeys.length > 0 || match.unexpectedKeys.length > 0)) {
      throw new StateDictError(match.missingKeys, match.unexpectedKeys);
    }
    copyInto(match.assignments);
    return { missingKeys: match.missingKeys, unexpectedKeys: match.unexpectedKeys };
  }

  /** Moves (or casts) every parameter in place, keeping tied tensors tied; like nn.Module.to. */
  to(target: MoveTarget): this {
    const moved = new Map<Tensor, Tensor>();
    for (const [, module] of this.namedModules()) {
      for (const [key, tensor] of module.ownParameters()) {
        let next = moved.get(tensor);
        if (!next) {
          next = torch.keep(torch.noGrad(() => tensor.to(target)));
          if (next !== tensor) {
            next.requiresGrad_(tensor.requiresGrad);
            tensor.dispose();
          }
          moved.set(tensor, next);
        }
        (module as unknown as Record<string, Tensor>)[key] = next;
      }
    }
    return this;
  }

  /** Frees every parameter's native memory; the module is unusable afterwards. */
  dispose(): void {
    for (const tensor of this.parameters()) tensor.dispose();
  }

  /**
   * Gives this module's own parameters their initial values (Hugging Face's `_init_weights`). The default, zeros,
   * is what a module's extra parameter gets (the LM head bias); Linear, Embedding and LayerNorm override it.
   */
  resetParameters(_initializerRange: number): void {
    torch.noGrad(() => { for (const [, tensor] of this.ownParameters()) tensor.zero_(); });
  }
}

/**
 * A trainable leaf tensor of `shape`, uninitialised until resetParameters or a checkpoint fills it. Kept out of any
 * enclosing torch.scope: the module owns it and frees it in dispose().
 */
export function parameter(shape: number[]): Tensor {
  return torch.keep(torch.empty(shape, { dtype: 'float32', requiresGrad: true }));
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** Copies checkpoint values into parameters without recording autograd history. */
export function copyInto(assignments: { target: Tensor; value: Tensor }[]): void {
  torch.noGrad(() => { for (const { target, value } of assignments) target.copy_(value); });
}

function fillNormal(tensor: Tensor, std: number): void {
  torch.noGrad(() => torch.scope(() => { tensor.copy_(torch.randn(tensor.shape).mul(std)); }));
}

export class Linear extends Module {
  weight: Tensor;
  bias?: Tensor;

  /** `tiedWeight` / a `bias` tensor: share an existing parameter (an MLM decoder tied to the word embeddings). */
  constructor(
    inFeatures: number, outFeatures: number,
    { bias = true, tiedWeight }: { bias?: boolean | Tensor; tiedWeight?: Tensor } = {},
  ) {
    super();
    this.weight = tiedWeight ?? parameter([outFeatures, inFeatures]);
    if (bias instanceof Tensor) this.bias = bias;
    else if (bias) this.bias = parameter([outFeatures]);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  override resetParameters(initializerRange: number): void {
    fillNormal(this.weight, initializerRange);
    if (this.bias) torch.noGrad(() => this.bias!.zero_());
  }
}

/** Off: fusedLinear runs its layers one by one (the A/B switch of bench/train-throughput.ts --separate-qkv). */
export const fusedProjections = { enabled: true };

/**
 * Several Linear layers over the same input as one GEMM (BERT's and DistilBERT's query/key/value): the weights (and
 * biases) are concatenated along the output dimension, and the result is split back into one tensor per layer
 * (views, no copy). The parameters stay the layers' own, so checkpoints keep their names. `layout` reshapes the GEMM's
 * output before the split (the unpadded path scatters the fused q/k/v rows in one go).
 */
export function fusedLinear(x: Tensor, layers: Linear[], layout: (y: Tensor) => Tensor = (y) => y): Tensor[] {
  if (!fusedProjections.enabled) return layers.map((layer) => layout(layer.forward(x)));
  const weight = torch.cat(layers.map((layer) => layer.weight), 0);
  const biases = layers.map((layer) => layer.bias);
  const bias = biases.every((b): b is Tensor => b !== undefined) ? torch.cat(biases, 0) : undefined;
  return layout(F.linear(x, weight, bias)).split(layers.map((layer) => layer.weight.shape[0]!), -1);
}

export class Embedding extends Module {
  weight: Tensor;

  /** `paddingIdx`: that row gets no gradient and starts at zero, like nn.Embedding(padding_idx=…). */
  constructor(numEmbeddings: number, dim: number, readonly paddingIdx?: number) {
    super();
    this.weight = parameter([numEmbeddings, dim]);
  }

  forward(ids: Tensor): Tensor {
    return F.embedding(ids, this.weight, this.paddingIdx);
  }

  override resetParameters(initializerRange: number): void {
    fillNormal(this.weight, initializerRange);
    if (this.paddingIdx !== undefined) {
      torch.noGrad(() => torch.scope(() => { this.weight.select(0, this.paddingIdx!).zero_(); }));
    }
  }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;

  constructor(readonly dim: number, readonly eps: number) {
    super();
    this.weight = parameter([dim]);
    this.bias = parameter([dim]);
  }

  /** Normalises in the weights' dtype: under autocast a bf16 input is cast up, as CUDA autocast does for layer_norm
   * (libtorch 1.13's CPU autocast leaves it mixed, which layer_norm rejects). */
  forward(x: Tensor): Tensor {
    const input = x.dtype === this.weight.dtype ? x : x.to(this.weight.dtype);
    return F.layerNorm(input, [this.dim], this.weight, this.bias, this.eps);
  }

  override resetParameters(): void {
    torch.noGrad(() => {
      this.weight.fill_(1);
      this.bias.zero_();
    });
  }
}

export class Dropout extends Module {
  constructor(readonly p: number) {
    super();
  }

  /** Drops (and rescales) only when `train`. */
  forward(x: Tensor, train: boolean): Tensor {
    return train && this.p > 0 ? F.dropout(x, this.p, true) : x;
  }
}

/** Hugging Face's ACT2FN, the names config.json uses: `gelu` is the exact erf form, `gelu_new` & co. the tanh form. */
export const ACTIVATIONS = {
  gelu: (x: Tensor) => x.gelu('none'),
  gelu_new: (x: Tensor) => x.gelu('tanh'),
  gelu_pytorch_tanh: (x: Tensor) => x.gelu('tanh'),
  gelu_fast: (x: Tensor) => x.gelu('tanh'),
  relu: (x: Tensor) => x.relu(),
  tanh: (x: Tensor) => x.tanh(),
  silu: (x: Tensor) => x.mul(x.sigmoid()),
  swish: (x: Tensor) => x.mul(x.sigmoid()),
} satisfies Record<string, (x: Tensor) => Tensor>;
export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];

/**
 * The vocabulary projection of an MLM head: its weight is the word embedding matrix when the config ties them
 * (tie_word_embeddings, the default), else its own. `bias`: a parameter the head owns under its own name.
 */
export function vocabularyDecoder(
  config: { tie_word_embeddings: boolean; vocab_size: number }, inFeatures: number, wordEmbeddings: Embedding, bias?: Tensor,
): Linear {
  const tiedWeight = config.tie_word_embeddings ? wordEmbeddings.weight : undefined;
  return new Linear(inFeatures, config.vocab_size, { bias: bias ?? true, tiedWeight });
}

/** The most negative finite value of a float dtype (torch.finfo(dtype).min): HF's additive mask value. */
export function finfoMin(dtype: DType): number {
  switch (dtype) {
    case 'float16': return -65504;
    case 'bfloat16': return -3.3895313892515355e38;
    case 'float64': return -Number.MAX_VALUE;
    default: return -3.4028234663852886e38;
  }
}

/**
 * Hugging Face's extended attention mask: [B, T] of 1 (token) / 0 (padding) → additive [B, 1, 1, T] holding 0 at
 * tokens and dtype's min at padding, added to the attention scores before softmax.
 */
export function additiveAttentionMask(attentionMask: Tensor | undefined, dtype: DType): Tensor | undefined {
  if (!attentionMask) return undefined;
  return attentionMask.unsqueeze(1).unsqueeze(2).to(dtype).neg().add(1).mul(finfoMin(dtype));
}

/**
 * softmax(Q·Kᵀ/√d + mask)·V over `heads` heads, through scaled_dot_product_attention: [B, T, H] projections →
 * [B, T, H] context. `mask` is the additive [B, 1, 1, T] mask. Used by BERT and DistilBERT.
 */
export function multiHeadAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined, heads: number, dropoutP: number): Tensor {
  const [batch, length, hidden] = q.shape as [number, number, number];
  const split = (x: Tensor) => x.view(batch, length, heads, hidden / heads).transpose(1, 2);
  const context = F.scaledDotProductAttention(split(q), split(k), split(v), { attnMask: mask, dropoutP });
  return context.transpose(1, 2).reshape(batch, length, hidden);
}

/**
 * Self-attention of BERT and DistilBERT: the query/key/value `projections` as one GEMM, then multiHeadAttention.
 * With `tokens` (the unpadded path), `hidden` holds the real tokens' rows [N, H]: the projections run on them, only
 * the attention sees the padded [B, T, ·] layout (zeros at padding, which the mask hides), and the context comes back
 * as [N, H] rows.
 */
export function selfAttention(
  hidden: Tensor, projections: Linear[], mask: Tensor | undefined, heads: number, dropoutP: number, tokens?: UnpaddedTokens,
): Tensor {
  const [q, k, v] = fusedLinear(hidden, projections, tokens && ((rows) => tokens.pad(rows)));
  const context = multiHeadAttention(q!, k!, v!, mask, heads, dropoutP);
  return tokens ? tokens.unpad(context) : context;
}

/**
 * Parameters AdamW should not decay, by transformers' Trainer rule: every bias, and every parameter of a LayerNorm
 * (whatever its field is called: `LayerNorm`, `sa_layer_norm`, `layer_norm`).
 */
export function noDecayParameterNames(model: Module): Set<string> {
  const layerNormTensors = new Set(model.namedModules()
    .filter(([, module]) => module instanceof LayerNorm)
    .flatMap(([, module]) => module.ownParameters().map(([, tensor]) => tensor)));
  return new Set(model.namedParameters()
    .filter(([name, tensor]) => name.split('.').pop() === 'bias' || layerNormTensors.has(tensor))
    .map(([name]) => name));
}
