// CPU loops libtorch lacks a fast form of on every supported build (why: cpu_kernels.cpp).
#pragma once
#include <ATen/ATen.h>

namespace tl {

/** A dropout mask shaped like `like`, in its dtype: 1/(1-p) where an element is kept (probability 1-p), else 0. */
at::Tensor dropoutMaskCpu(const at::Tensor& like, double p);

/** One AdamW step's scalars for one parameter (bias corrections at this parameter's step count). */
struct AdamWStep {
  double lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2;
};

/** torch.optim.AdamW's update of one CPU parameter in one pass (the math of torch's fused CPU kernel). */
void adamwStepCpu(at::Tensor& param, const at::Tensor& grad, at::Tensor& expAvg, at::Tensor& expAvgSq, const AdamWStep& h);

}  // namespace tl
