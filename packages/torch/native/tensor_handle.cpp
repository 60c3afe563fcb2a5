// Tensor handles, argument conversion and the error bridge (see tensor_handle.h).
#include "tensor_handle.h"

#include <cmath>
#include <cstring>

namespace tl {

namespace {

struct AddonData {
  Napi::FunctionReference errorClass;
};

AddonData& addonData(Napi::Env env) {
  auto* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) {
    data = new AddonData();
    env.SetInstanceData(data);
  }
  return *data;
}

// Bytes this handle newly owns in CPU memory: a fresh storage (not a view of another tensor's).
int64_t ownedCpuBytes(const at::Tensor& tensor) {
  if (!tensor.defined() || !tensor.device().is_cpu() || !tensor.has_storage()) return 0;
  const auto& storage = tensor.storage();
  if (storage.use_count() != 1) return 0;
  return static_cast<int64_t>(storage.nbytes());
}

void finalizeHolder(Napi::Env env, TensorHolder* holder) {
  if (holder->reportedBytes != 0) Napi::MemoryManagement::AdjustExternalMemory(env, -holder->reportedBytes);
  delete holder;
}

TensorHolder* holderOf(const Napi::Value& value, const char* what) {
  if (!value.IsExternal()) throw ArgError(std::string(what) + " must be a Tensor");
  return value.As<Napi::External<TensorHolder>>().Data();
}

}  // namespace

Napi::Value wrap(Napi::Env env, at::Tensor tensor) {
  auto* holder = new TensorHolder{std::move(tensor), 0};
  holder->reportedBytes = ownedCpuBytes(holder->tensor);
  if (holder->reportedBytes != 0) Napi::MemoryManagement::AdjustExternalMemory(env, holder->reportedBytes);
  return Napi::External<TensorHolder>::New(env, holder, finalizeHolder);
}

Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& tensors) {
  auto array = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) array.Set(static_cast<uint32_t>(i), wrap(env, tensors[i]));
  return array;
}

const at::Tensor& unwrap(const Napi::Value& value, const char* what) {
  const auto* holder = holderOf(value, what);
  if (!holder->tensor.defined()) throw ArgError(std::string(what) + " was disposed");
  return holder->tensor;
}

std::vector<at::Tensor> unwrapList(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw ArgError(std::string(what) + " must be an array of Tensors");
  auto array = value.As<Napi::Array>();
  std::vector<at::Tensor> tensors;
  tensors.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) tensors.push_back(unwrap(array.Get(i), what));
  return tensors;
}

c10::optional<at::Tensor> unwrapOptional(const Napi::Value& value, const char* what) {
  if (isNullish(value)) return c10::nullopt;
  return unwrap(value, what);
}

void disposeHandle(const Napi::Value& value) {
  auto* holder = holderOf(value, "tensor");
  if (holder->reportedBytes != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(value.Env(), -holder->reportedBytes);
    holder->reportedBytes = 0;
  }
  holder->tensor.reset();
}

bool isNullish(const Napi::Value& value) { return value.IsUndefined() || value.IsNull(); }

int64_t toInt(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throw ArgError(std::string(what) + " must be a number");
  double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) throw ArgError(std::string(what) + " must be an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double toDouble(const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throw ArgError(std::string(what) + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

bool toBool(const Napi::Value& value, const char* what) {
  if (!value.IsBoolean()) throw ArgError(std::string(what) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string toString(const Napi::Value& value, const char* what) {
  if (!value.IsString()) throw ArgError(std::string(what) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> toIntList(const Napi::Value& value, const char* what) {
  if (value.IsNumber()) return {toInt(value, what)};
  if (!value.IsArray()) throw ArgError(std::string(what) + " must be a number or an array of numbers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) out[i] = toInt(array.Get(i), what);
  return out;
}

c10::optional<int64_t> toOptionalInt(const Napi::Value& value, const char* what) {
  if (isNullish(value)) return c10::nullopt;
  return toInt(value, what);
}

c10::optional<double> toOptionalDouble(const Napi::Value& value, const char* what) {
  if (isNullish(value)) return c10::nullopt;
  return toDouble(value, what);
}

at::Scalar toScalar(const Napi::Value& value, const char* what) {
  if (value.IsBoolean()) return at::Scalar(value.As<Napi::Boolean>().Value());
  double d = toDouble(value, what);
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.007199254740992e15) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

at::ScalarType toDtype(const Napi::Value& value) {
  auto name = toString(value, "dtype");
  if (name == "float32") return at::kFloat;
  if (name == "float64") return at::kDouble;
  if (name == "float16") return at::kHalf;
  if (name == "bfloat16") return at::kBFloat16;
  if (name == "int64") return at::kLong;
  if (name == "int32") return at::kInt;
  if (name == "uint8") return at::kByte;
  if (name == "bool") return at::kBool;
  if (name == "int16") return at::kShort;
  if (name == "int8") return at::kChar;
  throw ArgError("unknown dtype '" + name + "'");
}

const char* dtypeName(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    case at::kShort: return "int16";
    case at::kChar: return "int8";
    default: throw ArgError(std::string("unsupported dtype ") + c10::toString(type));
  }
}

at::Device toDevice(const Napi::Value& value) {
  auto name = toString(value, "device");
  try {
    return at::Device(name);
  } catch (const c10::Error&) {
    throw ArgError("unknown device '" + name + "'");
  }
}

std::string deviceName(const at::Device& device) {
  if (device.is_cpu()) return "cpu";
  if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
  return device.str();
}

at::TensorOptions toOptions(const Napi::Value& dtype, const Napi::Value& device, at::ScalarType defaultDtype) {
  auto options = at::TensorOptions().dtype(isNullish(dtype) ? defaultDtype : toDtype(dtype));
  if (!isNullish(device)) options = options.device(toDevice(device));
  return options;
}

void setErrorClass(const Napi::Function& errorClass) {
  addonData(errorClass.Env()).errorClass = Napi::Persistent(errorClass);
}

void throwTorchError(Napi::Env env, const std::string& message) {
  auto& data = addonData(env);
  if (data.errorClass.IsEmpty()) throw Napi::Error::New(env, message);
  Napi::Object error = data.errorClass.New({Napi::String::New(env, message)});
  throw Napi::Error(env, error);
}

std::string cleanMessage(const c10::Error& error) {
  // what_without_backtrace() keeps libtorch's message and drops the C++ stack.
  std::string message = error.what_without_backtrace();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

namespace {

Napi::Value jsSetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw ArgError("setErrorClass expects a class");
  setErrorClass(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value jsDispose(const Napi::CallbackInfo& info) {
  disposeHandle(info[0]);
  return info.Env().Undefined();
}

Napi::Value jsIsLive(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), info[0].As<Napi::External<TensorHolder>>().Data()->tensor.defined());
}

}  // namespace

void registerHandles(Napi::Object exports) {
  exportFn<jsSetErrorClass>(exports, "setErrorClass");
  exportFn<jsDispose>(exports, "dispose");
  exportFn<jsIsLive>(exports, "isLive");
}

}  // namespace tl
