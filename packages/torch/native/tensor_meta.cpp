// Tensor metadata, conversions, data export and autograd entry points.
#include "tensor_handle.h"

#include <torch/csrc/autograd/function.h>

#include <cstring>

namespace tl {
namespace {

Napi::Value intArray(Napi::Env env, at::IntArrayRef values) {
  auto array = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(values[i])));
  return array;
}

Napi::Value shape(const Napi::CallbackInfo& info) { return intArray(info.Env(), unwrap(info[0]).sizes()); }
Napi::Value stride(const Napi::CallbackInfo& info) { return intArray(info.Env(), unwrap(info[0]).strides()); }
Napi::Value dtype(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), dtypeName(unwrap(info[0]).scalar_type())); }
Napi::Value device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), deviceName(unwrap(info[0]).device())); }
Napi::Value ndim(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(unwrap(info[0]).dim())); }
Napi::Value numel(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(unwrap(info[0]).numel())); }
Napi::Value isContiguous(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), unwrap(info[0]).is_contiguous()); }
Napi::Value requiresGrad(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), unwrap(info[0]).requires_grad()); }
Napi::Value isLeaf(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), unwrap(info[0]).is_leaf()); }

Napi::Value setRequiresGrad(const Napi::CallbackInfo& info) {
  unwrap(info[0]).requires_grad_(toBool(info[1], "requiresGrad"));
  return info.Env().Undefined();
}

Napi::Value grad(const Napi::CallbackInfo& info) {
  const auto& g = unwrap(info[0]).grad();
  if (!g.defined()) return info.Env().Null();
  return wrap(info.Env(), g);
}

// setGrad(t, g | null): null drops the gradient (like `p.grad = None`).
Napi::Value setGrad(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  if (isNullish(info[1])) t.mutable_grad().reset();
  else t.mutable_grad() = unwrap(info[1], "grad");
  return info.Env().Undefined();
}

Napi::Value gradFn(const Napi::CallbackInfo& info) {
  const auto& fn = unwrap(info[0]).grad_fn();
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}

Napi::Value retainGrad(const Napi::CallbackInfo& info) {
  unwrap(info[0]).retain_grad();
  return info.Env().Undefined();
}

// backward(t, gradient | null, retainGraph, createGraph)
Napi::Value backward(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  auto gradient = unwrapOptional(info[1], "gradient");
  c10::optional<bool> retain = isNullish(info[2]) ? c10::nullopt : c10::optional<bool>(toBool(info[2], "retainGraph"));
  bool create = isNullish(info[3]) ? false : toBool(info[3], "createGraph");
  t.backward(gradient.has_value() ? *gradient : at::Tensor(), retain, create);
  return info.Env().Undefined();
}

Napi::Value item(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  if (t.numel() != 1) throw ArgError("item() needs a tensor with one element, got " + std::to_string(t.numel()));
  return Napi::Number::New(info.Env(), t.item<double>());
}

template <typename Element>
Napi::Value copyOut(Napi::Env env, const at::Tensor& cpu, napi_typedarray_type type) {
  size_t bytes = cpu.nbytes();
  auto buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(buffer.Data(), cpu.data_ptr(), bytes);
  napi_value array;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, type, bytes / sizeof(Element), buffer, 0, &array), Napi::Value());
  return Napi::Value(env, array);
}

// toTypedArray(t): a copy of the data, row-major. float16/bfloat16 come as raw bits (Uint16Array).
Napi::Value toTypedArray(const Napi::CallbackInfo& info) {
  auto cpu = unwrap(info[0]).detach().to(at::kCPU).contiguous();
  auto env = info.Env();
  switch (cpu.scalar_type()) {
    case at::kFloat: return copyOut<float>(env, cpu, napi_float32_array);
    case at::kDouble: return copyOut<double>(env, cpu, napi_float64_array);
    case at::kLong: return copyOut<int64_t>(env, cpu, napi_bigint64_array);
    case at::kInt: return copyOut<int32_t>(env, cpu, napi_int32_array);
    case at::kShort: return copyOut<int16_t>(env, cpu, napi_int16_array);
    case at::kChar: return copyOut<int8_t>(env, cpu, napi_int8_array);
    case at::kByte:
    case at::kBool: return copyOut<uint8_t>(env, cpu, napi_uint8_array);
    case at::kHalf:
    case at::kBFloat16: return copyOut<uint16_t>(env, cpu, napi_uint16_array);
    default: throw ArgError(std::string("toTypedArray: unsupported dtype ") + c10::toString(cpu.scalar_type()));
  }
}

// toFloat64Array(t): values converted to float64 (for toArray()/tolist()).
Napi::Value toFloat64Array(const Napi::CallbackInfo& info) {
  auto cpu = unwrap(info[0]).detach().to(at::kCPU, at::kDouble).contiguous();
  return copyOut<double>(info.Env(), cpu, napi_float64_array);
}

// toBytes(t): the raw little-endian bytes of a contiguous CPU copy, as a Buffer (for safetensors).
Napi::Value toBytes(const Napi::CallbackInfo& info) {
  auto cpu = unwrap(info[0]).detach().to(at::kCPU).contiguous();
  return Napi::Buffer<uint8_t>::Copy(info.Env(), static_cast<const uint8_t*>(cpu.data_ptr()), cpu.nbytes());
}

// to(t, dtype | null, device | null, copy)
Napi::Value to(const Napi::CallbackInfo& info) {
  const auto& t = unwrap(info[0]);
  auto dtype = isNullish(info[1]) ? t.scalar_type() : toDtype(info[1]);
  auto device = isNullish(info[2]) ? t.device() : toDevice(info[2]);
  bool copy = !isNullish(info[3]) && toBool(info[3], "copy");
  return wrap(info.Env(), t.to(device, dtype, /*non_blocking=*/false, copy));
}

// Shares storage? (same data pointer and storage) — lets JS detect in-place / view results.
Napi::Value sameTensor(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), unwrap(info[0]).is_same(unwrap(info[1])));
}

Napi::Value dataPtr(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(unwrap(info[0]).data_ptr())));
}

}  // namespace

void registerTensorMeta(Napi::Object exports) {
  exportFn<shape>(exports, "shape");
  exportFn<stride>(exports, "stride");
  exportFn<dtype>(exports, "dtype");
  exportFn<device>(exports, "device");
  exportFn<ndim>(exports, "ndim");
  exportFn<numel>(exports, "numel");
  exportFn<isContiguous>(exports, "isContiguous");
  exportFn<requiresGrad>(exports, "requiresGrad");
  exportFn<setRequiresGrad>(exports, "setRequiresGrad");
  exportFn<isLeaf>(exports, "isLeaf");
  exportFn<grad>(exports, "grad");
  exportFn<setGrad>(exports, "setGrad");
  exportFn<gradFn>(exports, "gradFn");
  exportFn<retainGrad>(exports, "retainGrad");
  exportFn<backward>(exports, "backward");
  exportFn<item>(exports, "item");
  exportFn<toTypedArray>(exports, "toTypedArray");
  exportFn<toFloat64Array>(exports, "toFloat64Array");
  exportFn<toBytes>(exports, "toBytes");
  exportFn<to>(exports, "to");
  exportFn<sameTensor>(exports, "sameTensor");
  exportFn<dataPtr>(exports, "dataPtr");
}

}  // namespace tl
