// The fused CPU attention (mixers/forms/flash_cpu) against a naive masked softmax in float64:
// values and the gradients of q, k and v, for tile multiples and not, one query, a prefix offset,
// head dims 16 / 32 / 64 and a run-time one, on the CPU's own kernels and on the baseline ones.
#include <torch/torch.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "mixers/forms/flash_cpu.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

struct Case {
  int64_t B, H, T, S, Dh, offset;
  std::string describe() const {
    std::ostringstream out;
    out << "B=" << B << " H=" << H << " T=" << T << " S=" << S << " Dh=" << Dh << " offset=" << offset;
    return out.str();
  }
};

/// Independent of the kernel: every score, the mask as a [T, S] tensor with -inf, softmax, matmul.
/// Key j is hidden from query i when j > offset + i.
torch::Tensor naive_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t offset) {
  const int64_t T = q.size(2), S = k.size(2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));  // [B, H, T, S]
  auto query_pos = torch::arange(offset, offset + T, torch::kInt64).unsqueeze(1);                   // [T, 1]
  auto key_pos = torch::arange(0, S, torch::kInt64).unsqueeze(0);                                   // [1, S]
  auto weights = torch::softmax(scores.masked_fill(key_pos > query_pos, -INFINITY), -1);            // [B, H, T, S]
  return torch::matmul(weights, v);                                                                 // [B, H, T, Dh]
}

struct Inputs {
  torch::Tensor q, k, v;  // float32 leaves, non-contiguous as AttentionImpl makes them
  torch::Tensor grad_y;   // [B, H, T, Dh] upstream gradient
};

/// q, k, v as strided views of projections laid out [B, T|S, n, H, Dh] (like AttentionImpl's qkv),
/// scaled so that the softmax is peaked and a wrong mask or scale shows.
Inputs make_inputs(const Case& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto heads = [](const torch::Tensor& x) { return x.permute({2, 0, 3, 1, 4}); };  // [n, B, H, T|S, Dh]
  auto q_proj = heads(torch::randn({c.B, c.T, 1, c.H, c.Dh}) * 1.5);
  auto kv_proj = heads(torch::randn({c.B, c.S, 2, c.H, c.Dh}) * 1.5);
  Inputs in;
  in.q = q_proj[0].detach().requires_grad_(true);   // [B, H, T, Dh], strides of the projection
  in.k = kv_proj[0].detach().requires_grad_(true);  // [B, H, S, Dh]
  in.v = kv_proj[1].detach().requires_grad_(true);  // [B, H, S, Dh]
  in.grad_y = torch::randn({c.B, c.H, c.T, c.Dh});
  return in;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

struct Result {
  torch::Tensor y, dq, dk, dv;
};

Result run_flash(const Inputs& in, int64_t offset) {
  for (const auto& t : {in.q, in.k, in.v}) {
    if (t.grad().defined()) t.mutable_grad().reset();
  }
  auto y = forms::flash_attention_cpu(in.q, in.k, in.v, offset);
  y.backward(in.grad_y);
  return {y.detach(), in.q.grad().clone(), in.k.grad().clone(), in.v.grad().clone()};
}

Result run_naive(const Inputs& in, int64_t offset) {
  auto leaf = [](const torch::Tensor& t) { return t.detach().to(torch::kFloat64).requires_grad_(true); };
  auto q = leaf(in.q), k = leaf(in.k), v = leaf(in.v);
  auto y = naive_attention(q, k, v, offset);
  y.backward(in.grad_y.to(torch::kFloat64));
  return {y.detach(), q.grad(), k.grad(), v.grad()};
}

/// Restores the intra-op thread count and the kernel choice on scope exit.
struct Restore {
  int threads = torch::get_num_threads();
  ~Restore() {
    torch::set_num_threads(threads);
    forms::flash_attention_cpu_force_baseline(false);
  }
};

}  // namespace

TEST_CASE("flash_attention_cpu equals naive causal attention, values and gradients", "[forms][flash]") {
  Restore restore;
  const std::vector<Case> cases = {
      {2, 3, 128, 128, 32, 0},  // a tile multiple
      {2, 3, 77, 77, 32, 0},    // not a multiple
      {2, 3, 1, 1, 32, 0},      // one query, one key
      {2, 3, 1, 40, 32, 39},    // one query over 40 keys (decoding)
      {2, 3, 5, 40, 32, 35},    // 5 queries after a 35-key prefix
      {2, 3, 128, 128, 16, 0},  {2, 3, 77, 77, 16, 0}, {2, 3, 5, 40, 16, 35},
      {1, 2, 150, 170, 64, 20},  // Dh 64; a prefix that is not a tile multiple: tiles straddle the diagonal
      {2, 3, 77, 77, 24, 0},     // a head dim the kernels have no compile-time version for
      {2, 3, 5, 40, 32, 0},      // offset < S - T: keys 5.. are seen by no query, their gradients are 0
      {2, 3, 5, 40, 32, 50},     // offset > S - T: every key is visible to every query
  };
  // 1e-5 absolute against float64: float32 rounding of these sums (≤ 170 terms, values ≲ 10) measured
  // ≤ 5e-6 on both kernels; a missing scale, a mask off by one or a skipped tile is ≳ 1e-2.
  const double tol = 1e-5;
  for (bool baseline : {false, true}) {
    forms::flash_attention_cpu_force_baseline(baseline);
    for (const Case& c : cases) {
      INFO(c.describe() << " kernels " << forms::flash_attention_cpu_isa());
      const Inputs in = make_inputs(c, 11);
      if (c.T > 1) REQUIRE(!in.q.is_contiguous());  // one query: the view is contiguous anyway
      const Result got = run_flash(in, c.offset);
      const Result want = run_naive(in, c.offset);
      REQUIRE(got.y.sizes() == torch::IntArrayRef({c.B, c.H, c.T, c.Dh}));
      CHECK(max_abs_diff(got.y, want.y) < tol);
      CHECK(max_abs_diff(got.dq, want.dq) < tol);
      CHECK(max_abs_diff(got.dk, want.dk) < tol);
      CHECK(max_abs_diff(got.dv, want.dv) < tol);
    }
  }
}

TEST_CASE("flash_attention_cpu gives the same bits for 1 and 2 intra-op threads", "[forms][flash]") {
  Restore restore;
  const Case c{2, 3, 77, 77, 32, 0};
  const Inputs in = make_inputs(c, 5);
  torch::set_num_threads(1);
  const Result one = run_flash(in, c.offset);
  torch::set_num_threads(2);
  const Result two = run_flash(in, c.offset);
  CHECK(torch::equal(one.y, two.y));
  CHECK(torch::equal(one.dq, two.dq));
  CHECK(torch::equal(one.dk, two.dk));
  CHECK(torch::equal(one.dv, two.dv));
}

TEST_CASE("flash_attention_cpu runs with only q requiring grad, and under NoGradGuard", "[forms][flash]") {
  const Case c{1, 2, 9, 9, 16, 0};
  const Inputs in = make_inputs(c, 7);
  auto k = in.k.detach(), v = in.v.detach();
  auto y = forms::flash_attention_cpu(in.q, k, v, 0);
  y.backward(in.grad_y);
  REQUIRE(in.q.grad().defined());
  CHECK(!k.grad().defined());
  CHECK(max_abs_diff(in.q.grad(), run_naive(in, 0).dq) < 1e-5);
  {
    torch::NoGradGuard no_grad;
    auto y_eval = forms::flash_attention_cpu(in.q, in.k, in.v, 0);
    CHECK(!y_eval.requires_grad());
    CHECK(torch::equal(y_eval, y.detach()));
  }
}

TEST_CASE("flash_attention_cpu rejects what it cannot run", "[forms][flash]") {
  auto q = torch::randn({1, 1, 4, 8});
  CHECK_THROWS(forms::flash_attention_cpu(q.to(torch::kFloat64), q.to(torch::kFloat64), q.to(torch::kFloat64), 0));
  CHECK_THROWS(forms::flash_attention_cpu(q, q, q, -1));
  CHECK_THROWS(forms::flash_attention_cpu(q, torch::randn({1, 1, 4, 16}), torch::randn({1, 1, 4, 16}), 0));
}

TEST_CASE("flash_attention_cpu with scores far apart: weights that underflow to exactly 0", "[forms][flash]") {
  Restore restore;
  const Case c{2, 3, 150, 150, 32, 0};
  const Inputs in = make_inputs(c, 13);
  {
    torch::NoGradGuard no_grad;
    in.q.mul_(8.0);  // scores spread over about ±150
  }
  {  // the case reaches the underflow: visible weights below e^-88 relative to their row's largest
    auto s = torch::matmul(in.q, in.k.transpose(-2, -1)).detach() / std::sqrt(static_cast<double>(c.Dh));
    auto future = torch::arange(0, c.S).unsqueeze(0) > torch::arange(0, c.T).unsqueeze(1);  // [T, S]
    s = s.masked_fill(future, -INFINITY);
    const auto below = ((s - std::get<0>(s.max(-1, true))) < -88.0).logical_and(future.logical_not());
    REQUIRE(below.sum().item<int64_t>() > 1000);
  }
  const Result want = run_naive(in, c.offset);
  for (bool baseline : {false, true}) {
    forms::flash_attention_cpu_force_baseline(baseline);
    INFO(c.describe() << " kernels " << forms::flash_attention_cpu_isa());
    const Result got = run_flash(in, c.offset);
    // Relative to the largest entry: float32 scores of magnitude ~100 carry ~1e-5 of rounding into
    // the exponent; the unfused float32 path is off by as much (measured there: dk 1.4e-4, max |dk| 43).
    CHECK(max_abs_diff(got.y, want.y) < 1e-5 * want.y.abs().max().item<double>());
    CHECK(max_abs_diff(got.dq, want.dq) < 1e-5 * want.dq.abs().max().item<double>());
    CHECK(max_abs_diff(got.dk, want.dk) < 1e-5 * want.dk.abs().max().item<double>());
    CHECK(max_abs_diff(got.dv, want.dv) < 1e-5 * want.dv.abs().max().item<double>());
    CHECK(torch::isfinite(got.dq).all().item<bool>());
  }
}

namespace {

struct Biased {
  torch::Tensor y, dq, dk, dv, dbias;
};

/// A head-shared bias [B_bias, 1, T, S] as DCP's log keep scores make it: values in [-3, 0], and a
/// quarter of the entries at the finite floor -1e4 (pruned keys), never the diagonal.
torch::Tensor make_bias(const Case& c, int64_t batches, uint64_t seed) {
  torch::manual_seed(seed);
  auto bias = -3.0 * torch::rand({batches, 1, c.T, c.S});
  auto pruned = torch::rand({batches, 1, c.T, c.S}) < 0.25;
  auto diagonal = torch::arange(0, c.S).unsqueeze(0) == (torch::arange(0, c.T) + c.offset).unsqueeze(1);  // [T, S]
  return bias.masked_fill(pruned.logical_and(diagonal.logical_not()), -1e4).requires_grad_(true);
}

Biased run_flash_biased(const Inputs& in, const torch::Tensor& bias, int64_t offset) {
  for (const auto& t : {in.q, in.k, in.v, bias}) {
    if (t.grad().defined()) t.mutable_grad().reset();
  }
  auto y = forms::flash_attention_cpu(in.q, in.k, in.v, offset, bias);
  y.backward(in.grad_y);
  return {y.detach(), in.q.grad().clone(), in.k.grad().clone(), in.v.grad().clone(), bias.grad().clone()};
}

/// Naive: the bias added to every head's float64 scores before the mask and softmax.
Biased run_naive_biased(const Inputs& in, const torch::Tensor& bias, int64_t offset) {
  auto leaf = [](const torch::Tensor& t) { return t.detach().to(torch::kFloat64).requires_grad_(true); };
  auto q = leaf(in.q), k = leaf(in.k), v = leaf(in.v), b = leaf(bias);
  const int64_t T = q.size(2), S = k.size(2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3))) + b;
  auto query_pos = torch::arange(offset, offset + T, torch::kInt64).unsqueeze(1);  // [T, 1]
  auto key_pos = torch::arange(0, S, torch::kInt64).unsqueeze(0);                  // [1, S]
  auto y = torch::matmul(torch::softmax(scores.masked_fill(key_pos > query_pos, -INFINITY), -1), v);
  y.backward(in.grad_y.to(torch::kFloat64));
  return {y.detach(), q.grad(), k.grad(), v.grad(), b.grad()};
}

}  // namespace

TEST_CASE("flash_attention_cpu with a head-shared bias equals naive attention, gradients of the bias too",
          "[forms][flash]") {
  Restore restore;
  const std::vector<Case> cases = {
      {2, 3, 128, 128, 32, 0}, {2, 3, 77, 77, 32, 0}, {2, 3, 1, 40, 32, 39},
      {2, 3, 5, 40, 16, 35},   {1, 2, 150, 170, 64, 20}, {2, 3, 77, 77, 24, 0},
  };
  for (bool baseline : {false, true}) {
    forms::flash_attention_cpu_force_baseline(baseline);
    for (const Case& c : cases) {
      for (int64_t batches : {c.B, int64_t{1}}) {  // per batch, and one bias broadcast over the batch
        INFO(c.describe() << " bias batches " << batches << " kernels " << forms::flash_attention_cpu_isa());
        const Inputs in = make_inputs(c, 17);
        const torch::Tensor bias = make_bias(c, batches, 19);
        const Biased got = run_flash_biased(in, bias, c.offset);
        const Biased want = run_naive_biased(in, bias, c.offset);
        REQUIRE(got.dbias.sizes() == bias.sizes());
        CHECK(max_abs_diff(got.y, want.y) < 1e-5);
        CHECK(max_abs_diff(got.dq, want.dq) < 1e-5);
        CHECK(max_abs_diff(got.dk, want.dk) < 1e-5);
        CHECK(max_abs_diff(got.dv, want.dv) < 1e-5);
        CHECK(max_abs_diff(got.dbias, want.dbias) < 1e-5);
        // the bias moves the output: a kernel that ignored it would be far off
        CHECK(max_abs_diff(want.y, run_naive(in, c.offset).y) > 1e-2);
      }
    }
  }
}

TEST_CASE("flash_attention_cpu with a bias gives the same bits for 1 and 2 intra-op threads", "[forms][flash]") {
  Restore restore;
  const Case c{3, 4, 77, 77, 32, 0};  // an odd batch count: the two workers get unequal batches
  const Inputs in = make_inputs(c, 23);
  const torch::Tensor bias = make_bias(c, c.B, 29);
  torch::set_num_threads(1);
  const Biased one = run_flash_biased(in, bias, c.offset);
  torch::set_num_threads(2);
  const Biased two = run_flash_biased(in, bias, c.offset);
  CHECK(torch::equal(one.y, two.y));
  CHECK(torch::equal(one.dq, two.dq));
  CHECK(torch::equal(one.dbias, two.dbias));
}

TEST_CASE("flash_attention_cpu rejects a bias it cannot run", "[forms][flash]") {
  auto q = torch::randn({2, 2, 4, 8});
  CHECK_THROWS(forms::flash_attention_cpu(q, q, q, 0, torch::zeros({2, 2, 4, 4})));  // per head
  CHECK_THROWS(forms::flash_attention_cpu(q, q, q, 0, torch::zeros({2, 1, 4, 5})));  // wrong S
  CHECK_THROWS(forms::flash_attention_cpu(q, q, q, 0, torch::zeros({2, 1, 4, 4}, torch::kFloat64)));
}
