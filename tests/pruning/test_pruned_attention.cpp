// The dcp mixer: softmax attention plus log I of the context interaction, against an independent
// reference; its limits (β large: plain softmax), causality, the sparsity loss, and decoding with
// real removal of dropped tokens.
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <tuple>
#include <vector>

#include "entmax_reference.h"
#include "infer/layer_cache.h"
#include "mixers/forms/softmax.h"
#include "model/rope.h"
#include "pruning/pruned_attention.h"
#include "support/catch.h"
#include "support/tiny_model.h"

using namespace attnlab;

namespace {

constexpr int64_t kC = 16, kH = 4, kRank = 4;

/// A float64 dcp mixer (C 16, 4 heads, rank 4) whose interaction scores spread around β.
PrunedAttention make_dcp(double beta, uint64_t seed, AlphaSchedule alpha = {1.0, 8.0, 4}) {
  torch::manual_seed(seed);
  DcpOptions options;
  options.rank = kRank;
  options.beta_init = beta;
  options.alpha = alpha;
  PrunedAttention m(kC, kH, 10000.0, options);
  m->to(torch::kFloat64);
  torch::NoGradGuard no_grad;
  m->interaction()->q_int()->weight.normal_(0.0, 0.25);  // interaction scores: β + about N(0, 1)
  m->interaction()->k_int()->weight.normal_(0.0, 0.25);
  return m;
}

torch::Tensor param(torch::nn::Module& m, const std::string& name) { return m.named_parameters()[name]; }

/// I [B, T, T] by the paper's definition with loops over doubles and the independent entmax.
torch::Tensor naive_keep(const torch::Tensor& x, PrunedAttentionImpl& m, double alpha) {
  const int64_t B = x.size(0), T = x.size(1);
  auto q = torch::matmul(x, m.interaction()->q_int()->weight.t());  // [B, T, r]
  auto k = torch::matmul(x, m.interaction()->k_int()->weight.t());  // [B, T, r]
  auto s = (torch::matmul(q, k.transpose(1, 2)) / std::sqrt(double(kRank)) + m.interaction()->beta()).contiguous();
  auto S = s.accessor<double, 3>();
  auto keep = torch::ones({B, T, T}, torch::kFloat64);
  auto I = keep.accessor<double, 3>();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t j = 0; j < t; ++j) {
        double product = 1.0;
        for (int64_t n = j + 1; n <= t; ++n) product *= test::entmax_first(S[b][n][j], alpha);
        I[b][t][j] = product;
      }
    }
  }
  return keep;
}

/// Causal softmax attention with RoPE over scores + log I (-inf where I = 0), from the raw weights.
torch::Tensor reference(PrunedAttentionImpl& m, const torch::Tensor& x, const torch::Tensor& keep) {
  const int64_t B = x.size(0), T = x.size(1), Dh = kC / kH;
  auto qkv = torch::matmul(x, param(m, "qkv_proj.weight").t()).chunk(3, -1);
  auto heads = [&](const torch::Tensor& t) { return t.reshape({B, T, kH, Dh}).transpose(1, 2); };
  RotaryEmbedding rope(Dh, 10000.0);
  auto q = rope.apply(heads(qkv[0]), 0), k = rope.apply(heads(qkv[1]), 0), v = heads(qkv[2]);  // [B, H, T, Dh]
  auto s = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(Dh)) + keep.log().unsqueeze(1);
  auto future = torch::ones({T, T}, torch::kBool).triu(1);
  auto w = torch::softmax(s.masked_fill(future, -INFINITY), -1);  // [B, H, T, T]
  auto y = torch::matmul(w, v).transpose(1, 2).reshape({B, T, kC});
  return torch::matmul(y, param(m, "out_proj.weight").t());
}

MixerOutput run(PrunedAttention& m, const torch::Tensor& x, bool need_weights = false) {
  MixerInput in;
  in.x = x, in.qk = x, in.need_weights = need_weights;
  return m->forward(in);
}

}  // namespace

TEST_CASE("dcp equals softmax attention over scores + log I, in training (α by step) and at eval", "[pruning][dcp]") {
  auto m = make_dcp(-0.2, 3);
  auto x = torch::randn({2, 10, kC}, torch::kFloat64);
  m->train();
  for (int64_t step = 0; step < 6; ++step) {
    CAPTURE(step);
    CHECK(m->step() == step);
    const double alpha = AlphaSchedule{1.0, 8.0, 4}.at(step);
    CHECK(m->current_alpha() == alpha);
    auto keep = naive_keep(x, *m, alpha);
    auto y = run(m, x).y;
    CHECK(torch::allclose(y, reference(*m, x, keep), 1e-9, 1e-12));
  }
  m->eval();
  CHECK(m->current_alpha() == 8.0);
  auto keep = naive_keep(x, *m, 8.0);
  auto causal = torch::ones({10, 10}, torch::kBool).tril(-1);
  CHECK(torch::any((keep == 0) & causal).item<bool>());  // not vacuous: something is dropped
  CHECK(torch::any((keep > 0) & causal).item<bool>());
  auto out = run(m, x, true);
  CHECK(m->step() == 6);  // eval forwards do not advance the schedule
  CHECK(torch::allclose(out.y, reference(*m, x, keep), 1e-9, 1e-12));
  // dropped keys get exactly zero weight in every head
  CHECK(torch::all(out.weights.masked_select((keep == 0).unsqueeze(1).expand_as(out.weights)) == 0).item<bool>());
  // the step counter is a buffer: checkpoints carry it
  CHECK(m->named_buffers().contains("step"));
  CHECK(m->named_parameters().contains("interaction.beta"));
}

TEST_CASE("dcp with a large beta is plain softmax attention with the same weights", "[pruning][dcp]") {
  auto m = make_dcp(50.0, 5);
  torch::manual_seed(5);
  Attention dense(kC, kH, 10000.0, std::make_shared<forms::SoftmaxForm>());
  dense->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    param(*dense, "qkv_proj.weight").copy_(param(*m, "qkv_proj.weight"));
    param(*dense, "out_proj.weight").copy_(param(*m, "out_proj.weight"));
  }
  CHECK(m->traits().is_standard == false);
  CHECK(m->traits().has_kv_cache);
  CHECK(m->traits().has_weights);
  auto x = torch::randn({2, 12, kC}, torch::kFloat64);
  MixerInput in;
  in.x = x, in.qk = x;
  auto expected = dense->forward(in).y;
  for (bool training : {true, false}) {
    CAPTURE(training);
    m->train(training);
    CHECK((run(m, x).y - expected).abs().max().item<double>() < 1e-9);
  }
}

TEST_CASE("dcp is causal and a token never drops itself", "[pruning][dcp]") {
  for (bool training : {true, false}) {
    CAPTURE(training);
    auto m = make_dcp(-0.2, 7, AlphaSchedule{1.0, 1.0, 0});  // constant α: training forwards advance the step
    m->train(training);
    auto x = torch::randn({2, 12, kC}, torch::kFloat64);
    auto y = run(m, x).y;
    for (int64_t t : {0, 5, 10}) {
      auto changed = x.clone();
      changed.narrow(1, t + 1, 12 - t - 1).normal_();
      auto y2 = run(m, changed).y;
      CHECK(torch::allclose(y.narrow(1, 0, t + 1), y2.narrow(1, 0, t + 1), 0.0, 1e-12));
      CHECK((y.narrow(1, t + 1, 1) - y2.narrow(1, t + 1, 1)).abs().max().item<double>() > 1e-6);
    }
  }
  // β = -50 drops the whole context at α > 1: each token attends to itself alone
  auto m = make_dcp(-50.0, 9);
  m->eval();
  auto out = run(m, torch::randn({2, 8, kC}, torch::kFloat64), true);
  auto eye = torch::eye(8, torch::kFloat64).expand_as(out.weights);
  CHECK(torch::equal(out.weights, eye));
}

TEST_CASE("dcp's aux loss is lambda times the mean of I over causal entries, in training only", "[pruning][dcp]") {
  auto m = make_dcp(0.1, 11);
  auto x = torch::randn({3, 9, kC}, torch::kFloat64);
  m->train();
  auto keep = naive_keep(x, *m, 1.0);
  auto causal = torch::ones({9, 9}, torch::kBool).tril(-1).expand({3, 9, 9});
  const double expected = 0.3 * keep.masked_select(causal).mean().item<double>();
  auto out = run(m, x);
  REQUIRE(out.stats.aux_loss.defined());
  CHECK(out.stats.aux_loss.item<double>() == Approx(expected).epsilon(1e-12));
  out.stats.aux_loss.backward();  // differentiable into the interaction
  CHECK(m->interaction()->beta().grad().item<double>() > 0.0);
  m->eval();
  CHECK(!run(m, x).stats.aux_loss.defined());
}

TEST_CASE("dcp decoding with real removal equals the parallel forward and shrinks the cache", "[pruning][dcp]") {
  // float32 runs the flash kernel with log I as its bias (one query over the cache, and training's
  // causal mask in the parallel forward); float64 the unfused path
  for (auto [dtype, B, tol] : {std::tuple{torch::kFloat64, int64_t{1}, 1e-5}, std::tuple{torch::kFloat64, int64_t{2}, 1e-5},
                               std::tuple{torch::kFloat32, int64_t{2}, 1e-4}}) {
    CAPTURE(B, dtype == torch::kFloat32);
    cfg::Node spec = testing::mixer_spec("dcp");
    spec["rank"] = cfg::Node::scalar("8");
    spec["beta_init"] = cfg::Node::scalar("-0.1");
    TransformerLM model = testing::tiny_model(spec, 3, 2);
    model->to(dtype);
    model->eval();
    torch::NoGradGuard no_grad;
    for (auto& item : model->named_parameters()) {
      if (item.key().find("interaction.q_int") != std::string::npos ||
          item.key().find("interaction.k_int") != std::string::npos) {
        item.value().normal_(0.0, 0.15);
      }
    }
    const int64_t T = 32;
    auto tokens = torch::randint(0, 50, {B, T}, torch::kInt64);
    auto expected = model->forward(tokens).logits;  // [B, T, V]

    std::vector<std::unique_ptr<LayerCache>> caches;
    ForwardOptions fwd;
    for (int64_t l = 0; l < model->n_layers(); ++l) {
      caches.push_back(std::make_unique<LayerCache>(T));
      fwd.caches.push_back(caches.back().get());
    }
    std::vector<torch::Tensor> pieces;
    std::vector<int64_t> chunks = {3, 1, 1, 1, 1, 1, 4};  // prefills compact at once
    chunks.resize(chunks.size() + (T - 12), 1);             // then single steps, compacting at 16 and 32
    int64_t pos = 0;
    for (int64_t n : chunks) {
      fwd.pos0 = pos;
      pieces.push_back(model->forward(tokens.narrow(1, pos, n), fwd).logits);
      pos += n;
      if (n > 1 || pos % PrunedAttentionImpl::kCompactEvery == 0) {  // a compaction: no dead token (I = 0) is left
        for (const auto& cache : caches) {                             // in the row that keeps the most
          CHECK((cache->state[1] <= kLogZero).sum(1).min().item<int64_t>() == 0);
        }
      }
    }
    REQUIRE(pos == T);
    CHECK((torch::cat(pieces, 1) - expected).abs().max().item<double>() < tol);
    for (const auto& cache : caches) {
      CHECK(cache->size() < T);  // dropped tokens were removed for real
      CHECK(cache->state[0].size(1) == cache->size());
    }
    if (B == 1) {
      for (const auto& cache : caches) CHECK(torch::all(cache->state[1] > kLogZero).item<bool>());
    }
  }
}

TEST_CASE("dcp in float32 on the CPU: the fused kernel equals the weights path, gradients of the interaction too",
          "[pruning][dcp][flash]") {
  // Training asks for neither weights nor statistics, so float32 dcp runs flash_attention_cpu with
  // log I as a head-shared bias; asking for the weights takes the unfused path. Both must agree.
  auto m = make_dcp(-0.2, 13, AlphaSchedule{1.5, 1.5, 0});
  m->to(torch::kFloat32);
  m->train();
  torch::manual_seed(13);
  auto x = torch::randn({2, 70, kC});  // 70 > one 64-key tile
  auto grad_y = torch::randn({2, 70, kC});
  auto pass = [&](bool need_weights) {
    m->zero_grad();
    auto y = run(m, x, need_weights).y;
    y.backward(grad_y);
    std::vector<torch::Tensor> got = {y.detach()};
    for (const auto& p : m->parameters()) got.push_back(p.grad().clone());
    return got;
  };
  const auto fused = pass(false), unfused = pass(true);
  REQUIRE(fused.size() == unfused.size());
  REQUIRE(fused.size() == m->parameters().size() + 1);
  bool bits_differ = false;
  for (size_t i = 0; i < fused.size(); ++i) {
    CAPTURE(i);
    const double scale = std::max(1.0, unfused[i].abs().max().item<double>());
    CHECK((fused[i] - unfused[i]).abs().max().item<double>() < 2e-5 * scale);
    bits_differ = bits_differ || !torch::equal(fused[i], unfused[i]);
  }
  CHECK(bits_differ);  // float32 sums in another order: the fused path was taken
  CHECK(m->interaction()->beta().grad().abs().item<float>() > 0.0f);
}
