// CUDA caching-allocator statistics (compiled only when libtorch has CUDA and its headers are found).
#include "tensor_handle.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>

namespace tl {
namespace {

namespace allocator = c10::cuda::CUDACachingAllocator;

c10::DeviceIndex deviceIndex(const Napi::Value& value) {
  if (!at::hasCUDA()) throw ArgError("CUDA is not available");
  if (isNullish(value)) return c10::cuda::current_device();
  if (value.IsString()) {
    auto device = toDevice(value);
    if (!device.is_cuda()) throw ArgError("expected a CUDA device, got '" + deviceName(device) + "'");
    return device.has_index() ? device.index() : c10::cuda::current_device();
  }
  return static_cast<c10::DeviceIndex>(toInt(value, "device"));
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
  if (!at::hasCUDA()) throw ArgError("CUDA is not available");
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
