// CUDA caching-allocator statistics (compiled only when libtorch has CUDA and its headers are found).
#include "tensor_handle.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>

namespace tl {
namespace {

namespace allocator = c10::cuda::CUDACachingAllocator;

// The device asked for, after CUDA's lazy initialisation (which sets up the caching allocator's statistics;
// an empty CUDA tensor triggers it the same way on every libtorch version).
c10::DeviceIndex deviceIndex(const Napi::Value& value) {
  if (!at::hasCUDA()) throw ArgError("CUDA is not available");
  c10::DeviceIndex index;
  if (isNullish(value)) {
    index = c10::cuda::current_device();
  } else if (value.IsString()) {
    auto device = toDevice(value);
    if (!device.is_cuda()) throw ArgError("expected a CUDA device, got '" + deviceName(device) + "'");
    index = device.has_index() ? device.index() : c10::cuda::current_device();
  } else {
    index = static_cast<c10::DeviceIndex>(toInt(value, "device"));
  }
  if (index < 0 || index >= c10::cuda::device_count()) throw ArgError("CUDA device " + std::to_string(index) + " does not exist");
  (void)at::empty({0}, at::TensorOptions().device(at::kCUDA, index));
  return index;
}

// Index 0 of each StatArray is StatType::AGGREGATE (the enum moved namespaces across libtorch versions).
constexpr size_t kAggregate = 0;

Napi::Value memoryAllocated(const Napi::CallbackInfo& info) {
  auto stats = allocator::getDeviceStats(deviceIndex(info[0]));
  return Napi::Number::New(info.Env(), static_cast<double>(stats.allocated_bytes[kAggregate].current));
}
Napi::Value maxMemoryAllocated(const Napi::CallbackInfo& info) {
  auto stats = allocator::getDeviceStats(deviceIndex(info[0]));
  return Napi::Number::New(info.Env(), static_cast<double>(stats.allocated_bytes[kAggregate].peak));
}
Napi::Value memoryReserved(const Napi::CallbackInfo& info) {
  auto stats = allocator::getDeviceStats(deviceIndex(info[0]));
  return Napi::Number::New(info.Env(), static_cast<double>(stats.reserved_bytes[kAggregate].current));
}
Napi::Value resetPeakMemoryStats(const Napi::CallbackInfo& info) {
  allocator::resetPeakStats(deviceIndex(info[0]));
  return info.Env().Undefined();
}
Napi::Value emptyCache(const Napi::CallbackInfo& info) {
  deviceIndex(info.Env().Undefined());  // initialises CUDA first, like torch.cuda.empty_cache
  allocator::emptyCache();
  return info.Env().Undefined();
}

}  // namespace

void registerCuda(Napi::Object exports) {
  exportFn<memoryAllocated>(exports, "cudaMemoryAllocated");
  exportFn<maxMemoryAllocated>(exports, "cudaMaxMemoryAllocated");
  exportFn<memoryReserved>(exports, "cudaMemoryReserved");
  exportFn<resetPeakMemoryStats>(exports, "cudaResetPeakMemoryStats");
  exportFn<emptyCache>(exports, "cudaEmptyCache");
}

}  // namespace tl
