// CUDA graphs (torch.cuda.CUDAGraph): kernels queued during a capture are recorded once and replayed later with one
// launch. Compiled only into CUDA builds (CMakeLists adds this file with TUNELAB_WITH_CUDA) and only against
// libtorch >= 2.0, whose capture also registers the default CUDA generator: dropout inside a graph draws from the
// generator's philox seed and an offset that every replay advances (graph-safe RNG, as torch.cuda.graph).
// Also the fused AdamW whose learning rate is a device tensor (libtorch >= 2.2), so a captured optimizer step reads
// the scheduled value the host writes into that tensor before each replay.
#include "tensor_handle.h"

#include <torch/version.h>

#if TORCH_VERSION_MAJOR >= 2
#include <ATen/cuda/CUDAGraph.h>
#include <c10/core/GradMode.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>

namespace tl {
namespace {

using PoolId = decltype(std::declval<at::cuda::CUDAGraph&>().pool());

// A graph and the streams of its capture: capture cannot run on the legacy default stream, so it runs on a side
// stream, and the stream current before the capture comes back at its end.
struct GraphHolder {
  at::cuda::CUDAGraph graph;
  c10::optional<c10::cuda::CUDAStream> previousStream;
};

GraphHolder& unwrapGraph(const Napi::Value& value) {
  if (!value.IsExternal()) throw ArgError("expected a CUDA graph handle");
  return *value.As<Napi::External<GraphHolder>>().Data();
}

Napi::Value graphCreate(const Napi::CallbackInfo& info) {
  if (!at::hasCUDA()) throw ArgError("CUDA is not available");
  return Napi::External<GraphHolder>::New(info.Env(), new GraphHolder(), [](Napi::Env, GraphHolder* holder) { delete holder; });
}

// cudaGraphCaptureBegin(graph, pool: [a, b] | null): from here on, work queued on this thread is recorded, not run.
// `pool` shares another graph's memory pool (graphs replayed in capture order may share one).
Napi::Value graphCaptureBegin(const Napi::CallbackInfo& info) {
  auto& holder = unwrapGraph(info[0]);
  PoolId pool{0, 0};
  if (!isNullish(info[1])) {
    auto ids = toIntList(info[1], "pool");
    if (ids.size() != 2) throw ArgError("pool must be a pair [a, b] from another graph's pool()");
    pool = PoolId{static_cast<PoolId::first_type>(ids[0]), static_cast<PoolId::second_type>(ids[1])};
  }
  c10::cuda::device_synchronize();  // nothing queued before the capture may run inside it
  holder.previousStream = c10::cuda::getCurrentCUDAStream();
  c10::cuda::setCurrentCUDAStream(c10::cuda::getStreamFromPool());
  holder.graph.capture_begin(pool);
  return info.Env().Undefined();
}

Napi::Value graphCaptureEnd(const Napi::CallbackInfo& info) {
  auto& holder = unwrapGraph(info[0]);
  try {
    holder.graph.capture_end();
  } catch (...) {
    if (holder.previousStream) c10::cuda::setCurrentCUDAStream(*holder.previousStream);
    throw;
  }
  c10::cuda::device_synchronize();
  if (holder.previousStream) c10::cuda::setCurrentCUDAStream(*holder.previousStream);
  holder.previousStream.reset();
  return info.Env().Undefined();
}

Napi::Value graphReplay(const Napi::CallbackInfo& info) {
  unwrapGraph(info[0]).graph.replay();
  return info.Env().Undefined();
}

Napi::Value graphReset(const Napi::CallbackInfo& info) {
  unwrapGraph(info[0]).graph.reset();
  return info.Env().Undefined();
}

Napi::Value graphPool(const Napi::CallbackInfo& info) {
  auto pool = unwrapGraph(info[0]).graph.pool();
  auto out = Napi::Array::New(info.Env(), 2);
  out.Set(uint32_t{0}, Napi::Number::New(info.Env(), static_cast<double>(pool.first)));
  out.Set(uint32_t{1}, Napi::Number::New(info.Env(), static_cast<double>(pool.second)));
  return out;
}

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
// adamwFusedLrTensor(params, expAvgs, expAvgSqs, stepTensors, lr: tensor, beta1, beta2, eps, weightDecay): as
// adamwFused, with the learning rate read from a float32 scalar tensor on the device (capturable).
Napi::Value adamwFusedLrTensor(const Napi::CallbackInfo& info) {
  auto params = unwrapList(info[0], "params");
  auto expAvgs = unwrapList(info[1], "expAvgs");
  auto expAvgSqs = unwrapList(info[2], "expAvgSqs");
  auto stepTensors = unwrapList(info[3], "stepTensors");
  const auto& lr = unwrap(info[4], "lr");
  double beta1 = toDouble(info[5], "beta1"), beta2 = toDouble(info[6], "beta2");
  double eps = toDouble(info[7], "eps"), weightDecay = toDouble(info[8], "weightDecay");
  if (params.empty()) return info.Env().Undefined();
  std::vector<at::Tensor> grads;
  grads.reserve(params.size());
  for (const auto& param : params) grads.push_back(param.grad());
  c10::NoGradGuard noGrad;
  at::_foreach_add_(stepTensors, 1);
  at::_fused_adamw_(params, grads, expAvgs, expAvgSqs, /*max_exp_avg_sqs=*/{}, stepTensors, lr, beta1, beta2,
                    weightDecay, eps, /*amsgrad=*/false, /*maximize=*/false);
  return info.Env().Undefined();
}
#endif

}  // namespace

void registerCudaGraph(Napi::Object exports) {
  exportFn<graphCreate>(exports, "cudaGraphCreate");
  exportFn<graphCaptureBegin>(exports, "cudaGraphCaptureBegin");
  exportFn<graphCaptureEnd>(exports, "cudaGraphCaptureEnd");
  exportFn<graphReplay>(exports, "cudaGraphReplay");
  exportFn<graphReset>(exports, "cudaGraphReset");
  exportFn<graphPool>(exports, "cudaGraphPool");
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
  exportFn<adamwFusedLrTensor>(exports, "adamwFusedLrTensor");
#endif
}

}  // namespace tl

#else  // libtorch < 2.0: no graph binding; torch.cuda.graphsAvailable() is false

namespace tl {
void registerCudaGraph(Napi::Object) {}
}  // namespace tl

#endif
