// Elementwise ops, from tables: unary (Tensor -> Tensor), binary (Tensor x Tensor|number), in-place.
#include "tensor_handle.h"

#include <ATen/ScalarOps.h>

namespace tl {
namespace {

// ---- unary: name(t) ----
#define TL_UNARY_OPS(X) \
  X(neg) X(exp) X(log) X(sqrt) X(rsqrt) X(abs) X(tanh) X(sigmoid) X(relu) X(sin) X(cos) X(square) \
  X(floor) X(ceil) X(round) X(sign) X(reciprocal) X(log1p) X(expm1) X(erf) X(logical_not) X(isnan) X(isfinite) \
  X(contiguous) X(clone) X(detach) X(t) X(any) X(all) X(trunc)

#define TL_DEFINE_UNARY(op) \
  Napi::Value unary_##op(const Napi::CallbackInfo& info) { return wrap(info.Env(), unwrap(info[0]).op()); }
TL_UNARY_OPS(TL_DEFINE_UNARY)
#undef TL_DEFINE_UNARY

// ---- binary with a Tensor or a number on the right: name(t, other) ----
#define TL_BINARY_OPS(X) X(mul) X(div) X(pow) X(eq) X(ne) X(lt) X(le) X(gt) X(ge) X(remainder) X(fmod)
// These have no Scalar overload: a number becomes a wrapped-number tensor (same type promotion as Python's).
#define TL_BINARY_TENSOR_OPS(X) X(logical_and) X(logical_or) X(logical_xor)

template <typename TensorOp, typename ScalarOp>
Napi::Value binary(const Napi::CallbackInfo& info, TensorOp tensorOp, ScalarOp scalarOp) {
  const auto& self = unwrap(info[0], "self");
  if (info[1].IsExternal()) return wrap(info.Env(), tensorOp(self, unwrap(info[1], "other")));
  return wrap(info.Env(), scalarOp(self, toScalar(info[1], "other")));
}

#define TL_DEFINE_BINARY(op)                                                                     \
  Napi::Value binary_##op(const Napi::CallbackInfo& info) {                                      \
    return binary(                                                                               \
        info, [](const at::Tensor& a, const at::Tensor& b) { return a.op(b); },                  \
        [](const at::Tensor& a, const at::Scalar& b) { return a.op(b); });                       \
  }
TL_BINARY_OPS(TL_DEFINE_BINARY)
#undef TL_DEFINE_BINARY

#define TL_DEFINE_BINARY_TENSOR(op)                                                              \
  Napi::Value binary_##op(const Napi::CallbackInfo& info) {                                      \
    return binary(                                                                               \
        info, [](const at::Tensor& a, const at::Tensor& b) { return a.op(b); },                  \
        [](const at::Tensor& a, const at::Scalar& b) { return a.op(at::native::wrapped_scalar_tensor(b, a.device())); }); \
  }
TL_BINARY_TENSOR_OPS(TL_DEFINE_BINARY_TENSOR)
#undef TL_DEFINE_BINARY_TENSOR

// add/sub(t, other, alpha)
Napi::Value add(const Napi::CallbackInfo& info) {
  const auto& self = unwrap(info[0], "self");
  at::Scalar alpha = isNullish(info[2]) ? at::Scalar(1) : toScalar(info[2], "alpha");
  if (info[1].IsExternal()) return wrap(info.Env(), at::add(self, unwrap(info[1], "other"), alpha));
  return wrap(info.Env(), at::add(self, toScalar(info[1], "other"), alpha));
}

Napi::Value sub(const Napi::CallbackInfo& info) {
  const auto& self = unwrap(info[0], "self");
  at::Scalar alpha = isNullish(info[2]) ? at::Scalar(1) : toScalar(info[2], "alpha");
  if (info[1].IsExternal()) return wrap(info.Env(), at::sub(self, unwrap(info[1], "other"), alpha));
  return wrap(info.Env(), at::sub(self, toScalar(info[1], "other"), alpha));
}

Napi::Value maximum(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::maximum(unwrap(info[0]), unwrap(info[1], "other"))); }
Napi::Value minimum(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::minimum(unwrap(info[0]), unwrap(info[1], "other"))); }
Napi::Value matmul(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::matmul(unwrap(info[0]), unwrap(info[1], "other"))); }
Napi::Value bmm(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::bmm(unwrap(info[0]), unwrap(info[1], "other"))); }
Napi::Value mm(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::mm(unwrap(info[0]), unwrap(info[1], "other"))); }

// clamp(t, min | null, max | null)
Napi::Value clamp(const Napi::CallbackInfo& info) {
  c10::optional<at::Scalar> lo, hi;
  if (!isNullish(info[1])) lo = toScalar(info[1], "min");
  if (!isNullish(info[2])) hi = toScalar(info[2], "max");
  if (!lo && !hi) throw ArgError("clamp: at least one of min and max must be given");
  return wrap(info.Env(), at::clamp(unwrap(info[0]), lo, hi));
}

// gelu(t, approximate: 'none' | 'tanh')
Napi::Value gelu(const Napi::CallbackInfo& info) {
  auto approximate = isNullish(info[1]) ? std::string("none") : toString(info[1], "approximate");
  if (approximate != "none" && approximate != "tanh") throw ArgError("gelu: approximate must be 'none' or 'tanh'");
  return wrap(info.Env(), at::gelu(unwrap(info[0]), approximate));
}

Napi::Value softmax(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::softmax(unwrap(info[0]), toInt(info[1], "dim"))); }
Napi::Value logSoftmax(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::log_softmax(unwrap(info[0]), toInt(info[1], "dim"))); }

// maskedFill(t, mask, value: number | 0-d tensor)
Napi::Value maskedFill(const Napi::CallbackInfo& info) {
  const auto& self = unwrap(info[0]);
  const auto& mask = unwrap(info[1], "mask");
  if (info[2].IsExternal()) return wrap(info.Env(), self.masked_fill(mask, unwrap(info[2], "value")));
  return wrap(info.Env(), self.masked_fill(mask, toScalar(info[2], "value")));
}

// ---- in-place: they return nothing; JS returns the same Tensor object ----
Napi::Value copy_(const Napi::CallbackInfo& info) {
  unwrap(info[0]).copy_(unwrap(info[1], "src"));
  return info.Env().Undefined();
}
Napi::Value fill_(const Napi::CallbackInfo& info) {
  unwrap(info[0]).fill_(toScalar(info[1], "value"));
  return info.Env().Undefined();
}
Napi::Value zero_(const Napi::CallbackInfo& info) {
  unwrap(info[0]).zero_();
  return info.Env().Undefined();
}
Napi::Value mul_(const Napi::CallbackInfo& info) {
  const auto& self = unwrap(info[0]);
  if (info[1].IsExternal()) self.mul_(unwrap(info[1], "other"));
  else self.mul_(toScalar(info[1], "other"));
  return info.Env().Undefined();
}
Napi::Value div_(const Napi::CallbackInfo& info) {
  const auto& self = unwrap(info[0]);
  if (info[1].IsExternal()) self.div_(unwrap(info[1], "other"));
  else self.div_(toScalar(info[1], "other"));
  return info.Env().Undefined();
}
Napi::Value add_(const Napi::CallbackInfo& info) {
  const auto& self = unwrap(info[0]);
  at::Scalar alpha = isNullish(info[2]) ? at::Scalar(1) : toScalar(info[2], "alpha");
  if (info[1].IsExternal()) self.add_(unwrap(info[1], "other"), alpha);
  else self.add_(toScalar(info[1], "other"), alpha);
  return info.Env().Undefined();
}
Napi::Value sub_(const Napi::CallbackInfo& info) {
  const auto& self = unwrap(info[0]);
  at::Scalar alpha = isNullish(info[2]) ? at::Scalar(1) : toScalar(info[2], "alpha");
  if (info[1].IsExternal()) self.sub_(unwrap(info[1], "other"), alpha);
  else self.sub_(toScalar(info[1], "other"), alpha);
  return info.Env().Undefined();
}
Napi::Value clamp_(const Napi::CallbackInfo& info) {
  c10::optional<at::Scalar> lo, hi;
  if (!isNullish(info[1])) lo = toScalar(info[1], "min");
  if (!isNullish(info[2])) hi = toScalar(info[2], "max");
  unwrap(info[0]).clamp_(lo, hi);
  return info.Env().Undefined();
}
Napi::Value maskedFill_(const Napi::CallbackInfo& info) {
  unwrap(info[0]).masked_fill_(unwrap(info[1], "mask"), toScalar(info[2], "value"));
  return info.Env().Undefined();
}
Napi::Value uniform_(const Napi::CallbackInfo& info) {
  unwrap(info[0]).uniform_(toDouble(info[1], "from"), toDouble(info[2], "to"));
  return info.Env().Undefined();
}
Napi::Value normal_(const Napi::CallbackInfo& info) {
  unwrap(info[0]).normal_(toDouble(info[1], "mean"), toDouble(info[2], "std"));
  return info.Env().Undefined();
}

}  // namespace

void registerPointwise(Napi::Object exports) {
#define TL_EXPORT_UNARY(op) exportFn<unary_##op>(exports, #op);
  TL_UNARY_OPS(TL_EXPORT_UNARY)
#undef TL_EXPORT_UNARY
#define TL_EXPORT_BINARY(op) exportFn<binary_##op>(exports, #op);
  TL_BINARY_OPS(TL_EXPORT_BINARY)
  TL_BINARY_TENSOR_OPS(TL_EXPORT_BINARY)
#undef TL_EXPORT_BINARY
  exportFn<add>(exports, "add");
  exportFn<sub>(exports, "sub");
  exportFn<maximum>(exports, "maximum");
  exportFn<minimum>(exports, "minimum");
  exportFn<matmul>(exports, "matmul");
  exportFn<bmm>(exports, "bmm");
  exportFn<mm>(exports, "mm");
  exportFn<clamp>(exports, "clamp");
  exportFn<gelu>(exports, "gelu");
  exportFn<softmax>(exports, "softmax");
  exportFn<logSoftmax>(exports, "log_softmax");
  exportFn<maskedFill>(exports, "masked_fill");
  exportFn<copy_>(exports, "copy_");
  exportFn<fill_>(exports, "fill_");
  exportFn<zero_>(exports, "zero_");
  exportFn<mul_>(exports, "mul_");
  exportFn<div_>(exports, "div_");
  exportFn<add_>(exports, "add_");
  exportFn<sub_>(exports, "sub_");
  exportFn<clamp_>(exports, "clamp_");
  exportFn<maskedFill_>(exports, "masked_fill_");
  exportFn<uniform_>(exports, "uniform_");
  exportFn<normal_>(exports, "normal_");
}

}  // namespace tl
