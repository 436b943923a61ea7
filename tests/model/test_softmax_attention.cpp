#include <cmath>
#include <vector>

#include "config/node.h"
#include "mixers/attention.h"
#include "mixers/forms/softmax.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

/// Independent per-element reference: projections, RoPE, causal softmax and output projection
/// written as plain loops over doubles.
torch::Tensor naive_attention(const torch::Tensor& x, const torch::Tensor& w_qkv, const torch::Tensor& w_out,
                              int64_t n_heads, int64_t pos0) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), Dh = C / n_heads;
  auto X = x.accessor<double, 3>();
  auto W = w_qkv.accessor<double, 2>();  // [3C, C]
  auto O = w_out.accessor<double, 2>();  // [C, C]
  auto project = [&](int64_t b, int64_t t, int64_t row) {
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += W[row][c] * X[b][t][c];
    return sum;
  };
  auto rope = [&](std::vector<double> v, int64_t pos) {
    std::vector<double> out(Dh);
    for (int64_t i = 0; i < Dh / 2; ++i) {
      const double angle = pos * std::pow(10000.0, -2.0 * i / Dh);
      out[i] = v[i] * std::cos(angle) - v[i + Dh / 2] * std::sin(angle);
      out[i + Dh / 2] = v[i + Dh / 2] * std::cos(angle) + v[i] * std::sin(angle);
    }
    return out;
  };
  auto y = torch::zeros({B, T, C}, torch::kFloat64);
  auto Y = y.accessor<double, 3>();
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> concat(T * C);
    for (int64_t h = 0; h < n_heads; ++h) {
      std::vector<std::vector<double>> q(T), k(T), v(T);
      for (int64_t t = 0; t < T; ++t) {
        std::vector<double> qt(Dh), kt(Dh), vt(Dh);
        for (int64_t d = 0; d < Dh; ++d) {
          qt[d] = project(b, t, h * Dh + d);
          kt[d] = project(b, t, C + h * Dh + d);
          vt[d] = project(b, t, 2 * C + h * Dh + d);
        }
        q[t] = rope(qt, pos0 + t), k[t] = rope(kt, pos0 + t), v[t] = vt;
      }
      for (int64_t i = 0; i < T; ++i) {
        std::vector<double> s(i + 1);
        double max_s = -1e300, norm = 0;
        for (int64_t j = 0; j <= i; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < Dh; ++d) dot += q[i][d] * k[j][d];
          s[j] = dot / std::sqrt(static_cast<double>(Dh));
          max_s = std::max(max_s, s[j]);
        }
        for (int64_t j = 0; j <= i; ++j) norm += std::exp(s[j] - max_s);
        for (int64_t d = 0; d < Dh; ++d) {
          double acc = 0;
          for (int64_t j = 0; j <= i; ++j) acc += std::exp(s[j] - max_s) / norm * v[j][d];
          concat[i * C + h * Dh + d] = acc;
        }
      }
    }
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t o = 0; o < C; ++o) {
        double sum = 0;
        for (int64_t c = 0; c < C; ++c) sum += O[o][c] * concat[t * C + c];
        Y[b][t][o] = sum;
      }
    }
  }
  return y;
}

}  // namespace

TEST_CASE("softmax attention equals a naive per-element reference", "[mixer][softmax]") {
  torch::manual_seed(1);
  AttentionImpl attention(16, 4, 10000.0, std::make_shared<forms::SoftmaxForm>());
  attention.to(torch::kFloat64);
  auto x = torch::randn({2, 7, 16}, torch::kFloat64);
  for (int64_t pos0 : {0, 5}) {
    MixerInput in;
    in.x = x;
    in.qk = x;
    in.pos0 = pos0;
    in.need_weights = true;
    MixerOutput out = attention.forward(in);
    auto params = attention.named_parameters();
    auto expected = naive_attention(x, params["qkv_proj.weight"], params["out_proj.weight"], 4, pos0);
    CHECK(torch::allclose(out.y, expected, 1e-9, 1e-10));
    // weights: [B, H, T, S], causal rows summing to one
    REQUIRE(out.weights.sizes() == torch::IntArrayRef({2, 4, 7, 7}));
    CHECK(torch::allclose(out.weights.sum(-1), torch::ones({2, 4, 7}, torch::kFloat64)));
    CHECK(out.weights.triu(1).abs().max().item<double>() == 0.0);
  }
}

TEST_CASE("softmax attention with a separate qk source takes values from x only", "[mixer][softmax]") {
  torch::manual_seed(2);
  AttentionImpl attention(16, 2, 10000.0, std::make_shared<forms::SoftmaxForm>());
  auto x = torch::randn({3, 5, 16});
  auto qk = torch::randn({1, 5, 16});
  MixerInput in;
  in.x = x;
  in.qk = qk;
  in.need_weights = true;
  MixerOutput out = attention.forward(in);
  // Attention maps come from qk alone, so they are the same for every batch element.
  CHECK(torch::allclose(out.weights[0], out.weights[2]));
  in.qk = x;
  CHECK(!torch::allclose(attention.forward(in).y, out.y));
}

TEST_CASE("causal_future_mask marks keys after each query", "[mixer]") {
  auto mask = causal_future_mask(2, 4, torch::kCPU);  // queries at key indices 2 and 3
  auto expected = torch::tensor({0, 0, 0, 1, 0, 0, 0, 0}, torch::kBool).view({2, 4});
  CHECK(torch::equal(mask, expected));
}
