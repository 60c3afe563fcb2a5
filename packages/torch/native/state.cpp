// Thread-local autograd/autocast state, random generators, threads, devices and build information.
#include "tensor_handle.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <cstring>
#include <memory>

namespace tl {
namespace {

// ---- grad mode: JS sets and restores it around a callback (try/finally) ----
Napi::Value isGradEnabled(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()); }
Napi::Value setGradEnabled(const Napi::CallbackInfo& info) {
  at::GradMode::set_enabled(toBool(info[0], "enabled"));
  return info.Env().Undefined();
}

// ---- inference mode: an RAII guard kept on a stack between enter and exit calls ----
thread_local std::vector<std::unique_ptr<c10::InferenceMode>> inferenceGuards;
Napi::Value enterInferenceMode(const Napi::CallbackInfo& info) {
  inferenceGuards.push_back(std::make_unique<c10::InferenceMode>(true));
  return info.Env().Undefined();
}
Napi::Value exitInferenceMode(const Napi::CallbackInfo& info) {
  if (inferenceGuards.empty()) throw ArgError("exitInferenceMode without enterInferenceMode");
  inferenceGuards.pop_back();
  return info.Env().Undefined();
}
Napi::Value isInferenceMode(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled()); }

// ---- autocast: the API moved to per-device-type functions in libtorch 2.4 ----
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocastEnabled(at::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void setAutocastEnabled(at::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType autocastDtype(at::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void setAutocastDtype(at::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
bool autocastEnabled(at::DeviceType d) { return d == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void setAutocastEnabled(at::DeviceType d, bool on) {
  if (d == at::kCUDA) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
}
at::ScalarType autocastDtype(at::DeviceType d) {
  return d == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void setAutocastDtype(at::DeviceType d, at::ScalarType t) {
  if (d == at::kCUDA) at::autocast::set_autocast_gpu_dtype(t);
  else at::autocast::set_autocast_cpu_dtype(t);
}
#endif

struct AutocastFrame {
  at::DeviceType device;
  bool previousEnabled;
  at::ScalarType previousDtype;
};
thread_local std::vector<AutocastFrame> autocastFrames;

// autocastEnter(device 'cpu' | 'cuda', dtype, enabled): like torch.autocast.__enter__.
Napi::Value autocastEnter(const Napi::CallbackInfo& info) {
  auto deviceName = toString(info[0], "device");
  if (deviceName != "cpu" && deviceName != "cuda") throw ArgError("autocast device must be 'cpu' or 'cuda', got '" + deviceName + "'");
  auto device = deviceName == "cuda" ? at::kCUDA : at::kCPU;
  auto dtype = toDtype(info[1]);
  bool enabled = toBool(info[2], "enabled");
  if (dtype != at::kBFloat16 && dtype != at::kHalf) throw ArgError("autocast dtype must be 'bfloat16' or 'float16'");
#if TORCH_VERSION_MAJOR < 2
  if (device == at::kCPU && dtype != at::kBFloat16) throw ArgError("CPU autocast supports only bfloat16 in libtorch " TORCH_VERSION);
#endif
  if (device == at::kCUDA && enabled && !at::hasCUDA()) throw ArgError("CUDA autocast requested but CUDA is not available");
  autocastFrames.push_back({device, autocastEnabled(device), autocastDtype(device)});
  setAutocastEnabled(device, enabled);
  setAutocastDtype(device, dtype);
  at::autocast::increment_nesting();
  return info.Env().Undefined();
}

// autocastExit(): like torch.autocast.__exit__ (the cast cache is cleared when the outermost region ends).
Napi::Value autocastExit(const Napi::CallbackInfo& info) {
  if (autocastFrames.empty()) throw ArgError("autocastExit without autocastEnter");
  auto frame = autocastFrames.back();
  autocastFrames.pop_back();
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  setAutocastEnabled(frame.device, frame.previousEnabled);
  setAutocastDtype(frame.device, frame.previousDtype);
  return info.Env().Undefined();
}

Napi::Value isAutocastEnabled(const Napi::CallbackInfo& info) {
  auto device = toString(info[0], "device") == "cuda" ? at::kCUDA : at::kCPU;
  return Napi::Boolean::New(info.Env(), autocastEnabled(device));
}

// ---- random generators ----
at::Generator generatorFor(const Napi::Value& deviceValue) {
  auto device = isNullish(deviceValue) ? at::Device(at::kCPU) : toDevice(deviceValue);
  if (device.is_cuda()) {
    if (!at::hasCUDA()) throw ArgError("CUDA is not available");
    if (!device.has_index()) device = at::Device(at::kCUDA, 0);
  }
  return at::globalContext().defaultGenerator(device);
}

Napi::Value manualSeed(const Napi::CallbackInfo& info) {
  at::manual_seed(static_cast<uint64_t>(toInt(info[0], "seed")));
  return info.Env().Undefined();
}

Napi::Value getRngState(const Napi::CallbackInfo& info) {
  auto generator = generatorFor(info[0]);
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    state = generator.get_state();
  }
  auto buffer = Napi::ArrayBuffer::New(info.Env(), state.nbytes());
  std::memcpy(buffer.Data(), state.data_ptr(), state.nbytes());
  return Napi::Uint8Array::New(info.Env(), state.nbytes(), buffer, 0);
}

Napi::Value setRngState(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) throw ArgError("state must be a Uint8Array");
  auto bytes = info[0].As<Napi::Uint8Array>();
  auto state = at::empty({static_cast<int64_t>(bytes.ByteLength())}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(state.data_ptr(), bytes.Data(), bytes.ByteLength());
  auto generator = generatorFor(info[1]);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
  return info.Env().Undefined();
}

// ---- threads ----
Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  auto n = toInt(info[0], "threads");
  if (n < 1) throw ArgError("setNumThreads: threads must be >= 1");
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}
Napi::Value getNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }

// ---- devices ----
Napi::Value cudaIsAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), torch::cuda::is_available()); }
Napi::Value cudaDeviceCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count())); }
Napi::Value cudaSynchronize(const Napi::CallbackInfo& info) {
  if (!torch::cuda::is_available()) throw ArgError("CUDA is not available");
  torch::cuda::synchronize(isNullish(info[0]) ? -1 : toInt(info[0], "device"));
  return info.Env().Undefined();
}

// ---- build ----
Napi::Value buildInfo(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("libtorch", TORCH_VERSION);
  out.Set("config", at::show_config());
  out.Set("parallelInfo", at::get_parallel_info());
  out.Set("threads", at::get_num_threads());
  out.Set("interopThreads", at::get_num_interop_threads());
  out.Set("mkldnn", at::hasMKLDNN());
  out.Set("mkl", at::hasMKL());
  out.Set("openmp", at::hasOpenMP());
  out.Set("lapack", at::hasLAPACK());
  out.Set("cxx11Abi", static_cast<bool>(_GLIBCXX_USE_CXX11_ABI));
  bool cuda = at::hasCUDA();
  out.Set("cudaAvailable", cuda);
  out.Set("cudaVersion", cuda ? Napi::Value(Napi::Number::New(env, static_cast<double>(at::detail::getCUDAHooks().versionCUDART()))) : env.Null());
  out.Set("cudnnVersion", cuda && at::detail::getCUDAHooks().hasCuDNN()
                              ? Napi::Value(Napi::Number::New(env, static_cast<double>(at::detail::getCUDAHooks().versionCuDNN())))
                              : env.Null());
  return out;
}

}  // namespace

void registerState(Napi::Object exports) {
  exportFn<isGradEnabled>(exports, "isGradEnabled");
  exportFn<setGradEnabled>(exports, "setGradEnabled");
  exportFn<enterInferenceMode>(exports, "enterInferenceMode");
  exportFn<exitInferenceMode>(exports, "exitInferenceMode");
  exportFn<isInferenceMode>(exports, "isInferenceMode");
  exportFn<autocastEnter>(exports, "autocastEnter");
  exportFn<autocastExit>(exports, "autocastExit");
  exportFn<isAutocastEnabled>(exports, "isAutocastEnabled");
  exportFn<manualSeed>(exports, "manualSeed");
  exportFn<getRngState>(exports, "getRngState");
  exportFn<setRngState>(exports, "setRngState");
  exportFn<setNumThreads>(exports, "setNumThreads");
  exportFn<getNumThreads>(exports, "getNumThreads");
  exportFn<cudaIsAvailable>(exports, "cudaIsAvailable");
  exportFn<cudaDeviceCount>(exports, "cudaDeviceCount");
  exportFn<cudaSynchronize>(exports, "cudaSynchronize");
  exportFn<buildInfo>(exports, "buildInfo");
}

}  // namespace tl
