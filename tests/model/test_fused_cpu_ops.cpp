// The fused CPU RMSNorm and SwiGLU activation (model/fused_cpu_ops) against naive float64 ATen
// references differentiated by autograd: values and the gradients of x, weight and gate_up, for row
// counts that are no multiple of the kernels' chunks, widths that are no multiple of a vector (37),
// 3-D inputs, rows near zero, gates up to ±100, on the CPU's own kernels and on the baseline ones;
// the same bits for 1, 2 and 3 intra-op threads.
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "model/fused_cpu_ops.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

std::string describe(torch::IntArrayRef shape) {
  std::ostringstream out;
  out << shape;
  return out.str();
}

/// max over elements of |got - want| / max(1, |want|): an absolute error below magnitude 1 and a
/// relative one above it (float32 carries ~6e-8 relative per rounding, so no absolute bound holds
/// for values in the hundreds, which rows near zero give the RMSNorm gradient).
double max_scaled_error(const torch::Tensor& got, const torch::Tensor& want) {
  const auto w = want.to(torch::kFloat64);
  return ((got.to(torch::kFloat64) - w).abs() / w.abs().clamp_min(1.0)).max().item<double>();
}

/// Restores the intra-op thread count and the kernel choice on scope exit.
struct Restore {
  int threads = torch::get_num_threads();
  ~Restore() {
    torch::set_num_threads(threads);
    fused_cpu_ops_force_baseline(false);
  }
};

// ---------------------------------------------------------------------------------------------
// RMSNorm

/// Independent of the kernel: the textbook formula in float64, differentiated by autograd.
torch::Tensor naive_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x / torch::sqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

struct RmsInputs {
  torch::Tensor x, weight, grad_y;  // float32 leaves [..., C], [C]; upstream gradient [..., C]
};

/// x ~ 2 N(0, 1) with, where there are rows enough, an all-zero row (rsqrt(eps) = 1000) and a row of
/// magnitude 1e-3 (mean x² ≈ eps: eps misplaced shows); weight ~ 1 + N(0, 0.5²) so that a gradient
/// that ignores the weight, or a weight gradient in the wrong place, shows.
RmsInputs make_rms_inputs(torch::IntArrayRef shape, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t C = shape.back();
  auto x = torch::randn(shape) * 2.0;
  auto rows = x.view({-1, C});
  if (rows.size(0) >= 3) {
    rows[1].zero_();
    rows[2].mul_(5e-4);
  }
  RmsInputs in;
  in.x = x.requires_grad_(true);
  in.weight = (1.0 + 0.5 * torch::randn({C})).requires_grad_(true);
  in.grad_y = torch::randn(shape);
  return in;
}

struct RmsResult {
  torch::Tensor y, dx, dw;
};

RmsResult run_fused_rms(const RmsInputs& in, double eps) {
  for (const auto& t : {in.x, in.weight}) {
    if (t.grad().defined()) t.mutable_grad().reset();
  }
  auto y = rms_norm_cpu(in.x, in.weight, eps);
  y.backward(in.grad_y);
  return {y.detach(), in.x.grad().clone(), in.weight.grad().clone()};
}

RmsResult run_naive_rms(const RmsInputs& in, double eps) {
  auto leaf = [](const torch::Tensor& t) { return t.detach().to(torch::kFloat64).requires_grad_(true); };
  auto x = leaf(in.x), w = leaf(in.weight);
  auto y = naive_rms_norm(x, w, eps);
  y.backward(in.grad_y.to(torch::kFloat64));
  return {y.detach(), x.grad(), w.grad()};
}

// ---------------------------------------------------------------------------------------------
// SwiGLU

/// Independent of the kernel: silu written out as g · sigmoid(g) in float64, differentiated by autograd.
torch::Tensor naive_swiglu(const torch::Tensor& gate_up) {
  const int64_t H = gate_up.size(-1) / 2;
  auto gate = gate_up.narrow(-1, 0, H), up = gate_up.narrow(-1, H, H);
  return gate * torch::sigmoid(gate) * up;
}

struct SwigluInputs {
  torch::Tensor gate_up, grad_y;  // float32 leaf [..., 2H]; upstream gradient [..., H]
};

/// gate ~ 3 N(0, 1) (sigmoid far from linear), up ~ N(0, 1).
SwigluInputs make_swiglu_inputs(torch::IntArrayRef shape, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t H = shape.back() / 2;
  auto gate_up = torch::randn(shape);
  gate_up.narrow(-1, 0, H).mul_(3.0);
  auto out_shape = shape.vec();
  out_shape.back() = H;
  return {gate_up.requires_grad_(true), torch::randn(out_shape)};
}

struct SwigluResult {
  torch::Tensor y, dgate_up;
};

SwigluResult run_fused_swiglu(const SwigluInputs& in) {
  if (in.gate_up.grad().defined()) in.gate_up.mutable_grad().reset();
  auto y = swiglu_cpu(in.gate_up);
  y.backward(in.grad_y);
  return {y.detach(), in.gate_up.grad().clone()};
}

SwigluResult run_naive_swiglu(const SwigluInputs& in) {
  auto gate_up = in.gate_up.detach().to(torch::kFloat64).requires_grad_(true);
  auto y = naive_swiglu(gate_up);
  y.backward(in.grad_y.to(torch::kFloat64));
  return {y.detach(), gate_up.grad()};
}

// Tolerance 1e-5 (scaled as in max_scaled_error) against float64: each output is a handful of
// float32 roundings (~6e-8 relative each) after a row sum of C ≤ 200 products in 16 partial sums, a
// dweight entry a sum over ≤ 16500 rows in two levels (chunks of 64 or 65 rows, then ≤ 256 chunks
// in order). Measured ≤ 3e-6 on both kernels (dweight at [300, 37]; values and dx ≤ 1e-6). A
// missing eps, weight or term of the gradient, a wrong half of gate_up, or a skipped row, chunk or
// tail is ≳ 1e-3.
constexpr double kTol = 1e-5;

}  // namespace

TEST_CASE("rms_norm_cpu equals a naive float64 RMSNorm, values and gradients", "[fused][rms_norm]") {
  Restore restore;
  const std::vector<std::vector<int64_t>> shapes = {
      {300, 37},    // rows: no multiple of the 64-row chunk; C: no multiple of a vector
      {2, 5, 37},   // 3-D, one partial chunk
      {130, 128},   // the tiny model's width
      {64, 16},     // exactly one chunk
      {65, 16},     // one chunk and one row
      {1, 8},       // one row
      {7, 1},       // C = 1
      {16500, 8},   // over 256 chunks of 64: chunks of 65 rows, the last one partial
      {3, 200},     // C > 16 lanes and no multiple of them
  };
  const double eps = 1e-6;
  for (bool baseline : {false, true}) {
    fused_cpu_ops_force_baseline(baseline);
    if (baseline) CHECK(std::string(fused_cpu_ops_isa()) == "baseline");
#if defined(__x86_64__) && defined(__GNUC__)
    if (!baseline && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      CHECK(std::string(fused_cpu_ops_isa()) == "avx2+fma");
    }
#endif
    for (const auto& shape : shapes) {
      INFO("x " << describe(shape) << " kernels " << fused_cpu_ops_isa());
      const RmsInputs in = make_rms_inputs(shape, 3);
      const RmsResult got = run_fused_rms(in, eps);
      const RmsResult want = run_naive_rms(in, eps);
      REQUIRE(got.y.sizes() == in.x.sizes());
      REQUIRE(got.dw.sizes() == in.weight.sizes());
      CHECK(max_scaled_error(got.y, want.y) < kTol);
      CHECK(max_scaled_error(got.dx, want.dx) < kTol);
      CHECK(max_scaled_error(got.dw, want.dw) < kTol);
    }
  }
}

TEST_CASE("rms_norm_cpu with a larger eps, only weight requiring grad, and under NoGradGuard", "[fused][rms_norm]") {
  const RmsInputs in = make_rms_inputs({9, 37}, 4);
  const double eps = 0.25;  // comparable to mean x² of the scaled rows: eps dropped or misplaced shows
  const RmsResult want = run_naive_rms(in, eps);
  CHECK(max_scaled_error(run_fused_rms(in, eps).y, want.y) < kTol);
  auto x = in.x.detach();
  in.weight.mutable_grad().reset();
  auto y = rms_norm_cpu(x, in.weight, eps);
  y.backward(in.grad_y);
  REQUIRE(in.weight.grad().defined());
  CHECK(max_scaled_error(in.weight.grad(), want.dw) < kTol);
  {
    torch::NoGradGuard no_grad;
    auto y_eval = rms_norm_cpu(in.x, in.weight, eps);
    CHECK(!y_eval.requires_grad());
    CHECK(torch::equal(y_eval, y.detach()));
  }
}

TEST_CASE("swiglu_cpu equals a naive float64 silu(gate) * up, values and gradients", "[fused][swiglu]") {
  Restore restore;
  const std::vector<std::vector<int64_t>> shapes = {
      {300, 74},    // H = 37: no multiple of a vector
      {2, 5, 74},   // 3-D
      {130, 688},   // the tiny model's hidden 344
      {3, 600},     // H = 300: one 256-wide block and a partial one
      {1, 2},       // H = 1
      {5, 1024},    // H = 512: two whole blocks
  };
  for (bool baseline : {false, true}) {
    fused_cpu_ops_force_baseline(baseline);
    for (const auto& shape : shapes) {
      INFO("gate_up " << describe(shape) << " kernels " << fused_cpu_ops_isa());
      const SwigluInputs in = make_swiglu_inputs(shape, 5);
      const SwigluResult got = run_fused_swiglu(in);
      const SwigluResult want = run_naive_swiglu(in);
      REQUIRE(got.y.sizes() == in.grad_y.sizes());
      REQUIRE(got.dgate_up.sizes() == in.gate_up.sizes());
      CHECK(max_scaled_error(got.y, want.y) < kTol);
      CHECK(max_scaled_error(got.dgate_up, want.dgate_up) < kTol);
    }
  }
}

TEST_CASE("swiglu_cpu with gates up to ±100: no overflow, no NaN, saturated sigmoid", "[fused][swiglu]") {
  Restore restore;
  // every value where the exponent's clamp or exp_clamped's underflow starts, and a sweep across
  const std::vector<float> edges = {-100.0f, -90.0f, -88.5f, -88.0f, -87.5f, -87.3f, -87.0f, -30.0f, -1e-3f, 0.0f,
                                    1e-3f,   30.0f,  87.0f,  87.3f,  87.5f,  88.0f,  88.5f,  90.0f,  100.0f};
  auto gate = torch::cat({torch::tensor(edges), torch::linspace(-100.0, 100.0, 401)});  // [420]
  const int64_t H = gate.size(0);
  torch::manual_seed(9);
  auto up = torch::randn({3, H});
  SwigluInputs in;
  in.gate_up = torch::cat({gate.expand({3, H}), up}, -1).requires_grad_(true);  // [3, 2H]
  in.grad_y = torch::randn({3, H});
  const SwigluResult want = run_naive_swiglu(in);
  for (bool baseline : {false, true}) {
    fused_cpu_ops_force_baseline(baseline);
    INFO("kernels " << fused_cpu_ops_isa());
    const SwigluResult got = run_fused_swiglu(in);
    REQUIRE(torch::isfinite(got.y).all().item<bool>());
    REQUIRE(torch::isfinite(got.dgate_up).all().item<bool>());
    CHECK(max_scaled_error(got.y, want.y) < kTol);
    CHECK(max_scaled_error(got.dgate_up, want.dgate_up) < kTol);
    // saturation: silu(100) = 100 exactly in float32, silu(-100) = 0 to below 1e-30
    CHECK(got.y.select(1, H - 1).equal(100.0f * up.select(1, H - 1)));
    CHECK(got.y.select(1, H - 401).abs().max().item<float>() < 1e-30f);
  }
}

// at::parallel_for splits the work only where the kernels' translation unit is compiled with OpenMP
// (ATen's inline parallel_for runs f(begin, end) serially without _OPENMP), and attnlab's build
// passes no -fopenmp: there this case checks the serial path. With model/fused_cpu_ops.cpp compiled
// with -fopenmp, the 2- and 3-thread runs split into 2 and 3 tasks, and a dweight summed per task
// instead of per fixed chunk fails here.
TEST_CASE("fused CPU ops give the same bits for 1, 2 and 3 intra-op threads", "[fused]") {
  Restore restore;
  const RmsInputs rms = make_rms_inputs({5000, 37}, 6);        // 79 dweight chunks; forward tasks of 885 rows
  const SwigluInputs swiglu = make_swiglu_inputs({3000, 74}, 7);  // tasks of 295 rows
  torch::set_num_threads(1);
  const RmsResult rms_one = run_fused_rms(rms, 1e-6);
  const SwigluResult swiglu_one = run_fused_swiglu(swiglu);
  for (int threads : {2, 3}) {
    torch::set_num_threads(threads);
    INFO(threads << " threads (get_num_threads " << torch::get_num_threads() << ")");
    const RmsResult rms_many = run_fused_rms(rms, 1e-6);
    const SwigluResult swiglu_many = run_fused_swiglu(swiglu);
    CHECK(torch::equal(rms_one.y, rms_many.y));
    CHECK(torch::equal(rms_one.dx, rms_many.dx));
    CHECK(torch::equal(rms_one.dw, rms_many.dw));
    CHECK(torch::equal(swiglu_one.y, swiglu_many.y));
    CHECK(torch::equal(swiglu_one.dgate_up, swiglu_many.dgate_up));
  }
}

TEST_CASE("fused CPU ops on non-contiguous inputs equal them on contiguous copies", "[fused]") {
  torch::manual_seed(8);
  auto base = torch::randn({37, 40}).requires_grad_(true);
  auto weight = torch::randn({37}).requires_grad_(true);
  auto x = base.t();  // [40, 37], strides (1, 40)
  REQUIRE(!x.is_contiguous());
  auto grad_y = torch::randn({40, 37});
  auto y = rms_norm_cpu(x, weight, 1e-6);
  y.backward(grad_y);
  auto base_c = base.detach().clone().requires_grad_(true);
  auto weight_c = weight.detach().clone().requires_grad_(true);
  auto y_c = rms_norm_cpu(base_c.t().contiguous(), weight_c, 1e-6);
  y_c.backward(grad_y);
  CHECK(torch::equal(y, y_c));
  CHECK(torch::equal(base.grad(), base_c.grad()));
  CHECK(torch::equal(weight.grad(), weight_c.grad()));

  auto wide = torch::randn({2, 5, 80}).requires_grad_(true);
  auto gate_up = wide.narrow(-1, 3, 74);  // [2, 5, 74], row stride 80
  REQUIRE(!gate_up.is_contiguous());
  auto grad_s = torch::randn({2, 5, 37});
  swiglu_cpu(gate_up).backward(grad_s);
  auto wide_c = wide.detach().clone().requires_grad_(true);
  swiglu_cpu(wide_c.narrow(-1, 3, 74).contiguous()).backward(grad_s);
  CHECK(torch::equal(wide.grad(), wide_c.grad()));
  CHECK(wide.grad().narrow(-1, 0, 3).abs().max().item<float>() == 0.0f);  // outside the view: no gradient
}

TEST_CASE("fused CPU ops reject what they cannot run; fused_cpu_ops_apply", "[fused]") {
  auto x = torch::randn({4, 8});
  CHECK_THROWS(rms_norm_cpu(x.to(torch::kFloat64), torch::ones({8}, torch::kFloat64), 1e-6));
  CHECK_THROWS(rms_norm_cpu(x, torch::ones({7}), 1e-6));
  CHECK_THROWS(rms_norm_cpu(x, torch::ones({8}, torch::kFloat64), 1e-6));
  CHECK_THROWS(swiglu_cpu(torch::randn({4, 7})));
  CHECK_THROWS(swiglu_cpu(x.to(torch::kFloat64)));
  CHECK(rms_norm_cpu(torch::randn({0, 8}), torch::ones({8}), 1e-6).sizes() == torch::IntArrayRef({0, 8}));
  CHECK(!fused_cpu_ops_apply(x.to(torch::kFloat64)));
  const char* env = std::getenv("ATTNLAB_CPU_FUSED");
  CHECK(fused_cpu_ops_apply(x) == (env == nullptr || std::strcmp(env, "0") != 0));
}
