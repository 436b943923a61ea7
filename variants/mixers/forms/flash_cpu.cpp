#include "mixers/forms/flash_cpu.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "model/vec_math.h"

// The tile kernels are plain loops with compile-time trip counts (tile width, head dim) that GCC
// vectorises. They are compiled twice: for the x86-64 baseline and, on x86-64 GCC/Clang, for
// AVX2+FMA, chosen at run time, so the binary does not depend on the CPU it was built on.

#if defined(__GNUC__)
#define ATTNLAB_FLASH_INLINE inline __attribute__((always_inline))
#define ATTNLAB_FLASH_RESTRICT __restrict__
#else
#define ATTNLAB_FLASH_INLINE inline
#define ATTNLAB_FLASH_RESTRICT
#endif

namespace attnlab::forms {
namespace {

// Tile shape, measured (fwd+bwd, Dh 32, B=16 T=128 and B=8 T=512, 2-core EPYC): 64 keys per tile
// keep the score row in 8 AVX2 accumulators while the d loop runs; 32 keys were 5-15% slower and
// 128 (16 accumulators, spilled) 10-20% slower. The query block (16..128) made no clear difference.
constexpr int kTileQ = 64;  // query rows per block: forward row statistics, backward P and dS tiles
constexpr int kTileK = 64;  // keys per tile
constexpr int kLanes = 8;   // independent partial results in row reductions: one AVX2 vector
static_assert(kTileK % kLanes == 0, "the row reductions walk the tile in whole lane groups");

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Loops over a score row vectorise only if they are free of branches. GCC keeps a branch (and so
// does not vectorise) when an arm of a select holds floating-point arithmetic that may trap, and
// it moves arithmetic that follows a select into its arms. So each select below picks between a
// value already computed and a constant, and its result goes to memory before the next loop.

using vec::exp_clamped;  // e^x for x clamped to [-88, 88] (model/vec_math.h)

/// max over a row of kTileK values: halving elementwise passes (they vectorise), then kLanes scalars.
ATTNLAB_FLASH_INLINE float row_max(const float* ATTNLAB_FLASH_RESTRICT x) {
  float half[kTileK / 2];
  for (int j = 0; j < kTileK / 2; ++j) half[j] = x[j] < x[j + kTileK / 2] ? x[j + kTileK / 2] : x[j];
  for (int width = kTileK / 4; width >= kLanes; width /= 2) {
    for (int j = 0; j < width; ++j) half[j] = half[j] < half[j + width] ? half[j + width] : half[j];
  }
  float m = half[0];
  for (int u = 1; u < kLanes; ++u) m = m < half[u] ? half[u] : m;
  return m;
}

/// Σ over a row of kTileK values in kLanes partial sums, so that it vectorises (one running float
/// sum does not without -ffast-math) and adds in the same order on every ISA.
ATTNLAB_FLASH_INLINE float row_sum(const float* ATTNLAB_FLASH_RESTRICT x) {
  float lane[kLanes] = {};
  for (int64_t j = 0; j < kTileK; j += kLanes) {
    for (int u = 0; u < kLanes; ++u) lane[u] += x[j + u];
  }
  float sum = 0.0f;
  for (int u = 0; u < kLanes; ++u) sum += lane[u];
  return sum;
}

/// s[j] = Σ_d a[d] scale · bt[d][j] over a whole tile row: one query (or dO row) against the
/// transposed key (or value) tile bt [Dh, kTileK]. The j loop is contiguous and of fixed length.
template <int kD>
ATTNLAB_FLASH_INLINE void dot_row(const float* ATTNLAB_FLASH_RESTRICT a, const float* ATTNLAB_FLASH_RESTRICT bt,
                                  int64_t dh, float scale, float* ATTNLAB_FLASH_RESTRICT s) {
  const int64_t Dh = kD > 0 ? kD : dh;
  for (int64_t j = 0; j < kTileK; ++j) s[j] = 0.0f;
  for (int64_t d = 0; d < Dh; ++d) {
    const float ad = a[d] * scale;
    const float* ATTNLAB_FLASH_RESTRICT bd = bt + d * kTileK;
    for (int64_t j = 0; j < kTileK; ++j) s[j] += ad * bd[j];
  }
}

/// y[:] = beta y[:] + Σ_{j<n} w[j · w_stride] x[j][:] for a head row y [Dh] and rows x [n, Dh]: one
/// output row of the P·V, Pᵀ·dO, dSᵀ·Q and dS·K tile products. Updating y in place measured faster
/// than a local accumulator array, which GCC spilled to the stack inside the j loop (-30%).
template <int kD>
ATTNLAB_FLASH_INLINE void accumulate_rows(float* ATTNLAB_FLASH_RESTRICT y, float beta,
                                          const float* ATTNLAB_FLASH_RESTRICT w, int64_t w_stride,
                                          const float* ATTNLAB_FLASH_RESTRICT x, int64_t n, int64_t dh) {
  const int64_t Dh = kD > 0 ? kD : dh;
  for (int64_t d = 0; d < Dh; ++d) y[d] *= beta;
  for (int64_t j = 0; j < n; ++j) {
    const float wj = w[j * w_stride];
    const float* ATTNLAB_FLASH_RESTRICT xj = x + j * Dh;
    for (int64_t d = 0; d < Dh; ++d) y[d] += wj * xj[d];
  }
}

/// bt[d][j] = b[j][d] for the n ≤ kTileK rows of a key or value tile, zero columns past n (their
/// scores are masked; zeros keep them finite).
template <int kD>
ATTNLAB_FLASH_INLINE void transpose_tile(const float* ATTNLAB_FLASH_RESTRICT b, int64_t n, int64_t dh,
                                         float* ATTNLAB_FLASH_RESTRICT bt) {
  const int64_t Dh = kD > 0 ? kD : dh;
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t d = 0; d < Dh; ++d) bt[d * kTileK + j] = b[j * Dh + d];
  }
  for (int64_t d = 0; d < Dh; ++d) {
    for (int64_t j = n; j < kTileK; ++j) bt[d * kTileK + j] = 0.0f;
  }
}

/// s[j] += b[j] for the n ≤ kTileK keys of a tile: the additive score bias of one query row.
ATTNLAB_FLASH_INLINE void add_bias(const float* ATTNLAB_FLASH_RESTRICT b, int64_t n, float* ATTNLAB_FLASH_RESTRICT s) {
  for (int64_t j = 0; j < n; ++j) s[j] += b[j];
}

struct Shape {
  int64_t T, S, Dh, offset;
  float scale;  // 1 / sqrt(Dh)
};

/// Scratch of one worker, reused across its heads.
struct Scratch {
  std::vector<float> kt, vt;  // [Dh, kTileK] transposed key / value tile
  std::vector<float> s;       // [kTileK] one row of scores, then weights (forward)
  std::vector<float> p, ds;   // [kTileQ, kTileK] weight and score-gradient tiles (backward)
  std::vector<float> dk, dv;  // [kTileK, Dh] key-tile gradients being accumulated
  std::vector<float> rows;    // [T] D_i = dO_i·O_i
  explicit Scratch(const Shape& sh)
      : kt(sh.Dh * kTileK),
        vt(sh.Dh * kTileK),
        s(kTileK),
        p(kTileQ * kTileK),
        ds(kTileQ * kTileK),
        dk(kTileK * sh.Dh),
        dv(kTileK * sh.Dh),
        rows(sh.T) {}
};

/// Forward of one (batch, head): q, o [T, Dh], k, v [S, Dh], lse [T] = log Σ_j e^{s_ij} over visible j.
template <int kD>
ATTNLAB_FLASH_INLINE void forward_head(const Shape& sh, const float* ATTNLAB_FLASH_RESTRICT q,
                                       const float* ATTNLAB_FLASH_RESTRICT k, const float* ATTNLAB_FLASH_RESTRICT v,
                                       const float* ATTNLAB_FLASH_RESTRICT bias, float* ATTNLAB_FLASH_RESTRICT o,
                                       float* ATTNLAB_FLASH_RESTRICT lse, Scratch& scratch) {
  const int64_t Dh = kD > 0 ? kD : sh.Dh;
  float* ATTNLAB_FLASH_RESTRICT kt = scratch.kt.data();
  float* ATTNLAB_FLASH_RESTRICT s = scratch.s.data();
  float m[kTileQ], l[kTileQ];  // running row max and Σ e^{s - m}
  for (int64_t i0 = 0; i0 < sh.T; i0 += kTileQ) {
    const int64_t nq = std::min<int64_t>(kTileQ, sh.T - i0);
    // keys [0, key_end) are visible to some query of the tile; later key tiles are all future
    const int64_t key_end = std::min(sh.S, sh.offset + i0 + nq);
    float* ATTNLAB_FLASH_RESTRICT acc = o + i0 * Dh;  // [nq, Dh] unnormalised Σ_j e^{s - m} v_j, in place
    std::fill(acc, acc + nq * Dh, 0.0f);
    std::fill(m, m + nq, kNegInf);
    std::fill(l, l + nq, 0.0f);
    for (int64_t j0 = 0; j0 < key_end; j0 += kTileK) {
      const int64_t nk = std::min<int64_t>(kTileK, key_end - j0);
      transpose_tile<kD>(k + j0 * Dh, nk, Dh, kt);
      for (int64_t i = 0; i < nq; ++i) {
        // keys j0 .. j0 + visible - 1 are visible to this row; none when the whole tile is in its future
        const int64_t visible = std::min(nk, sh.offset + i0 + i - j0 + 1);
        if (visible <= 0) continue;
        dot_row<kD>(q + (i0 + i) * Dh, kt, Dh, sh.scale, s);  // [kTileK] scaled scores
        if (bias) add_bias(bias + (i0 + i) * sh.S + j0, nk, s);
        // hide the future; an int index compares in vector registers without SSE4.2
        const int vis = static_cast<int>(visible);
        for (int j = 0; j < kTileK; ++j) s[j] = j < vis ? s[j] : kNegInf;
        const float m_new = std::max(m[i], row_max(s));  // finite: key j0 is visible
        for (int j = 0; j < kTileK; ++j) {
          const float x = s[j] - m_new;
          s[j] = x < -88.0f ? -88.0f : x;  // -inf (hidden) and far below the max: e^x = 0
        }
        for (int j = 0; j < kTileK; ++j) s[j] = exp_clamped(s[j]);
        const float alpha = std::exp(m[i] - m_new);  // rescales what earlier tiles summed; 0 at the first
        l[i] = l[i] * alpha + row_sum(s);
        m[i] = m_new;
        accumulate_rows<kD>(acc + i * Dh, alpha, s, 1, v + j0 * Dh, visible, Dh);  // o_i = alpha o_i + p v
      }
    }
    for (int64_t i = 0; i < nq; ++i) {
      const float inv = 1.0f / l[i];
      float* ATTNLAB_FLASH_RESTRICT oi = acc + i * Dh;
      for (int64_t d = 0; d < Dh; ++d) oi[d] *= inv;
      lse[i0 + i] = m[i] + std::log(l[i]);
    }
  }
}

/// Backward of one (batch, head), key tiles outer so that dK and dV of a tile accumulate in scratch
/// and are written once; dQ accumulates in place. For each block of query rows: P and dS tiles
/// (P recomputed from the saved LSE), then dV += Pᵀ dO, dK += dSᵀ Q, dQ += dS K (scale in dS).
template <int kD>
ATTNLAB_FLASH_INLINE void backward_head(const Shape& sh, const float* ATTNLAB_FLASH_RESTRICT q,
                                        const float* ATTNLAB_FLASH_RESTRICT k, const float* ATTNLAB_FLASH_RESTRICT v,
                                        const float* ATTNLAB_FLASH_RESTRICT o, const float* ATTNLAB_FLASH_RESTRICT lse,
                                        const float* ATTNLAB_FLASH_RESTRICT dout,
                                        const float* ATTNLAB_FLASH_RESTRICT bias, float* ATTNLAB_FLASH_RESTRICT dq,
                                        float* ATTNLAB_FLASH_RESTRICT dk, float* ATTNLAB_FLASH_RESTRICT dv,
                                        float* ATTNLAB_FLASH_RESTRICT dbias, Scratch& scratch) {
  const int64_t Dh = kD > 0 ? kD : sh.Dh;
  float* ATTNLAB_FLASH_RESTRICT kt = scratch.kt.data();
  float* ATTNLAB_FLASH_RESTRICT vt = scratch.vt.data();
  float* ATTNLAB_FLASH_RESTRICT p = scratch.p.data();    // [kTileQ, kTileK]
  float* ATTNLAB_FLASH_RESTRICT ds = scratch.ds.data();  // [kTileQ, kTileK]
  float* ATTNLAB_FLASH_RESTRICT dk_acc = scratch.dk.data();
  float* ATTNLAB_FLASH_RESTRICT dv_acc = scratch.dv.data();
  float* ATTNLAB_FLASH_RESTRICT drow = scratch.rows.data();
  int64_t visible[kTileQ];
  for (int64_t i = 0; i < sh.T; ++i) {  // D_i = dO_i·O_i = Σ_j P_ij dP_ij
    float sum = 0.0f;
    for (int64_t d = 0; d < Dh; ++d) sum += dout[i * Dh + d] * o[i * Dh + d];
    drow[i] = sum;
  }
  std::fill(dq, dq + sh.T * Dh, 0.0f);
  for (int64_t j0 = 0; j0 < sh.S; j0 += kTileK) {
    const int64_t nk = std::min<int64_t>(kTileK, sh.S - j0);
    const int64_t i_first = std::max<int64_t>(0, j0 - sh.offset);  // first query that sees key j0
    if (i_first >= sh.T) {                                         // no query sees these keys: zero gradients
      std::fill(dk + j0 * Dh, dk + (j0 + nk) * Dh, 0.0f);
      std::fill(dv + j0 * Dh, dv + (j0 + nk) * Dh, 0.0f);
      continue;
    }
    transpose_tile<kD>(k + j0 * Dh, nk, Dh, kt);
    transpose_tile<kD>(v + j0 * Dh, nk, Dh, vt);
    std::fill(dk_acc, dk_acc + nk * Dh, 0.0f);
    std::fill(dv_acc, dv_acc + nk * Dh, 0.0f);
    for (int64_t i0 = i_first; i0 < sh.T; i0 += kTileQ) {
      const int64_t nq = std::min<int64_t>(kTileQ, sh.T - i0);
      for (int64_t r = 0; r < nq; ++r) {  // P and dS rows; every row from i_first on sees key j0
        const int64_t i = i0 + r;
        visible[r] = std::min(nk, sh.offset + i - j0 + 1);
        float* ATTNLAB_FLASH_RESTRICT pr = p + r * kTileK;
        float* ATTNLAB_FLASH_RESTRICT dsr = ds + r * kTileK;
        dot_row<kD>(q + i * Dh, kt, Dh, sh.scale, pr);  // scaled scores
        if (bias) add_bias(bias + i * sh.S + j0, nk, pr);
        dot_row<kD>(dout + i * Dh, vt, Dh, 1.0f, dsr);  // dP = dO vᵀ
        const float lse_i = lse[i], d_i = drow[i];
        const int vis = static_cast<int>(visible[r]);
        for (int j = 0; j < kTileK; ++j) {
          const float x = pr[j] - lse_i;
          pr[j] = (j < vis) & (x >= -88.0f) ? x : -88.0f;  // hidden keys: e^-88 = 0
        }
        for (int j = 0; j < kTileK; ++j) pr[j] = exp_clamped(pr[j]);                  // P
        if (dbias) {  // the bias's gradient is dS itself, summed over the heads of the batch in order
          for (int j = 0; j < kTileK; ++j) dsr[j] = pr[j] * (dsr[j] - d_i);
          add_bias(dsr, nk, dbias + i * sh.S + j0);
          for (int j = 0; j < kTileK; ++j) dsr[j] *= sh.scale;
        } else {
          for (int j = 0; j < kTileK; ++j) dsr[j] = pr[j] * (dsr[j] - d_i) * sh.scale;  // dS · scale
        }
      }
      for (int64_t j = 0; j < nk; ++j) {  // over the rows that see key j0 + j (the others have P = dS = 0)
        const int64_t r0 = std::max<int64_t>(0, j0 + j - sh.offset - i0);
        if (r0 >= nq) break;
        accumulate_rows<kD>(dv_acc + j * Dh, 1.0f, p + r0 * kTileK + j, kTileK, dout + (i0 + r0) * Dh, nq - r0,
                            Dh);  // dV_j += Σ_i P_ij dO_i
        accumulate_rows<kD>(dk_acc + j * Dh, 1.0f, ds + r0 * kTileK + j, kTileK, q + (i0 + r0) * Dh, nq - r0,
                            Dh);  // dK_j += Σ_i dS_ij Q_i
      }
      for (int64_t r = 0; r < nq; ++r) {  // dQ_i += Σ_j dS_ij K_j
        accumulate_rows<kD>(dq + (i0 + r) * Dh, 1.0f, ds + r * kTileK, 1, k + j0 * Dh, visible[r], Dh);
      }
    }
    std::copy(dk_acc, dk_acc + nk * Dh, dk + j0 * Dh);
    std::copy(dv_acc, dv_acc + nk * Dh, dv + j0 * Dh);
  }
}

// bias and dbias: [B, T, S] shared by the H heads of a batch, or null.
struct ForwardArgs {
  Shape sh;
  int64_t H;
  const float *q, *k, *v, *bias;
  float *o, *lse;
};

struct BackwardArgs {
  Shape sh;
  int64_t H;
  const float *q, *k, *v, *o, *lse, *dout, *bias;
  float *dq, *dk, *dv, *dbias;
};

/// Heads [begin, end) with the head dim fixed at compile time where it is a common one (16, 32, 64)
/// so the inner loops have constant trip counts; any other Dh runs the same code with a run-time Dh.
template <int kD>
ATTNLAB_FLASH_INLINE void forward_heads_d(const ForwardArgs& a, int64_t begin, int64_t end) {
  Scratch scratch(a.sh);
  const int64_t T = a.sh.T, S = a.sh.S, Dh = a.sh.Dh;
  for (int64_t h = begin; h < end; ++h) {
    const float* bias = a.bias ? a.bias + (h / a.H) * T * S : nullptr;
    forward_head<kD>(a.sh, a.q + h * T * Dh, a.k + h * S * Dh, a.v + h * S * Dh, bias, a.o + h * T * Dh,
                     a.lse + h * T, scratch);
  }
}

template <int kD>
ATTNLAB_FLASH_INLINE void backward_heads_d(const BackwardArgs& a, int64_t begin, int64_t end) {
  Scratch scratch(a.sh);
  const int64_t T = a.sh.T, S = a.sh.S, Dh = a.sh.Dh;
  for (int64_t h = begin; h < end; ++h) {
    const int64_t b = h / a.H;
    backward_head<kD>(a.sh, a.q + h * T * Dh, a.k + h * S * Dh, a.v + h * S * Dh, a.o + h * T * Dh, a.lse + h * T,
                      a.dout + h * T * Dh, a.bias ? a.bias + b * T * S : nullptr, a.dq + h * T * Dh, a.dk + h * S * Dh,
                      a.dv + h * S * Dh, a.dbias ? a.dbias + b * T * S : nullptr, scratch);
  }
}

// One non-template entry point per ISA and direction, into which every tile kernel is inlined (a
// lambda would not inherit the target attribute).
// clang-format off
#define ATTNLAB_FLASH_ENTRY(NAME, BODY, ARGS, ATTRIBUTES)           \
  ATTRIBUTES void NAME(const ARGS& a, int64_t begin, int64_t end) { \
    switch (a.sh.Dh) {                                              \
      case 16: BODY<16>(a, begin, end); break;                      \
      case 32: BODY<32>(a, begin, end); break;                      \
      case 64: BODY<64>(a, begin, end); break;                      \
      default: BODY<0>(a, begin, end); break;                       \
    }                                                               \
  }
ATTNLAB_FLASH_ENTRY(forward_heads_baseline, forward_heads_d, ForwardArgs, )
ATTNLAB_FLASH_ENTRY(backward_heads_baseline, backward_heads_d, BackwardArgs, )
#ifdef ATTNLAB_VEC_X86
ATTNLAB_FLASH_ENTRY(forward_heads_avx2, forward_heads_d, ForwardArgs, __attribute__((target("avx2,fma"))))
ATTNLAB_FLASH_ENTRY(backward_heads_avx2, backward_heads_d, BackwardArgs, __attribute__((target("avx2,fma"))))
#endif
#undef ATTNLAB_FLASH_ENTRY
// clang-format on

std::atomic<bool> force_baseline{false};

bool use_avx2() {
  return vec::cpu_has_avx2_fma() && !force_baseline.load(std::memory_order_relaxed);
}

void forward_heads(const ForwardArgs& a, int64_t begin, int64_t end) {
#ifdef ATTNLAB_VEC_X86
  if (use_avx2()) return forward_heads_avx2(a, begin, end);
#endif
  forward_heads_baseline(a, begin, end);
}

void backward_heads(const BackwardArgs& a, int64_t begin, int64_t end) {
#ifdef ATTNLAB_VEC_X86
  if (use_avx2()) return backward_heads_avx2(a, begin, end);
#endif
  backward_heads_baseline(a, begin, end);
}

Shape shape_of(const torch::Tensor& q, const torch::Tensor& k, int64_t offset) {
  const int64_t Dh = q.size(3);
  return Shape{q.size(2), k.size(2), Dh, offset, static_cast<float>(1.0 / std::sqrt(static_cast<double>(Dh)))};
}

/// (batch, head) pairs are independent and each is done by one thread start to end, so the result
/// is the same bits for any thread count.
void run_heads(int64_t heads, const std::function<void(int64_t, int64_t)>& body) {
  at::parallel_for(0, heads, /*grain_size=*/1, body);
}

class FlashAttentionFunction : public torch::autograd::Function<FlashAttentionFunction> {
 public:
  /// bias: [B, 1, T, S] or none (an optional: autograd's apply() rejects an undefined tensor).
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v_in,
                               const c10::optional<torch::Tensor>& bias_in, int64_t offset) {
    const torch::Tensor q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();  // [B, H, T|S, Dh]
    const torch::Tensor bias = bias_in ? bias_in->contiguous() : torch::Tensor();            // [B, 1, T, S]
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2);
    auto o = at::empty_like(q);                    // [B, H, T, Dh]
    auto lse = at::empty({B, H, T}, q.options());  // [B, H, T] row log-sum-exp, for the backward
    ForwardArgs a{shape_of(q, k, offset), H,         q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                  data_or_null(bias),     o.data_ptr<float>(), lse.data_ptr<float>()};
    run_heads(B * H, [&](int64_t begin, int64_t end) { forward_heads(a, begin, end); });
    ctx->save_for_backward({q, k, v, o, lse, bias});
    ctx->saved_data["offset"] = offset;
    return o;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &o = saved[3], &lse = saved[4], &bias = saved[5];
    const int64_t offset = ctx->saved_data["offset"].toInt();
    const int64_t B = q.size(0), H = q.size(1);
    if (!grad_outputs[0].defined()) return {torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), {}};
    const torch::Tensor dout = grad_outputs[0].contiguous();  // [B, H, T, Dh]
    auto dq = at::empty_like(q), dk = at::empty_like(k), dv = at::empty_like(v);
    // not bias.requires_grad(): the saved bias may be forward's contiguous copy, outside the graph
    const bool bias_grad = bias.defined() && ctx->needs_input_grad(3);
    torch::Tensor dbias = bias_grad ? at::zeros_like(bias) : torch::Tensor();  // [B, 1, T, S]
    BackwardArgs a{shape_of(q, k, offset), H,
                   q.data_ptr<float>(),    k.data_ptr<float>(),
                   v.data_ptr<float>(),    o.data_ptr<float>(),
                   lse.data_ptr<float>(),  dout.data_ptr<float>(),
                   data_or_null(bias),     dq.data_ptr<float>(),
                   dk.data_ptr<float>(),   dv.data_ptr<float>(),
                   bias_grad ? dbias.data_ptr<float>() : nullptr};
    if (bias_grad) {  // the heads of a batch add into one dbias: one worker per batch, heads in order
      run_heads(B, [&](int64_t begin, int64_t end) { backward_heads(a, begin * H, end * H); });
    } else {
      run_heads(B * H, [&](int64_t begin, int64_t end) { backward_heads(a, begin, end); });
    }
    return {dq, dk, dv, dbias, torch::Tensor()};
  }

 private:
  static const float* data_or_null(const torch::Tensor& t) { return t.defined() ? t.data_ptr<float>() : nullptr; }
};

void check_inputs(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t offset) {
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "flash_attention_cpu: q, k, v must be [B, H, T|S, Dh]");
  TORCH_CHECK(q.scalar_type() == torch::kFloat && k.scalar_type() == torch::kFloat && v.scalar_type() == torch::kFloat,
              "flash_attention_cpu: float32 only");
  TORCH_CHECK(q.device().is_cpu() && k.device().is_cpu() && v.device().is_cpu(), "flash_attention_cpu: CPU only");
  TORCH_CHECK(k.sizes() == v.sizes(), "flash_attention_cpu: k and v differ in shape");
  TORCH_CHECK(q.size(0) == k.size(0) && q.size(1) == k.size(1) && q.size(3) == k.size(3),
              "flash_attention_cpu: q and k differ in batch, heads or head dim");
  TORCH_CHECK(q.size(3) > 0, "flash_attention_cpu: empty head dim");
  TORCH_CHECK(k.size(2) > 0 || q.size(2) == 0, "flash_attention_cpu: queries need at least one key");
  TORCH_CHECK(offset >= 0, "flash_attention_cpu: offset must be >= 0 (key 0 visible to every query)");
}

}  // namespace

torch::Tensor flash_attention_cpu(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  int64_t offset) {
  check_inputs(q, k, v, offset);
  return FlashAttentionFunction::apply(q, k, v, c10::optional<torch::Tensor>(), offset);
}

torch::Tensor flash_attention_cpu(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  int64_t offset, const torch::Tensor& bias) {
  check_inputs(q, k, v, offset);
  const int64_t B = q.size(0), T = q.size(2), S = k.size(2);
  TORCH_CHECK(flash_attention_cpu_takes_bias(q, k, bias), "flash_attention_cpu: the bias must be float32 on the CPU, ",
              "[B|1, 1, T, S] = [", B, "|1, 1, ", T, ", ", S, "], got ", bias.scalar_type(), " ", bias.sizes());
  // expand outside the function, so autograd sums the gradient of a batch-shared bias
  return FlashAttentionFunction::apply(q, k, v, c10::optional<torch::Tensor>(bias.expand({B, 1, T, S})), offset);
}

bool flash_attention_cpu_takes_bias(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& bias) {
  return bias.scalar_type() == torch::kFloat && bias.is_cpu() && bias.dim() == 4 &&
         (bias.size(0) == q.size(0) || bias.size(0) == 1) && bias.size(1) == 1 && bias.size(2) == q.size(2) &&
         bias.size(3) == k.size(2);
}

const char* flash_attention_cpu_isa() { return use_avx2() ? "avx2+fma" : "baseline"; }

void flash_attention_cpu_force_baseline(bool force) { force_baseline.store(force, std::memory_order_relaxed); }

}  // namespace attnlab::forms
