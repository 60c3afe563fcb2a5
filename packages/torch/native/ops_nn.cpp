// torch.nn.functional: linear, embedding, layer norm, dropout, losses, scaled dot-product attention.
#include "cpu_kernels.h"
#include "tensor_handle.h"

#include <ATen/core/Reduction.h>
#include <cmath>
#include <limits>

namespace tl {
namespace {

int64_t toReduction(const Napi::Value& value) {
  auto name = isNullish(value) ? std::string("mean") : toString(value, "reduction");
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw ArgError("reduction must be 'mean', 'sum' or 'none', got '" + name + "'");
}

// linear(x, weight, bias | null)
Napi::Value linear(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::linear(unwrap(info[0], "input"), unwrap(info[1], "weight"), unwrapOptional(info[2], "bias")));
}

// embedding(ids, weight, paddingIdx | null)
Napi::Value embedding(const Napi::CallbackInfo& info) {
  int64_t paddingIdx = isNullish(info[2]) ? -1 : toInt(info[2], "paddingIdx");
  return wrap(info.Env(), at::embedding(unwrap(info[1], "weight"), unwrap(info[0], "input"), paddingIdx));
}

// layerNorm(x, normalizedShape, weight | null, bias | null, eps)
Napi::Value layerNorm(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::layer_norm(unwrap(info[0], "input"), toIntList(info[1], "normalizedShape"),
                                         unwrapOptional(info[2], "weight"), unwrapOptional(info[3], "bias"),
                                         toDouble(info[4], "eps"), /*cudnn_enable=*/true));
}

// Training-mode dropout. On the CPU the mask comes from cpu_kernels.cpp (bernoulli_ is most of the cost there);
// elsewhere libtorch's dropout (on CUDA its Philox generator, which CUDA graphs know how to replay).
at::Tensor trainingDropout(const at::Tensor& x, double p) {
  if (x.device().is_cpu() && p > 0 && p < 1 && at::isFloatingType(x.scalar_type())) return x.mul(dropoutMaskCpu(x, p));
  return at::dropout(x, p, true);
}

// dropout(x, p, training)
Napi::Value dropout(const Napi::CallbackInfo& info) {
  double p = toDouble(info[1], "p");
  if (p < 0 || p > 1) throw ArgError("dropout probability has to be between 0 and 1, but got " + std::to_string(p));
  const auto& x = unwrap(info[0], "input");
  return wrap(info.Env(), toBool(info[2], "training") ? trainingDropout(x, p) : at::dropout(x, p, false));
}

// crossEntropy(logits, target, weight | null, reduction, ignoreIndex, labelSmoothing)
Napi::Value crossEntropy(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::cross_entropy_loss(unwrap(info[0], "input"), unwrap(info[1], "target"),
                                                 unwrapOptional(info[2], "weight"), toReduction(info[3]),
                                                 toInt(info[4], "ignoreIndex"), toDouble(info[5], "labelSmoothing")));
}

// nllLoss(logProbs, target, weight | null, reduction, ignoreIndex)
Napi::Value nllLoss(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::nll_loss_nd(unwrap(info[0], "input"), unwrap(info[1], "target"), unwrapOptional(info[2], "weight"),
                                          toReduction(info[3]), toInt(info[4], "ignoreIndex")));
}

// mseLoss(input, target, reduction)
Napi::Value mseLoss(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::mse_loss(unwrap(info[0], "input"), unwrap(info[1], "target"), toReduction(info[2])));
}

// binaryCrossEntropyWithLogits(input, target, weight | null, posWeight | null, reduction)
Napi::Value bceWithLogits(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::binary_cross_entropy_with_logits(unwrap(info[0], "input"), unwrap(info[1], "target"),
                                                                unwrapOptional(info[2], "weight"), unwrapOptional(info[3], "posWeight"),
                                                                toReduction(info[4])));
}

// Explicit attention for libtorch < 2.0 (same math as PyTorch's reference implementation).
at::Tensor attentionMath(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const c10::optional<at::Tensor>& mask,
                         double dropoutP, bool isCausal, c10::optional<double> scale) {
  double s = scale.has_value() ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = at::matmul(q, k.transpose(-2, -1)).mul(s);
  if (isCausal) {
    auto keep = at::ones({q.size(-2), k.size(-2)}, q.options().dtype(at::kBool)).tril();
    scores = scores.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
  }
  if (mask.has_value()) {
    if (mask->scalar_type() == at::kBool) scores = scores.masked_fill(mask->logical_not(), -std::numeric_limits<double>::infinity());
    else scores = scores.add(*mask);
  }
  auto probs = at::softmax(scores, -1);
  if (dropoutP > 0) probs = trainingDropout(probs, dropoutP);
  return at::matmul(probs, v);
}

// scaledDotProductAttention(q, k, v, attnMask | null, dropoutP, isCausal, scale | null)
Napi::Value sdpa(const Napi::CallbackInfo& info) {
  const auto& q = unwrap(info[0], "query");
  const auto& k = unwrap(info[1], "key");
  const auto& v = unwrap(info[2], "value");
  auto mask = unwrapOptional(info[3], "attnMask");
  double dropoutP = toDouble(info[4], "dropoutP");
  bool isCausal = toBool(info[5], "isCausal");
  auto scale = toOptionalDouble(info[6], "scale");
  if (isCausal && mask.has_value()) throw ArgError("scaledDotProductAttention: attnMask and isCausal cannot both be set");
  // Dropout on the CPU: the explicit form, so that the probabilities take the fast CPU mask above.
  if (dropoutP > 0 && q.device().is_cpu()) return wrap(info.Env(), attentionMath(q, k, v, mask, dropoutP, isCausal, scale));
#if TORCH_VERSION_MAJOR >= 2
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 1
  return wrap(info.Env(), at::scaled_dot_product_attention(q, k, v, mask, dropoutP, isCausal, scale));
#else
  if (scale.has_value()) return wrap(info.Env(), attentionMath(q, k, v, mask, dropoutP, isCausal, scale));
  return wrap(info.Env(), at::scaled_dot_product_attention(q, k, v, mask, dropoutP, isCausal));
#endif
#else
  return wrap(info.Env(), attentionMath(q, k, v, mask, dropoutP, isCausal, scale));
#endif
}

}  // namespace

void registerNN(Napi::Object exports) {
  exportFn<linear>(exports, "linear");
  exportFn<embedding>(exports, "embedding");
  exportFn<layerNorm>(exports, "layer_norm");
  exportFn<dropout>(exports, "dropout");
  exportFn<crossEntropy>(exports, "cross_entropy");
  exportFn<nllLoss>(exports, "nll_loss");
  exportFn<mseLoss>(exports, "mse_loss");
  exportFn<bceWithLogits>(exports, "bce_with_logits");
  exportFn<sdpa>(exports, "scaled_dot_product_attention");
}

}  // namespace tl
