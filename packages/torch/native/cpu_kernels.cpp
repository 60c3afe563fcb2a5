// Two CPU loops that libtorch has no fast form of on every build we support. Measured on a 2-core AMX machine
// with Debian's libtorch 1.13 (BERT-mini, bf16 autocast, MRPC batches), where they were most of the step outside
// the GEMMs:
// - Dropout masks. bernoulli_ on builds without MKL (Debian's) draws each element from mt19937 in turn: 5 ns an
//   element, 22 % of the step. Here each element's keep/drop is a counter-based hash of (seed, element index), so the
//   loop vectorizes and splits over threads; the seed is one 64-bit draw from the default CPU generator, so
//   manual_seed and a saved RNG state give the same masks again (the counter-based scheme of Philox, with a cheaper
//   hash: dropout needs independence, not cryptographic strength).
// - AdamW in one pass per parameter (what `_fused_adamw_` does on the CPU from libtorch 2.4), where the single-tensor
//   form makes eight passes over memory: 16 % of the step.
// Built with -O3 (CMakeLists.txt) so that both loops vectorize.
#include "cpu_kernels.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <type_traits>

namespace tl {
namespace {

// A 32-bit bijective integer hash with full avalanche ("lowbias32", C. Wellons).
inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

uint64_t nextSeedFromDefaultGenerator() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get<at::CPUGeneratorImpl>()->random64();
}

// Elements per parallel chunk: masks do not depend on it (each element hashes its own index).
constexpr int64_t kGrain = 1 << 15;

// The loops are compiled for AVX-512, AVX2 and plain x86-64, chosen when the library loads: the build machine's
// flags say nothing of the CPU that runs it, and the hash vectorizes 2.5x (AVX2) to 8x (AVX-512) over SSE2.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TL_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef TL_CPU_CLONES
#define TL_CPU_CLONES
#endif

// A mask is two bit patterns (0 and the kept value's bits), so one loop per element width serves every dtype.
template <typename Bits>
inline void fillMaskBits(Bits* out, int64_t begin, int64_t end, uint64_t seed, uint32_t keepBelow, Bits keptBits) {
  const uint32_t key0 = static_cast<uint32_t>(seed);
  const uint32_t key1 = static_cast<uint32_t>(seed >> 32);
  for (int64_t i = begin; i < end; ++i) {
    // Two rounds keyed by both seed halves; the index's high word joins the second round.
    uint32_t h = mix32(mix32(static_cast<uint32_t>(i) ^ key0) ^ key1 ^ static_cast<uint32_t>(static_cast<uint64_t>(i) >> 32));
    out[i] = h < keepBelow ? keptBits : Bits(0);
  }
}

TL_CPU_CLONES void fillMask16(uint16_t* out, int64_t begin, int64_t end, uint64_t seed, uint32_t keepBelow, uint16_t kept) {
  fillMaskBits(out, begin, end, seed, keepBelow, kept);
}
TL_CPU_CLONES void fillMask32(uint32_t* out, int64_t begin, int64_t end, uint64_t seed, uint32_t keepBelow, uint32_t kept) {
  fillMaskBits(out, begin, end, seed, keepBelow, kept);
}
TL_CPU_CLONES void fillMask64(uint64_t* out, int64_t begin, int64_t end, uint64_t seed, uint32_t keepBelow, uint64_t kept) {
  fillMaskBits(out, begin, end, seed, keepBelow, kept);
}

template <typename Bits, typename Fill>
void fillMask(const at::Tensor& mask, uint64_t seed, uint32_t keepBelow, Bits keptBits, Fill fill) {
  auto* out = static_cast<Bits*>(mask.data_ptr());
  at::parallel_for(0, mask.numel(), kGrain, [&](int64_t begin, int64_t end) { fill(out, begin, end, seed, keepBelow, keptBits); });
}

template <typename To, typename From>
To bitsOf(From value) {
  static_assert(sizeof(To) == sizeof(From));
  To bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

}  // namespace

at::Tensor dropoutMaskCpu(const at::Tensor& like, double p) {
  TORCH_CHECK(p > 0 && p < 1, "dropoutMaskCpu: p must be in (0, 1)");
  auto mask = at::empty(like.sizes(), like.options().memory_format(at::MemoryFormat::Contiguous));
  const uint64_t seed = nextSeedFromDefaultGenerator();
  // keep with probability 1 - p: h is uniform on [0, 2^32).
  const auto keepBelow = static_cast<uint32_t>(std::min(std::floor((1.0 - p) * 4294967296.0 + 0.5), 4294967295.0));
  const double kept = 1.0 / (1.0 - p);
  switch (mask.scalar_type()) {
    case at::kDouble: fillMask(mask, seed, keepBelow, bitsOf<uint64_t>(kept), fillMask64); break;
    case at::kFloat: fillMask(mask, seed, keepBelow, bitsOf<uint32_t>(static_cast<float>(kept)), fillMask32); break;
    case at::kBFloat16: fillMask(mask, seed, keepBelow, c10::BFloat16(static_cast<float>(kept)).x, fillMask16); break;
    case at::kHalf: fillMask(mask, seed, keepBelow, c10::Half(static_cast<float>(kept)).x, fillMask16); break;
    default: TORCH_CHECK(false, "dropoutMaskCpu: no mask for ", mask.scalar_type());
  }
  return mask;
}

namespace {

// The scalars of one update, in the precision the loop computes in.
template <typename opmath_t>
struct AdamWScalars {
  opmath_t decay, gradWeight, beta2, sqGradWeight, stepSize, biasCorrection2Sqrt, eps;

  explicit AdamWScalars(const AdamWStep& h)
      : decay(static_cast<opmath_t>(1 - h.lr * h.weightDecay)), gradWeight(static_cast<opmath_t>(1 - h.beta1)),
        beta2(static_cast<opmath_t>(h.beta2)), sqGradWeight(static_cast<opmath_t>(1 - h.beta2)),
        stepSize(static_cast<opmath_t>(h.lr / h.biasCorrection1)),
        biasCorrection2Sqrt(static_cast<opmath_t>(std::sqrt(h.biasCorrection2))), eps(static_cast<opmath_t>(h.eps)) {}
};

template <typename scalar_t, typename opmath_t>
inline void adamwRange(scalar_t* param, const scalar_t* grad, scalar_t* expAvg, scalar_t* expAvgSq, int64_t begin,
                       int64_t end, const AdamWScalars<opmath_t>& c) {
  for (int64_t i = begin; i < end; ++i) {
    const opmath_t g = static_cast<opmath_t>(grad[i]);
    const opmath_t p = static_cast<opmath_t>(param[i]) * c.decay;
    // exp_avg.lerp_(grad, 1 - beta1), in lerp's form for a small weight (as torch's kernels).
    const opmath_t m = static_cast<opmath_t>(expAvg[i]) + c.gradWeight * (g - static_cast<opmath_t>(expAvg[i]));
    const opmath_t v = static_cast<opmath_t>(expAvgSq[i]) * c.beta2 + c.sqGradWeight * g * g;
    expAvg[i] = static_cast<scalar_t>(m);
    expAvgSq[i] = static_cast<scalar_t>(v);
    param[i] = static_cast<scalar_t>(p - c.stepSize * m / (std::sqrt(v) / c.biasCorrection2Sqrt + c.eps));
  }
}

// float32 parameters (the usual case, bf16 autocast included) get the per-CPU clones.
TL_CPU_CLONES void adamwRangeFloat(float* param, const float* grad, float* expAvg, float* expAvgSq, int64_t begin, int64_t end,
                                   const AdamWScalars<float>& c) {
  adamwRange(param, grad, expAvg, expAvgSq, begin, end, c);
}

template <typename scalar_t, typename opmath_t>
void adamwParameter(scalar_t* param, const scalar_t* grad, scalar_t* expAvg, scalar_t* expAvgSq, int64_t numel,
                    const AdamWStep& h) {
  const AdamWScalars<opmath_t> c(h);
  at::parallel_for(0, numel, kGrain, [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<scalar_t, float>) adamwRangeFloat(param, grad, expAvg, expAvgSq, begin, end, c);
    else adamwRange(param, grad, expAvg, expAvgSq, begin, end, c);
  });
}

}  // namespace

void adamwStepCpu(at::Tensor& param, const at::Tensor& grad, at::Tensor& expAvg, at::Tensor& expAvgSq, const AdamWStep& h) {
  TORCH_CHECK(param.is_contiguous() && expAvg.is_contiguous() && expAvgSq.is_contiguous(),
              "adamw: parameters and their state must be contiguous");
  auto g = grad.to(param.scalar_type()).contiguous();
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, param.scalar_type(), "adamwStepCpu", [&] {
    using opmath_t = std::conditional_t<std::is_same_v<scalar_t, double>, double, float>;
    adamwParameter<scalar_t, opmath_t>(param.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), expAvg.data_ptr<scalar_t>(),
                                       expAvgSq.data_ptr<scalar_t>(), param.numel(), h);
  });
}

}  // namespace tl
