// Tensor creation: from JS typed arrays, constant fills, ranges, random sampling, joins.
#include "tensor_handle.h"

#include <cstring>

namespace tl {
namespace {

int64_t numelOf(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) throw ArgError("shape dimensions must be >= 0");
    n *= d;
  }
  return n;
}

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// A host tensor onto `device`. To CUDA it is staged in pinned memory and copied with non_blocking: a copy from
// pageable memory makes the host wait until the GPU has finished everything queued before it (PyTorch synchronizes
// the stream), so the next batch could not be prepared while the GPU runs the current step. The caching host
// allocator records the copy's stream, so the staging block is not reused before the copy has read it.
at::Tensor toDeviceFromHost(const at::Tensor& host, const at::Device& device) {
  if (!device.is_cuda()) return host.to(device);
  auto pinned = at::empty(host.sizes(), host.options().pinned_memory(true));
  pinned.copy_(host);
  return pinned.to(device, /*non_blocking=*/true);
}

// fromTypedArray(data, shape, sourceDtype, dtype?, device?): copies data (interpreted as sourceDtype) into a
// new CPU tensor, then converts to dtype and moves to device.
Napi::Value fromTypedArray(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw ArgError("data must be a typed array");
  auto data = info[0].As<Napi::TypedArray>();
  auto shape = toIntList(info[1], "shape");
  auto sourceType = toDtype(info[2]);
  int64_t numel = numelOf(shape);
  size_t needed = static_cast<size_t>(numel) * c10::elementSize(sourceType);
  if (data.ByteLength() != needed) {
    throw ArgError("data has " + std::to_string(data.ByteLength() / c10::elementSize(sourceType)) +
                   " elements but shape " + shapeString(shape) + " needs " + std::to_string(numel));
  }
  auto tensor = at::empty(shape, at::TensorOptions().dtype(sourceType));
  if (needed) std::memcpy(tensor.data_ptr(), static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset(), needed);
  if (!isNullish(info[3])) tensor = tensor.to(toDtype(info[3]));
  if (!isNullish(info[4])) tensor = toDeviceFromHost(tensor, toDevice(info[4]));
  return wrap(info.Env(), tensor);
}

Napi::Value zeros(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::zeros(toIntList(info[0], "shape"), toOptions(info[1], info[2], at::kFloat)));
}

Napi::Value ones(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::ones(toIntList(info[0], "shape"), toOptions(info[1], info[2], at::kFloat)));
}

Napi::Value empty(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::empty(toIntList(info[0], "shape"), toOptions(info[1], info[2], at::kFloat)));
}

// full(shape, value, dtype, device): dtype is chosen by the JS side (like torch.full's inference).
Napi::Value full(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::full(toIntList(info[0], "shape"), toScalar(info[1], "value"), toOptions(info[2], info[3], at::kFloat)));
}

Napi::Value zerosLike(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::zeros_like(unwrap(info[0]))); }
Napi::Value onesLike(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::ones_like(unwrap(info[0]))); }
Napi::Value fullLike(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::full_like(unwrap(info[0]), toScalar(info[1], "value")));
}
Napi::Value randLike(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::rand_like(unwrap(info[0]))); }
Napi::Value randnLike(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::randn_like(unwrap(info[0]))); }

// arange(start, end, step, dtype, device)
Napi::Value arange(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::arange(toScalar(info[0], "start"), toScalar(info[1], "end"), toScalar(info[2], "step"),
                                     toOptions(info[3], info[4], at::kLong)));
}

Napi::Value rand(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::rand(toIntList(info[0], "shape"), toOptions(info[1], info[2], at::kFloat)));
}

Napi::Value randn(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::randn(toIntList(info[0], "shape"), toOptions(info[1], info[2], at::kFloat)));
}

// randint(low, high, shape, dtype, device)
Napi::Value randint(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::randint(toInt(info[0], "low"), toInt(info[1], "high"), toIntList(info[2], "shape"),
                                      toOptions(info[3], info[4], at::kLong)));
}

Napi::Value randperm(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::randperm(toInt(info[0], "n"), toOptions(info[1], info[2], at::kLong)));
}

Napi::Value bernoulli(const Napi::CallbackInfo& info) { return wrap(info.Env(), at::bernoulli(unwrap(info[0], "probs"))); }

Napi::Value cat(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::cat(unwrapList(info[0]), toInt(info[1], "dim")));
}

Napi::Value stack(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::stack(unwrapList(info[0]), toInt(info[1], "dim")));
}

// where(cond, a, b): a and b are tensors or numbers.
Napi::Value where(const Napi::CallbackInfo& info) {
  const auto& cond = unwrap(info[0], "condition");
  bool aIsTensor = info[1].IsExternal(), bIsTensor = info[2].IsExternal();
  at::Tensor out;
  if (aIsTensor && bIsTensor) out = at::where(cond, unwrap(info[1], "input"), unwrap(info[2], "other"));
  else if (aIsTensor) out = at::where(cond, unwrap(info[1], "input"), toScalar(info[2], "other"));
  else if (bIsTensor) out = at::where(cond, toScalar(info[1], "input"), unwrap(info[2], "other"));
  else out = at::where(cond, toScalar(info[1], "input"), toScalar(info[2], "other"));
  return wrap(info.Env(), out);
}

Napi::Value eye(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::eye(toInt(info[0], "n"), toOptions(info[1], info[2], at::kFloat)));
}

Napi::Value linspace(const Napi::CallbackInfo& info) {
  return wrap(info.Env(), at::linspace(toScalar(info[0], "start"), toScalar(info[1], "end"), toInt(info[2], "steps"),
                                       toOptions(info[3], info[4], at::kFloat)));
}

}  // namespace

void registerCreation(Napi::Object exports) {
  exportFn<fromTypedArray>(exports, "fromTypedArray");
  exportFn<zeros>(exports, "zeros");
  exportFn<ones>(exports, "ones");
  exportFn<empty>(exports, "empty");
  exportFn<full>(exports, "full");
  exportFn<zerosLike>(exports, "zerosLike");
  exportFn<onesLike>(exports, "onesLike");
  exportFn<fullLike>(exports, "fullLike");
  exportFn<randLike>(exports, "randLike");
  exportFn<randnLike>(exports, "randnLike");
  exportFn<arange>(exports, "arange");
  exportFn<rand>(exports, "rand");
  exportFn<randn>(exports, "randn");
  exportFn<randint>(exports, "randint");
  exportFn<randperm>(exports, "randperm");
  exportFn<bernoulli>(exports, "bernoulli");
  exportFn<cat>(exports, "cat");
  exportFn<stack>(exports, "stack");
  exportFn<where>(exports, "where");
  exportFn<eye>(exports, "eye");
  exportFn<linspace>(exports, "linspace");
}

}  // namespace tl
