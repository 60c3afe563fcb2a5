// c10d process groups for data-parallel training (T6): Gloo (CPU tensors) and NCCL (CUDA tensors), rendezvous
// over a TCPStore hosted by rank 0. Collectives block the calling thread until done; a peer that dies or hangs
// turns into a TorchError after the group's timeout, never an abort.
//
// Also the gradient reducer behind DataParallel's overlapped mode: post-accumulate hooks on each parameter's
// gradient accumulator copy finished gradients into flat buckets and start their all-reduce while backward is
// still computing earlier layers (what torch's DDP Reducer does).
//
// API differences handled here: c10d collectives live on `Backend` since torch 2.0, on `ProcessGroup` in 1.13;
// everything else used (TCPStoreOptions, Options::create, createDeviceFor*, Work::wait) is the same in both.
#include "tensor_handle.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#if defined(USE_C10D_GLOO) && defined(TUNELAB_WITH_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tl {

namespace {

#if TORCH_VERSION_MAJOR >= 2
using CollectiveBackend = c10d::Backend;
#else
using CollectiveBackend = c10d::ProcessGroup;
#endif
using WorkPtr = c10::intrusive_ptr<c10d::Work>;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------------------------
// Process group handle

// What error messages and averaging need to know about a group (copied, so it outlives the JS handle).
struct GroupInfo {
  std::string backendName;
  int rank = 0;
  int worldSize = 1;
};

struct GroupHolder : GroupInfo {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<CollectiveBackend> backend;
};

GroupHolder& groupOf(const Napi::Value& value) {
  if (!value.IsExternal()) throw ArgError("process group handle expected");
  auto* holder = value.As<Napi::External<GroupHolder>>().Data();
  if (!holder->backend) throw ArgError("the process group was destroyed");
  return *holder;
}

// The address of this machine's interface that routes to `host`: Gloo binds there, so its peers (on the same
// network as the master) can reach it. A UDP connect() chooses the route without sending anything.
std::string localAddressToward(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) throw std::runtime_error("cannot resolve master address '" + host + "': " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    bool ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
              getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0;
    close(fd);
    if (!ok) continue;
    char text[INET6_ADDRSTRLEN] = {0};
    const void* address = local.ss_family == AF_INET6
                              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
    if (inet_ntop(local.ss_family, address, text, sizeof(text)) != nullptr) return text;
  }
  throw std::runtime_error("no local network interface reaches master address '" + host + "'");
}

c10::intrusive_ptr<CollectiveBackend> createGloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                 milliseconds timeout, const std::string& masterAddr, int port) {
#if defined(USE_C10D_GLOO) && defined(TUNELAB_WITH_GLOO)
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  // torch's contract: GLOO_SOCKET_IFNAME names the interface; otherwise the one that routes to the master.
  const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname != nullptr && *ifname != '\0') {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
  } else {
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(localAddressToward(masterAddr, port)));
  }
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
#else
  throw std::runtime_error("this build of @tunelab/torch has no Gloo support (libtorch without gloo headers)");
#endif
}

c10::intrusive_ptr<CollectiveBackend> createNccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                 milliseconds timeout) {
#ifdef USE_C10D_NCCL
  // Blocking wait makes Work::wait() throw when the timeout passes (instead of the watchdog tearing the
  // process down), which is how a hung peer becomes a TorchError. The user's own setting wins. torch 2.2 renamed
  // the variables (TORCH_ prefix) and warns about the old names.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
  setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
  setenv("TORCH_NCCL_ASYNC_ERROR_HANDLING", "0", 0);
#else
  setenv("NCCL_BLOCKING_WAIT", "1", 0);
  setenv("NCCL_ASYNC_ERROR_HANDLING", "0", 0);
#endif
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
#else
  throw std::runtime_error("this build of @tunelab/torch has no NCCL support (it needs libtorch with CUDA and nccl.h)");
#endif
}

std::vector<std::string> compiledBackends() {
  std::vector<std::string> names;
#if defined(USE_C10D_GLOO) && defined(TUNELAB_WITH_GLOO)
  names.push_back("gloo");
#endif
#ifdef USE_C10D_NCCL
  names.push_back("nccl");
#endif
  return names;
}

void ensureCompiled(const std::string& backendName) {
  auto names = compiledBackends();
  if (std::find(names.begin(), names.end(), backendName) != names.end()) return;
  throw ArgError("this build of @tunelab/torch has no " + backendName + " backend" +
                 (backendName == "nccl" ? " (it needs libtorch with CUDA and nccl.h)" : " (it needs gloo headers: libgloo-dev)"));
}

void finalizeGroup(Napi::Env, GroupHolder* holder) { delete holder; }

// createGroup({ backend, rank, worldSize, masterAddr, masterPort, timeoutMs, rendezvousTimeoutMs }) → handle.
// Rank 0 hosts the TCPStore; every rank waits (up to rendezvousTimeoutMs) until all worldSize ranks have joined.
// timeoutMs bounds each collective afterwards.
Napi::Value createGroup(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw ArgError("createGroup expects an options object");
  auto o = info[0].As<Napi::Object>();
  auto backendName = toString(o.Get("backend"), "backend");
  int rank = static_cast<int>(toInt(o.Get("rank"), "rank"));
  int size = static_cast<int>(toInt(o.Get("worldSize"), "worldSize"));
  auto masterAddr = toString(o.Get("masterAddr"), "masterAddr");
  int port = static_cast<int>(toInt(o.Get("masterPort"), "masterPort"));
  milliseconds timeout(toInt(o.Get("timeoutMs"), "timeoutMs"));
  milliseconds rendezvousTimeout(toInt(o.Get("rendezvousTimeoutMs"), "rendezvousTimeoutMs"));
  if (size < 1 || rank < 0 || rank >= size) {
    throw ArgError("rank " + std::to_string(rank) + " is outside world size " + std::to_string(size));
  }
  if (port < 1 || port > 65535) throw ArgError("masterPort " + std::to_string(port) + " is not a TCP port");
  if (backendName != "gloo" && backendName != "nccl") throw ArgError("unknown backend '" + backendName + "'");

  ensureCompiled(backendName);

  c10d::TCPStoreOptions storeOptions;
  storeOptions.port = static_cast<std::uint16_t>(port);
  storeOptions.isServer = rank == 0;
  storeOptions.numWorkers = static_cast<std::size_t>(size);
  storeOptions.waitWorkers = true;
  storeOptions.timeout = rendezvousTimeout;
  auto holder = std::make_unique<GroupHolder>();
  holder->backendName = backendName;
  holder->rank = rank;
  holder->worldSize = size;
  try {
    holder->store = c10::make_intrusive<c10d::TCPStore>(masterAddr, storeOptions);
    holder->backend = backendName == "gloo" ? createGloo(holder->store, rank, size, timeout, masterAddr, port)
                                            : createNccl(holder->store, rank, size, timeout);
  } catch (const std::exception& error) {
    std::string reason = error.what();
    if (const auto* c10error = dynamic_cast<const c10::Error*>(&error)) reason = cleanMessage(*c10error);
    throw std::runtime_error("rendezvous of rank " + std::to_string(rank) + " of " + std::to_string(size) + " at " +
                             masterAddr + ":" + std::to_string(port) + " (" + backendName + ", timeout " +
                             std::to_string(rendezvousTimeout.count()) + " ms) failed: " + reason);
  }
  return Napi::External<GroupHolder>::New(info.Env(), holder.release(), finalizeGroup);
}

// Releases the connections now (the handle stays, marked destroyed). In-flight work completes first.
Napi::Value destroyGroup(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw ArgError("process group handle expected");
  auto* holder = info[0].As<Napi::External<GroupHolder>>().Data();
#if defined(USE_C10D_NCCL) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
  // torch >= 2.4 wants NCCL groups shut down before destruction (what destroy_process_group does).
  if (holder->backend && holder->backendName == "nccl") {
    static_cast<c10d::ProcessGroupNCCL*>(holder->backend.get())->shutdown();
  }
#endif
  holder->backend.reset();
  holder->store.reset();
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------------------------
// Collectives

enum class Reduction { Sum, Avg, Product, Min, Max };

Reduction toReduction(const Napi::Value& value) {
  auto name = toString(value, "op");
  if (name == "sum") return Reduction::Sum;
  if (name == "avg") return Reduction::Avg;
  if (name == "product") return Reduction::Product;
  if (name == "min") return Reduction::Min;
  if (name == "max") return Reduction::Max;
  throw ArgError("unknown reduce op '" + name + "' (sum, avg, product, min, max)");
}

c10d::ReduceOp toReduceOp(Reduction op) {
  switch (op) {
    case Reduction::Product: return c10d::ReduceOp::PRODUCT;
    case Reduction::Min: return c10d::ReduceOp::MIN;
    case Reduction::Max: return c10d::ReduceOp::MAX;
    default: return c10d::ReduceOp::SUM;  // avg = sum, then divide: Gloo has no AVG
  }
}

void checkCollectiveTensor(const at::Tensor& t, const GroupInfo& group, const char* op) {
  if (!t.is_contiguous()) throw ArgError(std::string(op) + ": tensors must be contiguous (call .contiguous())");
  bool cuda = t.device().is_cuda();
  if (group.backendName == "nccl" && !cuda) throw ArgError(std::string(op) + ": the nccl backend needs CUDA tensors");
  if (group.backendName == "gloo" && cuda) throw ArgError(std::string(op) + ": the gloo backend needs CPU tensors");
}

// A rank's failure names the collective and the rank, then libtorch's or Gloo's reason.
[[noreturn]] void rethrowCollective(const GroupInfo& group, const char* op, const std::exception& error) {
  std::string reason = error.what();
  if (const auto* c10error = dynamic_cast<const c10::Error*>(&error)) reason = cleanMessage(*c10error);
  throw std::runtime_error(std::string(op) + " failed on rank " + std::to_string(group.rank) + " of " +
                           std::to_string(group.worldSize) + " (" + group.backendName + "): " + reason);
}

// Waits for every work item, even after one fails (so no tensor is still being written when we return).
void waitAll(const GroupInfo& group, const char* op, std::vector<WorkPtr>& works) {
  std::exception_ptr first;
  for (auto& work : works) {
    try {
      work->wait();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  works.clear();
  if (first) {
    try {
      std::rethrow_exception(first);
    } catch (const std::exception& error) {
      rethrowCollective(group, op, error);
    }
  }
}

// In-flight all-reduce of several tensors: one c10d allreduce per tensor (a c10d tensor list means "one tensor
// per local device", which is not what a JS caller means), divided by the world size on completion for avg.
struct PendingReduce {
  GroupInfo group;
  std::vector<at::Tensor> tensors;
  std::vector<WorkPtr> works;
  Reduction op = Reduction::Sum;
  bool done = false;
};

void finishReduce(PendingReduce& pending) {
  if (pending.done) return;
  pending.done = true;
  waitAll(pending.group, "allReduce", pending.works);
  if (pending.op == Reduction::Avg) {
    for (auto& t : pending.tensors) t.div_(pending.group.worldSize);
  }
}

std::unique_ptr<PendingReduce> startReduce(GroupHolder& group, const Napi::Value& tensorsArg, const Napi::Value& opArg) {
  auto pending = std::make_unique<PendingReduce>();
  pending->group = group;
  pending->tensors = unwrapList(tensorsArg, "tensors");
  pending->op = toReduction(opArg);
  for (const auto& t : pending->tensors) {
    checkCollectiveTensor(t, group, "allReduce");
    if (pending->op == Reduction::Avg && !at::isFloatingType(t.scalar_type())) {
      throw ArgError("allReduce: op 'avg' needs floating-point tensors");
    }
  }
  c10d::AllreduceOptions options;
  options.reduceOp = toReduceOp(pending->op);
  try {
    for (auto& t : pending->tensors) {
      std::vector<at::Tensor> one{t};
      pending->works.push_back(group.backend->allreduce(one, options));
    }
  } catch (const std::exception& error) {
    pending->done = true;
    waitAll(group, "allReduce", pending->works);
    rethrowCollective(group, "allReduce", error);
  }
  return pending;
}

// allReduce(group, tensors, op): in place, blocking.
Napi::Value allReduce(const Napi::CallbackInfo& info) {
  auto& group = groupOf(info[0]);
  auto pending = startReduce(group, info[1], info[2]);
  finishReduce(*pending);
  return info.Env().Undefined();
}

void finalizePending(Napi::Env, PendingReduce* pending) {
  // A JS caller that never waited: finish anyway, so Gloo never writes into freed tensors.
  try {
    finishReduce(*pending);
  } catch (...) {
  }
  delete pending;
}

// allReduceAsync(group, tensors, op) → work handle: the reduction runs on the backend's threads while JS goes on.
Napi::Value allReduceAsync(const Napi::CallbackInfo& info) {
  auto& group = groupOf(info[0]);
  auto pending = startReduce(group, info[1], info[2]);
  return Napi::External<PendingReduce>::New(info.Env(), pending.release(), finalizePending);
}

Napi::Value waitWork(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw ArgError("work handle expected");
  finishReduce(*info[0].As<Napi::External<PendingReduce>>().Data());
  return info.Env().Undefined();
}

Napi::Value workCompleted(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw ArgError("work handle expected");
  auto* pending = info[0].As<Napi::External<PendingReduce>>().Data();
  bool completed = pending->done;
  if (!completed) {
    completed = true;
    for (auto& work : pending->works) completed = completed && work->isCompleted();
  }
  return Napi::Boolean::New(info.Env(), completed);
}

// broadcast(group, tensors, src): in place, blocking.
Napi::Value broadcast(const Napi::CallbackInfo& info) {
  auto& group = groupOf(info[0]);
  auto tensors = unwrapList(info[1], "tensors");
  int src = static_cast<int>(toInt(info[2], "src"));
  if (src < 0 || src >= group.worldSize) throw ArgError("broadcast: src " + std::to_string(src) + " is not a rank");
  c10d::BroadcastOptions options;
  options.rootRank = src;
  std::vector<WorkPtr> works;
  try {
    for (auto& t : tensors) {
      checkCollectiveTensor(t, group, "broadcast");
      std::vector<at::Tensor> one{t};
      works.push_back(group.backend->broadcast(one, options));
    }
  } catch (const ArgError&) {
    waitAll(group, "broadcast", works);
    throw;
  } catch (const std::exception& error) {
    waitAll(group, "broadcast", works);
    rethrowCollective(group, "broadcast", error);
  }
  waitAll(group, "broadcast", works);
  return info.Env().Undefined();
}

// allGather(group, tensor) → one tensor per rank (same shape on every rank), in rank order.
Napi::Value allGather(const Napi::CallbackInfo& info) {
  auto& group = groupOf(info[0]);
  auto input = unwrap(info[1], "tensor");
  checkCollectiveTensor(input, group, "allGather");
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < group.worldSize; ++r) outputs[0].push_back(at::empty_like(input));
  std::vector<at::Tensor> inputs{input};
  std::vector<WorkPtr> works;
  try {
    works.push_back(group.backend->allgather(outputs, inputs));
  } catch (const std::exception& error) {
    rethrowCollective(group, "allGather", error);
  }
  waitAll(group, "allGather", works);
  return wrapList(info.Env(), outputs[0]);
}

Napi::Value barrier(const Napi::CallbackInfo& info) {
  auto& group = groupOf(info[0]);
  std::vector<WorkPtr> works;
  try {
    works.push_back(group.backend->barrier());
  } catch (const std::exception& error) {
    rethrowCollective(group, "barrier", error);
  }
  waitAll(group, "barrier", works);
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------------------------
// Gradient reducer (DataParallel's overlapped mode)

struct Bucket {
  std::vector<size_t> params;   // indices into GradReducer::params, in bucket order
  std::vector<int64_t> offsets; // element offset of each param in `flat`
  at::Tensor flat;
  size_t pending = 0;           // params of this iteration whose gradient is not final yet
  bool ready = false;
  bool launched = false;
  WorkPtr work;
};

class GradReducer;

// Runs after a parameter's AccumulateGrad node: the parameter's .grad is final for this backward pass.
class GradReadyHook : public torch::autograd::FunctionPostHook {
 public:
  GradReadyHook(GradReducer* reducer, size_t index) : reducer_(reducer), index_(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& inputs) override;

 private:
  GradReducer* reducer_;
  size_t index_;
};

class GradReducer {
 public:
  GradReducer(GroupHolder& group, std::vector<at::Tensor> params, int64_t bucketBytes, bool hooks)
      : group_(group), backend_(group.backend), params_(std::move(params)) {
    planBuckets(bucketBytes);
    fired_.assign(params_.size(), 0);
    if (hooks) registerHooks();
    resetIteration();
  }

  ~GradReducer() {
    for (size_t i = 0; i < accumulators_.size(); ++i) accumulators_[i]->del_post_hook(hookKeys_[i]);
    std::vector<WorkPtr> works;
    for (auto& bucket : buckets_) if (bucket.work) works.push_back(bucket.work);
    for (auto& work : works) {
      try {
        work->wait();
      } catch (...) {
      }
    }
  }

  size_t bucketCount() const { return buckets_.size(); }

  void onGradReady(size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (++fired_[index] > 1) {  // a second backward before finish(): gradient accumulation
      accumulating_ = true;
      return;
    }
    auto& bucket = buckets_[bucketOf_[index]];
    if (--bucket.pending == 0) bucket.ready = true;
    // Launch in bucket order only: every rank must issue its collectives in the same order.
    while (nextBucket_ < buckets_.size() && buckets_[nextBucket_].ready) launch(buckets_[nextBucket_++]);
  }

  // After backward: reduce what the hooks did not (all of it without hooks), average, write back into .grad.
  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (accumulating_) {
      // Buckets launched mid-way hold partial sums: let them complete (every rank launched the same ones),
      // then reduce the final gradients from scratch.
      for (auto& bucket : buckets_) waitBucket(bucket);
      for (auto& bucket : buckets_) bucket.launched = false;
    }
    for (auto& bucket : buckets_) if (!bucket.launched) launch(bucket);
    std::exception_ptr first;
    for (auto& bucket : buckets_) {
      try {
        waitBucket(bucket);
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    resetIteration();
    if (first) std::rethrow_exception(first);
    for (auto& bucket : buckets_) unflatten(bucket);
  }

 private:
  // Buckets of at most bucketBytes (a larger parameter gets one of its own), one dtype and device each.
  void planBuckets(int64_t bucketBytes) {
    bucketOf_.assign(params_.size(), 0);
    std::vector<int64_t> numels;
    // Reverse order: backward produces the last layers' gradients first.
    for (size_t k = params_.size(); k-- > 0;) {
      const auto& p = params_[k];
      int64_t itemBytes = static_cast<int64_t>(p.element_size());
      bool fits = !buckets_.empty() && params_[buckets_.back().params.front()].scalar_type() == p.scalar_type() &&
                  params_[buckets_.back().params.front()].device() == p.device() &&
                  (numels.back() + p.numel()) * itemBytes <= bucketBytes;
      if (!fits) {
        buckets_.emplace_back();
        numels.push_back(0);
      }
      auto& bucket = buckets_.back();
      bucket.offsets.push_back(numels.back());
      bucket.params.push_back(k);
      numels.back() += p.numel();
      bucketOf_[k] = buckets_.size() - 1;
    }
    for (size_t b = 0; b < buckets_.size(); ++b) {
      const auto& first = params_[buckets_[b].params.front()];
      buckets_[b].flat = at::empty({numels[b]}, first.options().requires_grad(false));
    }
  }

  void registerHooks() {
    for (size_t i = 0; i < params_.size(); ++i) {
      // The accumulator is kept alive here: autograd only holds it weakly, and a new one would lack the hook.
      auto accumulator = torch::autograd::impl::grad_accumulator(params_[i]);
      if (!accumulator) throw ArgError("parameter " + std::to_string(i) + " does not require grad");
      hookKeys_.push_back(accumulator->add_post_hook(std::make_unique<GradReadyHook>(this, i)));
      accumulators_.push_back(std::move(accumulator));
    }
  }

  void resetIteration() {
    for (auto& bucket : buckets_) {
      bucket.pending = bucket.params.size();
      bucket.ready = false;
      bucket.launched = false;
    }
    std::fill(fired_.begin(), fired_.end(), 0);
    nextBucket_ = 0;
    accumulating_ = false;
  }

  void launch(Bucket& bucket) {
    for (size_t j = 0; j < bucket.params.size(); ++j) {
      const auto& p = params_[bucket.params[j]];
      auto slice = bucket.flat.narrow(0, bucket.offsets[j], p.numel());
      const auto& grad = p.grad();
      if (grad.defined()) {
        slice.copy_(grad.reshape({-1}));
      } else {
        slice.zero_();  // unused on this rank; another rank's gradient may not be
      }
    }
    std::vector<at::Tensor> one{bucket.flat};
    bucket.work = backend_->allreduce(one);
    bucket.launched = true;
  }

  void waitBucket(Bucket& bucket) {
    if (!bucket.work) return;
    auto work = std::move(bucket.work);
    bucket.work.reset();
    try {
      work->wait();
    } catch (const std::exception& error) {
      rethrowCollective(group_, "allReduceGradients", error);
    }
  }

  // Average and write back in one pass over memory: grad = bucket slice / worldSize.
  void unflatten(Bucket& bucket) {
    auto divisor = at::scalar_tensor(static_cast<double>(group_.worldSize));
    for (size_t j = 0; j < bucket.params.size(); ++j) {
      auto& p = params_[bucket.params[j]];
      auto reduced = bucket.flat.narrow(0, bucket.offsets[j], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        at::div_out(p.mutable_grad(), reduced, divisor);
      } else {
        p.mutable_grad() = at::div(reduced, divisor);
      }
    }
  }

  GroupInfo group_;
  c10::intrusive_ptr<CollectiveBackend> backend_;  // keeps the backend alive even if the group is destroyed
  std::vector<at::Tensor> params_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucketOf_;
  std::vector<int> fired_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hookKeys_;
  size_t nextBucket_ = 0;
  bool accumulating_ = false;
  std::mutex mutex_;
};

torch::autograd::variable_list GradReadyHook::operator()(const torch::autograd::variable_list& outputs,
                                                         const torch::autograd::variable_list& /*inputs*/) {
  reducer_->onGradReady(index_);
  return outputs;
}

// The JS handle owns the reducer through this holder, so dispose() can remove its hooks before GC does.
struct ReducerHolder {
  std::unique_ptr<GradReducer> reducer;
};

GradReducer& reducerOf(const Napi::Value& value) {
  if (!value.IsExternal()) throw ArgError("gradient reducer handle expected");
  auto* holder = value.As<Napi::External<ReducerHolder>>().Data();
  if (!holder->reducer) throw ArgError("the gradient reducer was disposed");
  return *holder->reducer;
}

// createGradReducer(group, params, bucketBytes, hooks) → handle.
Napi::Value createGradReducer(const Napi::CallbackInfo& info) {
  auto& group = groupOf(info[0]);
  auto params = unwrapList(info[1], "params");
  int64_t bucketBytes = toInt(info[2], "bucketBytes");
  bool hooks = toBool(info[3], "hooks");
  if (bucketBytes < 1) throw ArgError("bucketBytes must be positive");
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].requires_grad() || !params[i].is_leaf()) {
      throw ArgError("params[" + std::to_string(i) + "] must be a leaf tensor that requires grad");
    }
    checkCollectiveTensor(params[i], group, "allReduceGradients");
  }
  auto holder = std::make_unique<ReducerHolder>();
  holder->reducer = std::make_unique<GradReducer>(group, std::move(params), bucketBytes, hooks);
  return Napi::External<ReducerHolder>::New(info.Env(), holder.release(), [](Napi::Env, ReducerHolder* h) { delete h; });
}

Napi::Value gradReducerFinish(const Napi::CallbackInfo& info) {
  reducerOf(info[0]).finish();
  return info.Env().Undefined();
}

Napi::Value gradReducerBuckets(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(reducerOf(info[0]).bucketCount()));
}

// Removes the hooks and frees the buckets now (waiting for in-flight reductions).
Napi::Value gradReducerDispose(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw ArgError("gradient reducer handle expected");
  info[0].As<Napi::External<ReducerHolder>>().Data()->reducer.reset();
  return info.Env().Undefined();
}

Napi::Value distributedBackends(const Napi::CallbackInfo& info) {
  auto names = compiledBackends();
  auto list = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) list.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), names[i]));
  return list;
}

}  // namespace

void registerDistributed(Napi::Object exports) {
  exportFn<distributedBackends>(exports, "distBackends");
  exportFn<createGroup>(exports, "distCreateGroup");
  exportFn<destroyGroup>(exports, "distDestroyGroup");
  exportFn<allReduce>(exports, "distAllReduce");
  exportFn<allReduceAsync>(exports, "distAllReduceAsync");
  exportFn<waitWork>(exports, "distWaitWork");
  exportFn<workCompleted>(exports, "distWorkCompleted");
  exportFn<broadcast>(exports, "distBroadcast");
  exportFn<allGather>(exports, "distAllGather");
  exportFn<barrier>(exports, "distBarrier");
  exportFn<createGradReducer>(exports, "distCreateGradReducer");
  exportFn<gradReducerFinish>(exports, "distGradReducerFinish");
  exportFn<gradReducerBuckets>(exports, "distGradReducerBuckets");
  exportFn<gradReducerDispose>(exports, "distGradReducerDispose");
}

}  // namespace tl
