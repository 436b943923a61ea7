#pragma once
/// Scalar math written so that GCC vectorises the loops that call it: the CPU kernels of issue 19
/// (mixers/forms/flash_cpu.cpp, model/fused_cpu_ops.cpp) compile their loops twice, for the x86-64
/// baseline and for AVX2+FMA, and the functions here are inlined into both.

#include <cstdint>
#include <cstring>

#if defined(__GNUC__)
#define ATTNLAB_VEC_INLINE inline __attribute__((always_inline))
#else
#define ATTNLAB_VEC_INLINE inline
#endif

// Kernels compile an AVX2+FMA clone only on x86-64 GCC/Clang (target attributes).
#if defined(__x86_64__) && defined(__GNUC__)
#define ATTNLAB_VEC_X86 1
#endif

namespace attnlab::vec {

/// Whether this CPU runs AVX2 and FMA: the run-time choice between a kernel's two clones, so the
/// binary does not depend on the CPU it was built on. Always false off x86-64 GCC/Clang.
inline bool cpu_has_avx2_fma() {
#ifdef ATTNLAB_VEC_X86
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
#else
  return false;
#endif
}

/// e^x for x in [-88, 88] (Cephes expf polynomial, within 2 ulp down to -87.3); exactly 0 at
/// x ≤ -87.34 (2^n underflows to the zero exponent field). Callers clamp x to [-88, 88] first.
ATTNLAB_VEC_INLINE float exp_clamped(float x) {
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round(x / ln 2) in [-127, 127]
  float r = x - n * 0.693359375f;  // ln 2 in two parts: r = x - n ln 2 without cancellation
  r = r - n * -2.12194440e-4f;
  float poly = 1.9875691500e-4f;
  poly = poly * r + 1.3981999507e-3f;
  poly = poly * r + 8.3334519073e-3f;
  poly = poly * r + 4.1665795894e-2f;
  poly = poly * r + 1.6666665459e-1f;
  poly = poly * r + 5.0000001201e-1f;
  const float y = poly * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;  // 2^n; +0.0f at n = -127
  float two_n;
  std::memcpy(&two_n, &bits, sizeof two_n);
  return y * two_n;
}

}  // namespace attnlab::vec
