// Optimizer kernels: AdamW (single-tensor, foreach and fused, each with torch.optim.AdamW's numerics)
// and clip_grad_norm_. Parameter bookkeeping (groups, state, steps) lives in src/optim.ts.
#include "cpu_kernels.h"
#include "tensor_handle.h"

#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>

namespace tl {
namespace {

struct AdamWHyper {
  double lr, beta1, beta2, eps, weightDecay;
};

AdamWHyper readHyper(const Napi::CallbackInfo& info, size_t first) {
  return {toDouble(info[first], "lr"), toDouble(info[first + 1], "beta1"), toDouble(info[first + 2], "beta2"),
          toDouble(info[first + 3], "eps"), toDouble(info[first + 4], "weightDecay")};
}

std::vector<at::Tensor> gradsOf(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& p : params) {
    if (!p.grad().defined()) throw ArgError("adamw: a parameter has no gradient");
    grads.push_back(p.grad());
  }
  return grads;
}

std::vector<double> toDoubleList(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw ArgError(std::string(what) + " must be an array of numbers");
  auto array = value.As<Napi::Array>();
  std::vector<double> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) out[i] = toDouble(array.Get(i), what);
  return out;
}

// hasGrads(params) -> boolean[]
Napi::Value hasGrads(const Napi::CallbackInfo& info) {
  auto params = unwrapList(info[0], "params");
  auto out = Napi::Array::New(info.Env(), params.size());
  for (size_t i = 0; i < params.size(); ++i) out.Set(static_cast<uint32_t>(i), Napi::Boolean::New(info.Env(), params[i].grad().defined()));
  return out;
}

// adamwSingle(params, expAvgs, expAvgSqs, steps (already incremented), lr, beta1, beta2, eps, weightDecay):
// torch.optim.AdamW's _single_tensor_adamw, op for op.
Napi::Value adamwSingle(const Napi::CallbackInfo& info) {
  auto params = unwrapList(info[0], "params");
  auto expAvgs = unwrapList(info[1], "expAvgs");
  auto expAvgSqs = unwrapList(info[2], "expAvgSqs");
  auto steps = toDoubleList(info[3], "steps");
  auto h = readHyper(info, 4);
  auto grads = gradsOf(params);
  c10::NoGradGuard noGrad;
  for (size_t i = 0; i < params.size(); ++i) {
    auto& param = params[i];
    const auto& grad = grads[i];
    param.mul_(1 - h.lr * h.weightDecay);
#if TORCH_VERSION_MAJOR >= 2
    expAvgs[i].lerp_(grad, 1 - h.beta1);
#else
    expAvgs[i].mul_(h.beta1).add_(grad, 1 - h.beta1);
#endif
    expAvgSqs[i].mul_(h.beta2).addcmul_(grad, grad, 1 - h.beta2);
    double biasCorrection1 = 1 - std::pow(h.beta1, steps[i]);
    double biasCorrection2 = 1 - std::pow(h.beta2, steps[i]);
    double stepSize = h.lr / biasCorrection1;
    auto denom = (expAvgSqs[i].sqrt() / std::sqrt(biasCorrection2)).add_(h.eps);
    param.addcdiv_(expAvgs[i], denom, -stepSize);
  }
  return info.Env().Undefined();
}

// adamwForeach(...same arguments): torch.optim.AdamW's _multi_tensor_adamw (the default on CUDA).
Napi::Value adamwForeach(const Napi::CallbackInfo& info) {
  auto params = unwrapList(info[0], "params");
  auto expAvgs = unwrapList(info[1], "expAvgs");
  auto expAvgSqs = unwrapList(info[2], "expAvgSqs");
  auto steps = toDoubleList(info[3], "steps");
  auto h = readHyper(info, 4);
  auto grads = gradsOf(params);
  if (params.empty()) return info.Env().Undefined();
  c10::NoGradGuard noGrad;
  if (h.weightDecay != 0) at::_foreach_mul_(params, 1 - h.lr * h.weightDecay);
#if TORCH_VERSION_MAJOR >= 2
  at::_foreach_lerp_(expAvgs, grads, 1 - h.beta1);
#else
  at::_foreach_mul_(expAvgs, h.beta1);
  at::_foreach_add_(expAvgs, grads, 1 - h.beta1);
#endif
  at::_foreach_mul_(expAvgSqs, h.beta2);
  at::_foreach_addcmul_(expAvgSqs, grads, grads, 1 - h.beta2);
  std::vector<at::Scalar> stepSizes, biasCorrection2Sqrt;
  for (double step : steps) {
    stepSizes.emplace_back(-(h.lr / (1 - std::pow(h.beta1, step))));
    biasCorrection2Sqrt.emplace_back(std::sqrt(1 - std::pow(h.beta2, step)));
  }
  auto denom = at::_foreach_sqrt(expAvgSqs);
  at::_foreach_div_(denom, biasCorrection2Sqrt);
  at::_foreach_add_(denom, h.eps);
  at::_foreach_addcdiv_(params, expAvgs, denom, stepSizes);
  return info.Env().Undefined();
}

// libtorch's fused AdamW runs on CUDA from 2.1 and on the CPU from 2.4; older CPU builds take cpu_kernels.cpp's loop.
#define TL_FUSED_ADAMW_CUDA (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1))
#define TL_FUSED_ADAMW_CPU (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

void adamwFusedCpuLoop(std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads, std::vector<at::Tensor>& expAvgs,
                       std::vector<at::Tensor>& expAvgSqs, const std::vector<at::Tensor>& stepTensors, const AdamWHyper& h) {
  for (size_t i = 0; i < params.size(); ++i) {
    double step = stepTensors[i].item<double>();
    AdamWStep s{h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, 1 - std::pow(h.beta1, step), 1 - std::pow(h.beta2, step)};
    adamwStepCpu(params[i], grads[i], expAvgs[i], expAvgSqs[i], s);
  }
}

// adamwFused(params, expAvgs, expAvgSqs, stepTensors, lr, beta1, beta2, eps, weightDecay): torch's fused kernel
// (AdamW(fused=True)); stepTensors are float32 scalars on the parameters' device, incremented here.
Napi::Value adamwFused(const Napi::CallbackInfo& info) {
  auto params = unwrapList(info[0], "params");
  auto expAvgs = unwrapList(info[1], "expAvgs");
  auto expAvgSqs = unwrapList(info[2], "expAvgSqs");
  auto stepTensors = unwrapList(info[3], "stepTensors");
  auto h = readHyper(info, 4);
  auto grads = gradsOf(params);
  if (params.empty()) return info.Env().Undefined();
  c10::NoGradGuard noGrad;
  bool onCpu = params[0].device().is_cpu();
  if (onCpu && !TL_FUSED_ADAMW_CPU) {
    at::_foreach_add_(stepTensors, 1);
    adamwFusedCpuLoop(params, grads, expAvgs, expAvgSqs, stepTensors, h);
    return info.Env().Undefined();
  }
#if TL_FUSED_ADAMW_CUDA
  at::_foreach_add_(stepTensors, 1);
  at::_fused_adamw_(params, grads, expAvgs, expAvgSqs, /*max_exp_avg_sqs=*/{}, stepTensors, h.lr, h.beta1, h.beta2,
                    h.weightDecay, h.eps, /*amsgrad=*/false, /*maximize=*/false);
  return info.Env().Undefined();
#else
  throw ArgError("fused AdamW on this device needs libtorch >= 2.1 (this is " TORCH_VERSION ")");
#endif
}

// hasFusedAdamW(device): whether adamwFused runs for parameters on 'cpu' or 'cuda'.
Napi::Value hasFusedAdamW(const Napi::CallbackInfo& info) {
  auto device = toString(info[0], "device");
  return Napi::Boolean::New(info.Env(), device == "cpu" || TL_FUSED_ADAMW_CUDA);
}

// clipGradNorm(params, maxNorm, normType) -> the total norm before clipping, as a 0-dim tensor on the gradients'
// device (torch.nn.utils.clip_grad_norm_). Nothing here reads a value back to the host: on CUDA the step goes on
// without waiting for the GPU (the clip coefficient is applied as a tensor, clamped to 1, as torch does).
Napi::Value clipGradNorm(const Napi::CallbackInfo& info) {
  auto params = unwrapList(info[0], "params");
  double maxNorm = toDouble(info[1], "maxNorm");
  double normType = toDouble(info[2], "normType");
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return wrap(info.Env(), at::zeros({}, at::kFloat));
  c10::NoGradGuard noGrad;
  auto device = grads[0].device();
  std::vector<at::Tensor> norms;
  norms.reserve(grads.size());
  at::Tensor total;
  if (std::isinf(normType)) {
    for (const auto& g : grads) norms.push_back(g.detach().abs().max().to(device));
    total = norms.size() == 1 ? norms[0] : at::stack(norms).max();
  } else {
    // One multi-tensor kernel for all the norms, as torch's clip_grad_norm_ (CPU falls back to a loop inside).
    for (const auto& n : at::_foreach_norm(grads, normType)) norms.push_back(n.to(device));
    total = at::norm(at::stack(norms), normType);
  }
  auto coef = at::clamp(maxNorm / (total + 1e-6), c10::nullopt, 1.0);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  if (std::all_of(grads.begin(), grads.end(), [&](const at::Tensor& g) { return g.device() == device; })) {
    at::_foreach_mul_(grads, coef);  // the tensor overload: no host read of the coefficient
    return wrap(info.Env(), total);
  }
#endif
  for (auto& g : grads) g.detach().mul_(coef.to(g.device()));
  return wrap(info.Env(), total);
}

}  // namespace

void registerOptim(Napi::Object exports) {
  exportFn<hasGrads>(exports, "hasGrads");
  exportFn<adamwSingle>(exports, "adamwSingle");
  exportFn<adamwForeach>(exports, "adamwForeach");
  exportFn<adamwFused>(exports, "adamwFused");
  exportFn<hasFusedAdamW>(exports, "hasFusedAdamW");
  exportFn<clipGradNorm>(exports, "clipGradNorm");
}

}  // namespace tl
