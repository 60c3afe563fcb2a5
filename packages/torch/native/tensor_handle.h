// Shared by every native/*.cpp (and T6's distributed.cpp): the opaque tensor handle, argument conversion,
// and the one error bridge that turns c10::Error / std::exception into a JS TorchError.
#pragma once
#include "pch.h"

#include <string>
#include <vector>

namespace tl {

// What a JS handle (a Napi::External) owns. `tensor` is reset on dispose(); the holder itself lives until
// the External is garbage collected (its finalizer is the safety net for undisposed tensors).
struct TensorHolder {
  at::Tensor tensor;
  int64_t reportedBytes = 0;  // CPU bytes reported to V8 via AdjustExternalMemory
};

// ---- handles ----
Napi::Value wrap(Napi::Env env, at::Tensor tensor);
Napi::Value wrapList(Napi::Env env, const std::vector<at::Tensor>& tensors);
// Throws ArgError when `value` is not a live tensor handle (`what` names the argument in the message).
const at::Tensor& unwrap(const Napi::Value& value, const char* what = "tensor");
std::vector<at::Tensor> unwrapList(const Napi::Value& value, const char* what = "tensors");
c10::optional<at::Tensor> unwrapOptional(const Napi::Value& value, const char* what = "tensor");
// Releases the tensor now (the handle stays, marked dead).
void disposeHandle(const Napi::Value& value);

// ---- argument conversion (throw ArgError on a wrong type) ----
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
bool isNullish(const Napi::Value& value);
int64_t toInt(const Napi::Value& value, const char* what);
double toDouble(const Napi::Value& value, const char* what);
bool toBool(const Napi::Value& value, const char* what);
std::string toString(const Napi::Value& value, const char* what);
std::vector<int64_t> toIntList(const Napi::Value& value, const char* what);  // number or number[]
c10::optional<int64_t> toOptionalInt(const Napi::Value& value, const char* what);
c10::optional<double> toOptionalDouble(const Napi::Value& value, const char* what);
// A JS number becomes an integral Scalar when it is an integer (so int tensors stay int), else a double.
at::Scalar toScalar(const Napi::Value& value, const char* what);
at::ScalarType toDtype(const Napi::Value& value);
const char* dtypeName(at::ScalarType type);
at::Device toDevice(const Napi::Value& value);
std::string deviceName(const at::Device& device);
// dtype/device from (possibly undefined) JS values, with a default dtype.
at::TensorOptions toOptions(const Napi::Value& dtype, const Napi::Value& device, at::ScalarType defaultDtype);

// ---- errors ----
void setErrorClass(const Napi::Function& errorClass);
[[noreturn]] void throwTorchError(Napi::Env env, const std::string& message);
std::string cleanMessage(const c10::Error& error);

// Every exported function goes through this: libtorch and argument errors become a JS TorchError,
// so bad input never aborts the process.
template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return Fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& error) {
    throwTorchError(info.Env(), cleanMessage(error));
  } catch (const std::exception& error) {
    throwTorchError(info.Env(), error.what());
  }
}

template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
void exportFn(Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New<guarded<Fn>>(exports.Env(), name));
}

// One registration function per op family (native/<family>.cpp).
void registerHandles(Napi::Object exports);
void registerCreation(Napi::Object exports);
void registerTensorMeta(Napi::Object exports);
void registerPointwise(Napi::Object exports);
void registerShape(Napi::Object exports);
void registerNN(Napi::Object exports);
void registerOptim(Napi::Object exports);
void registerState(Napi::Object exports);
void registerSerialize(Napi::Object exports);
#ifdef TUNELAB_WITH_CUDA
void registerCuda(Napi::Object exports);
void registerCudaGraph(Napi::Object exports);  // cuda_graph.cpp: libtorch >= 2.0 only (empty below)
#endif
#ifdef TUNELAB_WITH_DISTRIBUTED
void registerDistributed(Napi::Object exports);
#endif

}  // namespace tl
