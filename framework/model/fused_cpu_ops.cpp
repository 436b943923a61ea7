#include "model/fused_cpu_ops.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "model/vec_math.h"

// Plain loops over a row that GCC vectorises, compiled twice as in mixers/forms/flash_cpu.cpp: for
// the x86-64 baseline and, on x86-64 GCC/Clang, for AVX2+FMA, chosen at run time, so the binary
// does not depend on the CPU it was built on.

#if defined(__GNUC__)
#define ATTNLAB_FUSED_RESTRICT __restrict__
#else
#define ATTNLAB_FUSED_RESTRICT
#endif

namespace attnlab {
namespace {

/// Independent partial sums in a row reduction: two AVX2 vectors, so that the adds of one do not
/// wait on the previous (one running float sum does not vectorise without -ffast-math). The lanes
/// are added in the same order on every ISA.
constexpr int kLanes = 16;

/// Σ_c a[c] b[c] over a row of n values, in kLanes partial sums and a scalar tail.
ATTNLAB_VEC_INLINE float row_dot(const float* ATTNLAB_FUSED_RESTRICT a, const float* ATTNLAB_FUSED_RESTRICT b,
                                 int64_t n) {
  float lane[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    for (int u = 0; u < kLanes; ++u) lane[u] += a[c + u] * b[c + u];
  }
  float tail = 0.0f;
  for (; c < n; ++c) tail += a[c] * b[c];
  for (int width = kLanes / 2; width >= 1; width /= 2) {
    for (int u = 0; u < width; ++u) lane[u] += lane[u + width];
  }
  return lane[0] + tail;
}

/// Σ_c a[c] b[c] d[c], as row_dot.
ATTNLAB_VEC_INLINE float row_dot3(const float* ATTNLAB_FUSED_RESTRICT a, const float* ATTNLAB_FUSED_RESTRICT b,
                                  const float* ATTNLAB_FUSED_RESTRICT d, int64_t n) {
  float lane[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    for (int u = 0; u < kLanes; ++u) lane[u] += a[c + u] * b[c + u] * d[c + u];
  }
  float tail = 0.0f;
  for (; c < n; ++c) tail += a[c] * b[c] * d[c];
  for (int width = kLanes / 2; width >= 1; width /= 2) {
    for (int u = 0; u < width; ++u) lane[u] += lane[u + width];
  }
  return lane[0] + tail;
}

/// Values per block of a SwiGLU row: the clamped exponents of a block go to a stack buffer.
constexpr int64_t kBlock = 256;

// A loop vectorises only if it is free of branches. GCC keeps a branch when an arm of a select
// holds floating-point arithmetic that may trap, and it moves arithmetic that follows a select into
// its arms (mixers/forms/flash_cpu.cpp met the same). So the clamp of the exponent is a loop of its
// own whose selects pick between a value already computed and a constant, storing to memory.

/// t[j] = -g[j] clamped to [-88, 88], so that e^t neither overflows nor leaves exp_clamped's range:
/// sigmoid(g) = 1 / (1 + e^t) rounds to 1 for g > 17 and is 6e-39 (a subnormal, not 0) for g ≤ -88,
/// so g · sigmoid(g) is finite for any finite g (and about g · e^g, ≤ 6e-37 in size, below -88).
ATTNLAB_VEC_INLINE void neg_clamped(const float* ATTNLAB_FUSED_RESTRICT g, int64_t n, float* ATTNLAB_FUSED_RESTRICT t) {
  for (int64_t j = 0; j < n; ++j) {
    const float x = -g[j];
    const float lo = x < -88.0f ? -88.0f : x;
    t[j] = lo > 88.0f ? 88.0f : lo;
  }
}

// ---------------------------------------------------------------------------------------------
// RMSNorm

struct RmsForwardArgs {
  const float *x, *weight;  // [N, C], [C]
  float *y, *rstd;          // [N, C], [N] = 1 / sqrt(mean(x²) + eps)
  int64_t C;
  float eps;
};

/// Rows [begin, end): y = x · rstd · w. The row is read twice, the second time from L1.
ATTNLAB_VEC_INLINE void rms_forward_rows_impl(const RmsForwardArgs& a, int64_t begin, int64_t end) {
  const int64_t C = a.C;
  const float inv_c = 1.0f / static_cast<float>(C);
  const float* ATTNLAB_FUSED_RESTRICT w = a.weight;
  for (int64_t i = begin; i < end; ++i) {
    const float* ATTNLAB_FUSED_RESTRICT x = a.x + i * C;
    float* ATTNLAB_FUSED_RESTRICT y = a.y + i * C;
    const float r = 1.0f / std::sqrt(row_dot(x, x, C) * inv_c + a.eps);
    a.rstd[i] = r;
    for (int64_t c = 0; c < C; ++c) y[c] = x[c] * r * w[c];
  }
}

struct RmsBackwardArgs {
  const float *x, *weight, *rstd, *dy;  // [N, C], [C], [N], [N, C]
  float *dx, *dw_partial;               // [N, C], [chunks, C]
  int64_t N, C, chunk_rows;
};

/// Chunks [begin, end) of chunk_rows rows: with r = rstd and g = dy · w,
///   dx = r g - (r³ / C) (g·x) x,   dw_partial[chunk] = Σ_{rows of the chunk} dy · x · r.
ATTNLAB_VEC_INLINE void rms_backward_chunks_impl(const RmsBackwardArgs& a, int64_t begin, int64_t end) {
  const int64_t C = a.C;
  const float inv_c = 1.0f / static_cast<float>(C);
  const float* ATTNLAB_FUSED_RESTRICT w = a.weight;
  for (int64_t k = begin; k < end; ++k) {
    float* ATTNLAB_FUSED_RESTRICT dw = a.dw_partial + k * C;
    std::fill(dw, dw + C, 0.0f);
    const int64_t row_end = std::min(a.N, (k + 1) * a.chunk_rows);
    for (int64_t i = k * a.chunk_rows; i < row_end; ++i) {
      const float* ATTNLAB_FUSED_RESTRICT x = a.x + i * C;
      const float* ATTNLAB_FUSED_RESTRICT dy = a.dy + i * C;
      float* ATTNLAB_FUSED_RESTRICT dx = a.dx + i * C;
      const float r = a.rstd[i];
      const float coef = r * r * r * (row_dot3(dy, w, x, C) * inv_c);
      for (int64_t c = 0; c < C; ++c) {
        dx[c] = r * (dy[c] * w[c]) - coef * x[c];
        dw[c] += dy[c] * (x[c] * r);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SwiGLU

struct SwigluArgs {
  const float* gate_up;  // [N, 2H]: gate | up
  const float* dout;     // [N, H] (backward only)
  float* out;            // forward: [N, H] silu(gate) · up; backward: [N, 2H] dgate | dup
  int64_t H;
};

/// silu(gate) · up = gate / (1 + e^-gate) · up.
ATTNLAB_VEC_INLINE void swiglu_forward_rows_impl(const SwigluArgs& a, int64_t begin, int64_t end) {
  const int64_t H = a.H;
  float t[kBlock];
  for (int64_t i = begin; i < end; ++i) {
    for (int64_t j0 = 0; j0 < H; j0 += kBlock) {
      const int64_t n = std::min(kBlock, H - j0);
      const float* ATTNLAB_FUSED_RESTRICT g = a.gate_up + i * 2 * H + j0;
      const float* ATTNLAB_FUSED_RESTRICT u = g + H;
      float* ATTNLAB_FUSED_RESTRICT o = a.out + i * H + j0;
      neg_clamped(g, n, t);
      for (int64_t j = 0; j < n; ++j) o[j] = g[j] / (1.0f + vec::exp_clamped(t[j])) * u[j];
    }
  }
}

/// With s = sigmoid(g): dgate = dout · up · s (1 + g (1 - s)), dup = dout · g s.
ATTNLAB_VEC_INLINE void swiglu_backward_rows_impl(const SwigluArgs& a, int64_t begin, int64_t end) {
  const int64_t H = a.H;
  float t[kBlock];
  for (int64_t i = begin; i < end; ++i) {
    for (int64_t j0 = 0; j0 < H; j0 += kBlock) {
      const int64_t n = std::min(kBlock, H - j0);
      const float* ATTNLAB_FUSED_RESTRICT g = a.gate_up + i * 2 * H + j0;
      const float* ATTNLAB_FUSED_RESTRICT u = g + H;
      const float* ATTNLAB_FUSED_RESTRICT d = a.dout + i * H + j0;
      float* ATTNLAB_FUSED_RESTRICT dg = a.out + i * 2 * H + j0;
      float* ATTNLAB_FUSED_RESTRICT du = dg + H;
      neg_clamped(g, n, t);
      for (int64_t j = 0; j < n; ++j) {
        const float s = 1.0f / (1.0f + vec::exp_clamped(t[j]));
        dg[j] = d[j] * u[j] * (s * (1.0f + g[j] * (1.0f - s)));
        du[j] = d[j] * (g[j] * s);
      }
    }
  }
}

// One non-template entry point per ISA and kernel, into which the loops above are inlined (a lambda
// would not inherit the target attribute).
#define ATTNLAB_FUSED_ENTRY(NAME, BODY, ARGS, ATTRIBUTES) \
  ATTRIBUTES void NAME(const ARGS& a, int64_t begin, int64_t end) { BODY(a, begin, end); }
#ifdef ATTNLAB_VEC_X86
#define ATTNLAB_FUSED_ENTRIES(NAME, BODY, ARGS)     \
  ATTNLAB_FUSED_ENTRY(NAME##_baseline, BODY, ARGS, ) \
  ATTNLAB_FUSED_ENTRY(NAME##_avx2, BODY, ARGS, __attribute__((target("avx2,fma"))))
#else
#define ATTNLAB_FUSED_ENTRIES(NAME, BODY, ARGS) ATTNLAB_FUSED_ENTRY(NAME##_baseline, BODY, ARGS, )
#endif
ATTNLAB_FUSED_ENTRIES(rms_forward_rows, rms_forward_rows_impl, RmsForwardArgs)
ATTNLAB_FUSED_ENTRIES(rms_backward_chunks, rms_backward_chunks_impl, RmsBackwardArgs)
ATTNLAB_FUSED_ENTRIES(swiglu_forward_rows, swiglu_forward_rows_impl, SwigluArgs)
ATTNLAB_FUSED_ENTRIES(swiglu_backward_rows, swiglu_backward_rows_impl, SwigluArgs)
#undef ATTNLAB_FUSED_ENTRIES
#undef ATTNLAB_FUSED_ENTRY

std::atomic<bool> force_baseline{false};

bool use_avx2() {
  return vec::cpu_has_avx2_fma() && !force_baseline.load(std::memory_order_relaxed);
}

/// at::parallel_for over [0, n) calling the kernel for this CPU; `grain` items per task at least.
template <typename Args>
void run(void (*baseline)(const Args&, int64_t, int64_t), void (*avx2)(const Args&, int64_t, int64_t),
         const Args& a, int64_t n, int64_t grain) {
  auto* kernel = use_avx2() ? avx2 : baseline;
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) { kernel(a, begin, end); });
}

#ifdef ATTNLAB_VEC_X86
#define ATTNLAB_FUSED_KERNELS(NAME) NAME##_baseline, NAME##_avx2
#else
#define ATTNLAB_FUSED_KERNELS(NAME) NAME##_baseline, NAME##_baseline
#endif

/// Rows per parallel task: about at::internal::GRAIN_SIZE (32768) elements.
int64_t row_grain(int64_t row_elements) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, row_elements)); }

/// Rows per dweight chunk: a function of N alone (not of the thread count), so the partial sums and
/// their in-order reduction give the same bits for any number of threads. 64 rows, or more when
/// that would make over 256 chunks (bounding the [chunks, C] buffer).
int64_t rms_chunk_rows(int64_t N) { return std::max<int64_t>(64, (N + 255) / 256); }

class RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& weight_in, double eps) {
    const torch::Tensor x = x_in.contiguous(), weight = weight_in.contiguous();
    const int64_t C = x.size(-1), N = x.numel() / C;
    auto y = at::empty(x.sizes(), x.options());  // [..., C]
    auto rstd = at::empty({N}, x.options());      // [N], for the backward
    const RmsForwardArgs a{x.data_ptr<float>(), weight.data_ptr<float>(), y.data_ptr<float>(),
                           rstd.data_ptr<float>(), C, static_cast<float>(eps)};
    run(ATTNLAB_FUSED_KERNELS(rms_forward_rows), a, N, row_grain(C));
    ctx->save_for_backward({x, weight, rstd});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    if (!grad_outputs[0].defined()) return {torch::Tensor(), torch::Tensor(), torch::Tensor()};
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &rstd = saved[2];
    const torch::Tensor dy = grad_outputs[0].contiguous();
    const int64_t C = x.size(-1), N = rstd.size(0);
    const int64_t chunk_rows = rms_chunk_rows(N), chunks = (N + chunk_rows - 1) / chunk_rows;
    auto dx = at::empty(x.sizes(), x.options());
    auto partial = at::empty({chunks, C}, x.options());
    auto dw = at::zeros({C}, x.options());
    const RmsBackwardArgs a{x.data_ptr<float>(),  weight.data_ptr<float>(),  rstd.data_ptr<float>(),
                            dy.data_ptr<float>(), dx.data_ptr<float>(),      partial.data_ptr<float>(),
                            N,                    C,                         chunk_rows};
    run(ATTNLAB_FUSED_KERNELS(rms_backward_chunks), a, chunks, /*grain=*/1);
    float* ATTNLAB_FUSED_RESTRICT out = dw.data_ptr<float>();
    const float* ATTNLAB_FUSED_RESTRICT p = partial.data_ptr<float>();
    for (int64_t k = 0; k < chunks; ++k) {  // in chunk order: the same bits for any thread count
      for (int64_t c = 0; c < C; ++c) out[c] += p[k * C + c];
    }
    return {dx, dw, torch::Tensor()};
  }
};

class SwigluFunction : public torch::autograd::Function<SwigluFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& gate_up_in) {
    const torch::Tensor gate_up = gate_up_in.contiguous();
    const int64_t H = gate_up.size(-1) / 2, N = H > 0 ? gate_up.numel() / (2 * H) : 0;
    auto sizes = gate_up.sizes().vec();
    sizes.back() = H;
    auto out = at::empty(sizes, gate_up.options());  // [..., H]
    const SwigluArgs a{gate_up.data_ptr<float>(), nullptr, out.data_ptr<float>(), H};
    run(ATTNLAB_FUSED_KERNELS(swiglu_forward_rows), a, N, row_grain(3 * H));
    ctx->save_for_backward({gate_up});
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    if (!grad_outputs[0].defined()) return {torch::Tensor()};
    const torch::Tensor gate_up = ctx->get_saved_variables()[0];
    const torch::Tensor dout = grad_outputs[0].contiguous();
    const int64_t H = gate_up.size(-1) / 2, N = H > 0 ? gate_up.numel() / (2 * H) : 0;
    auto dgate_up = at::empty(gate_up.sizes(), gate_up.options());  // [..., 2H]
    const SwigluArgs a{gate_up.data_ptr<float>(), dout.data_ptr<float>(), dgate_up.data_ptr<float>(), H};
    run(ATTNLAB_FUSED_KERNELS(swiglu_backward_rows), a, N, row_grain(5 * H));
    return {dgate_up};
  }
};

#undef ATTNLAB_FUSED_KERNELS

bool check_float_cpu(const torch::Tensor& t) { return t.scalar_type() == torch::kFloat && t.device().is_cpu(); }

}  // namespace

torch::Tensor rms_norm_cpu(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  TORCH_CHECK(check_float_cpu(x) && check_float_cpu(weight), "rms_norm_cpu: float32 CPU tensors only");
  TORCH_CHECK(x.dim() >= 1 && x.size(-1) > 0, "rms_norm_cpu: x must be [..., C] with C > 0");
  TORCH_CHECK(weight.dim() == 1 && weight.size(0) == x.size(-1), "rms_norm_cpu: weight must be [C]");
  return RmsNormFunction::apply(x, weight, eps);
}

torch::Tensor swiglu_cpu(const torch::Tensor& gate_up) {
  TORCH_CHECK(check_float_cpu(gate_up), "swiglu_cpu: float32 CPU tensors only");
  TORCH_CHECK(gate_up.dim() >= 1 && gate_up.size(-1) % 2 == 0, "swiglu_cpu: gate_up must be [..., 2H]");
  return SwigluFunction::apply(gate_up);
}

bool fused_cpu_ops_apply(const torch::Tensor& x) {
  static const bool enabled = [] {
    const char* value = std::getenv("ATTNLAB_CPU_FUSED");
    return value == nullptr || std::strcmp(value, "0") != 0;
  }();
  return enabled && check_float_cpu(x);
}

const char* fused_cpu_ops_isa() { return use_avx2() ? "avx2+fma" : "baseline"; }

void fused_cpu_ops_force_baseline(bool force) { force_baseline.store(force, std::memory_order_relaxed); }

}  // namespace attnlab
