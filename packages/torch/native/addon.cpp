// Module entry: each op family registers its functions on the exports object.
#include "tensor_handle.h"

#include <c10/util/Logging.h>

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
#if TORCH_VERSION_MAJOR < 2
  // libtorch 1.x symbolises a C++ backtrace for every c10::Error (~15 ms); TorchError messages never show it.
  // (2.x captures backtraces lazily.)
  c10::SetStackTraceFetcher([]() -> std::string { return ""; });
#endif
  tl::registerHandles(exports);
  tl::registerCreation(exports);
  tl::registerTensorMeta(exports);
  tl::registerPointwise(exports);
  tl::registerShape(exports);
  tl::registerNN(exports);
  tl::registerOptim(exports);
  tl::registerState(exports);
  tl::registerSerialize(exports);
#ifdef TUNELAB_WITH_CUDA
  tl::registerCuda(exports);
  tl::registerCudaGraph(exports);
#endif
#ifdef TUNELAB_WITH_DISTRIBUTED
  tl::registerDistributed(exports);
#endif
  exports.Set("withCudaUtils", Napi::Boolean::New(env,
#ifdef TUNELAB_WITH_CUDA
                                                 true
#else
                                                 false
#endif
                                                 ));
  return exports;
}

}  // namespace

NODE_API_MODULE(tunelab_torch, init)
