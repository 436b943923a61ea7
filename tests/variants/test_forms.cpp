// Every attention form and every mixing axis against a naive per-element reference in float64.
#include <algorithm>
#include <cmath>
#include <vector>

#include "config/yaml_loader.h"
#include "mixers/mlp_mixer.h"
#include "model/layer_plan.h"
#include "registry.h"
#include "support/catch.h"

using namespace attnlab;

namespace {

using Vec = std::vector<double>;

TokenMixerPtr make_mixer(const std::string& yaml, int64_t C, int64_t H) {
  register_builtin_variants();
  const cfg::Node spec = cfg::parse_yaml(yaml, "test.yaml");
  MixerContext context{spec, "mixer", C, H, 2, 0, 10000.0};
  return mixer_registry().get(mixer_name(spec))(context);
}

/// Parameters drawn wider than the model init so the forms' nonlinearities matter.
void randomise(torch::nn::Module& module, double std) {
  torch::NoGradGuard no_grad;
  module.to(torch::kFloat64);
  for (auto& p : module.parameters()) p.normal_(0.0, std);
}

double dot(const Vec& a, const Vec& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

Vec elu_plus_one(const Vec& x) {
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] > 0 ? x[i] + 1.0 : std::exp(x[i]);
  return out;
}

double silu(double x) { return x / (1.0 + std::exp(-x)); }

Vec rope(const Vec& v, int64_t pos) {
  const int64_t Dh = static_cast<int64_t>(v.size());
  Vec out(Dh);
  for (int64_t i = 0; i < Dh / 2; ++i) {
    const double angle = pos * std::pow(10000.0, -2.0 * i / Dh);
    out[i] = v[i] * std::cos(angle) - v[i + Dh / 2] * std::sin(angle);
    out[i + Dh / 2] = v[i + Dh / 2] * std::cos(angle) + v[i] * std::sin(angle);
  }
  return out;
}

/// y[o] = Σ_c W[o][c] x[c]
Vec apply(const torch::Tensor& w, int64_t row0, int64_t rows, const Vec& x) {
  auto W = w.accessor<double, 2>();
  Vec out(rows);
  for (int64_t o = 0; o < rows; ++o) {
    double sum = 0;
    for (size_t c = 0; c < x.size(); ++c) sum += W[row0 + o][c] * x[c];
    out[o] = sum;
  }
  return out;
}

Vec row(const torch::Tensor& x, int64_t b, int64_t t) {
  auto X = x.accessor<double, 3>();
  Vec out(x.size(2));
  for (int64_t c = 0; c < x.size(2); ++c) out[c] = X[b][t][c];
  return out;
}

struct Naive {
  torch::Tensor y;        // [B, T, C]
  torch::Tensor weights;  // [B, H, T, T]
  double max_abs_score = 0;
};

/// Causal attention of one form written as loops: projections of x (values) and qk (queries, keys),
/// SiLU queries and no RoPE for nonapprox, RoPE otherwise, the form's weights, output projection.
Naive naive_attention(const torch::Tensor& x, const torch::Tensor& qk, const torch::Tensor& w_qkv,
                      const torch::Tensor& w_out, int64_t H, int64_t pos0, const std::string& form,
                      const std::string& normalize) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), Dh = C / H;
  const double eps = 1e-6, root = std::sqrt(static_cast<double>(Dh));
  Naive out;
  out.y = torch::zeros({B, T, C}, torch::kFloat64);
  out.weights = torch::zeros({B, H, T, T}, torch::kFloat64);
  auto Y = out.y.accessor<double, 3>();
  auto Wt = out.weights.accessor<double, 4>();
  for (int64_t b = 0; b < B; ++b) {
    std::vector<Vec> concat(T, Vec(C));
    for (int64_t h = 0; h < H; ++h) {
      std::vector<Vec> q(T), k(T), v(T);
      for (int64_t t = 0; t < T; ++t) {
        const Vec source = row(qk, qk.size(0) == 1 ? 0 : b, t);
        q[t] = apply(w_qkv, h * Dh, Dh, source);
        k[t] = apply(w_qkv, C + h * Dh, Dh, source);
        v[t] = apply(w_qkv, 2 * C + h * Dh, Dh, row(x, b, t));
        if (form == "nonapprox") {
          for (auto& e : q[t]) e = silu(e);
        } else {
          q[t] = rope(q[t], pos0 + t), k[t] = rope(k[t], pos0 + t);
        }
      }
      for (int64_t i = 0; i < T; ++i) {
        Vec s(i + 1), w(i + 1);
        for (int64_t j = 0; j <= i; ++j) {
          if (form == "nonapprox") s[j] = dot(q[j], k[j]) / root;
          else if (form == "elu1") s[j] = dot(elu_plus_one(q[i]), elu_plus_one(k[j]));
          else s[j] = dot(q[i], k[j]) / root;
          out.max_abs_score = std::max(out.max_abs_score, std::abs(s[j]));
        }
        double norm = 0;
        const double max_s = *std::max_element(s.begin(), s.end());
        for (int64_t j = 0; j <= i; ++j) {
          if (form == "softmax" || form == "nonapprox") w[j] = std::exp(s[j] - max_s);
          else if (form == "linear") w[j] = s[j];
          else if (form == "relu") w[j] = std::max(s[j], 0.0);
          else if (form == "sigmoid") w[j] = 1.0 / (1.0 + std::exp(-s[j]));
          else if (form == "elu1") w[j] = s[j];
          else if (form == "taylor") w[j] = 1.0 + s[j] + s[j] * s[j] / 2.0;
          norm += form == "linear" ? std::abs(w[j]) : w[j];
        }
        if (normalize == "none") norm = 1.0;
        else if (normalize != "exact") norm += eps;
        for (int64_t j = 0; j <= i; ++j) {
          w[j] /= norm;
          Wt[b][h][i][j] = w[j];
        }
        for (int64_t d = 0; d < Dh; ++d) {
          double acc = 0;
          for (int64_t j = 0; j <= i; ++j) acc += w[j] * v[j][d];
          concat[i][h * Dh + d] = acc;
        }
      }
    }
    for (int64_t t = 0; t < T; ++t) {
      const Vec y = apply(w_out, 0, C, concat[t]);
      for (int64_t o = 0; o < C; ++o) Y[b][t][o] = y[o];
    }
  }
  return out;
}

struct FormCase {
  std::string yaml;
  std::string form;
  std::string normalize;  // "exact": divided by the plain sum, "none", or with + eps
  bool explicit_weights;
};

const std::vector<FormCase>& form_cases() {
  static const std::vector<FormCase> cases = {
      {"name: softmax", "softmax", "exact", true},
      {"{name: attention, form: softmax}", "softmax", "exact", true},
      {"name: linear", "linear", "abs_sum", true},
      {"{name: attention, form: linear, normalize: none}", "linear", "none", true},
      {"name: relu", "relu", "sum", true},
      {"{name: relu, normalize: none}", "relu", "none", true},
      {"{name: attention, form: sigmoid}", "sigmoid", "sum", true},
      {"{name: sigmoid, normalize: none}", "sigmoid", "none", true},
      {"name: elu1", "elu1", "exact", false},
      {"{name: attention, form: taylor}", "taylor", "exact", false},
      {"name: nonapprox", "nonapprox", "exact", false},
  };
  return cases;
}

}  // namespace

TEST_CASE("every attention form equals its naive per-element reference", "[forms]") {
  for (const auto& c : form_cases()) {
    for (bool separate_qk : {false, true}) {
      INFO(c.yaml << (separate_qk ? " with a separate qk source" : ""));
      torch::manual_seed(3);
      TokenMixerPtr mixer = make_mixer(c.yaml, 16, 2);
      randomise(*mixer, 0.3);
      auto x = torch::randn({2, 7, 16}, torch::kFloat64);
      auto qk = separate_qk ? torch::randn({1, 7, 16}, torch::kFloat64) : x;
      for (int64_t pos0 : {0, 5}) {
        MixerInput in;
        in.x = x;
        in.qk = qk;
        in.pos0 = pos0;
        in.need_weights = true;
        in.need_stats = true;
        MixerOutput out = mixer->forward(in);
        auto params = mixer->named_parameters();
        Naive expected = naive_attention(x, qk, params["qkv_proj.weight"], params["out_proj.weight"], 2, pos0, c.form,
                                         c.normalize);
        CHECK(torch::allclose(out.y, expected.y, 1e-9, 1e-10));
        REQUIRE(out.stats.max_abs_score.defined());
        CHECK(out.stats.max_abs_score.item<double>() == Approx(expected.max_abs_score).epsilon(1e-10));
        CHECK(mixer->traits().has_weights == c.explicit_weights);
        if (c.explicit_weights) {
          REQUIRE(out.weights.sizes() == torch::IntArrayRef({2, 2, 7, 7}));
          CHECK(torch::allclose(out.weights, expected.weights, 1e-9, 1e-12));
        } else {
          CHECK(!out.weights.defined());
        }
      }
    }
  }
}

TEST_CASE("the forms differ from each other on the same input", "[forms]") {
  // Guards the reference test against forms that silently share one implementation.
  auto x = torch::randn({1, 6, 16}, torch::kFloat64);
  std::vector<torch::Tensor> outputs;
  for (const auto& c : form_cases()) {
    torch::manual_seed(3);
    TokenMixerPtr mixer = make_mixer(c.yaml, 16, 2);
    randomise(*mixer, 0.3);
    MixerInput in;
    in.x = x;
    in.qk = x;
    outputs.push_back(mixer->forward(in).y);
  }
  CHECK(torch::allclose(outputs[0], outputs[1], 0, 0));  // name: softmax == attention(softmax)
  for (size_t a = 1; a < outputs.size(); ++a) {
    for (size_t b = a + 1; b < outputs.size(); ++b) {
      INFO(form_cases()[a].yaml << " vs " << form_cases()[b].yaml);
      CHECK(!torch::allclose(outputs[a], outputs[b], 1e-6, 1e-8));
    }
  }
}

TEST_CASE("the mlp mixer is a per-token SwiGLU with out_proj", "[forms][mlp]") {
  torch::manual_seed(4);
  TokenMixerPtr mixer = make_mixer("name: mlp", 12, 2);  // hidden = 16
  randomise(*mixer, 0.3);
  auto params = mixer->named_parameters();
  auto gate_up = params["gate_up_proj.weight"];  // [2 * 16, 12]
  auto out_proj = params["out_proj.weight"];     // [12, 16]
  REQUIRE(gate_up.size(0) == 32);
  auto x = torch::randn({2, 5, 12}, torch::kFloat64);
  MixerInput in;
  in.x = x;
  in.qk = x;
  auto y = mixer->forward(in).y;
  auto Y = y.accessor<double, 3>();
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t t = 0; t < 5; ++t) {
      const Vec gate = apply(gate_up, 0, 16, row(x, b, t)), up = apply(gate_up, 16, 16, row(x, b, t));
      Vec hidden(16);
      for (int64_t i = 0; i < 16; ++i) hidden[i] = silu(gate[i]) * up[i];
      const Vec expected = apply(out_proj, 0, 12, hidden);
      for (int64_t o = 0; o < 12; ++o) CHECK(Y[b][t][o] == Approx(expected[o]).margin(1e-12));
    }
  }
  CHECK(!mixer->traits().mixes_tokens);
}

TEST_CASE("the uniform mixer averages the values of every visible token", "[forms][uniform]") {
  torch::manual_seed(5);
  TokenMixerPtr mixer = make_mixer("name: uniform", 8, 2);
  randomise(*mixer, 0.3);
  auto params = mixer->named_parameters();
  auto x = torch::randn({2, 6, 8}, torch::kFloat64);
  MixerInput in;
  in.x = x;
  in.qk = x;
  auto y = mixer->forward(in).y;
  auto Y = y.accessor<double, 3>();
  for (int64_t b = 0; b < 2; ++b) {
    Vec sum(8, 0.0);
    for (int64_t t = 0; t < 6; ++t) {
      const Vec v = apply(params["v_proj.weight"], 0, 8, row(x, b, t));
      for (int64_t c = 0; c < 8; ++c) sum[c] += v[c];
      Vec mean(8);
      for (int64_t c = 0; c < 8; ++c) mean[c] = sum[c] / static_cast<double>(t + 1);
      const Vec expected = apply(params["out_proj.weight"], 0, 8, mean);
      for (int64_t o = 0; o < 8; ++o) CHECK(Y[b][t][o] == Approx(expected[o]).margin(1e-12));
    }
  }
  // sequence-independent: the same values give the same output whatever qk says
  in.qk = torch::randn({2, 6, 8}, torch::kFloat64);
  CHECK(torch::allclose(mixer->forward(in).y, y, 0, 0));
}

TEST_CASE("the mlp variant matches attention's parameter count", "[forms][mlp]") {
  auto count = [](const TokenMixerPtr& m) {
    int64_t n = 0;
    for (const auto& p : m->parameters()) n += p.numel();
    return n;
  };
  for (int64_t C : {48, 96, 384, 768}) {  // 3 divides C: exact
    INFO("d_model " << C);
    CHECK(count(make_mixer("name: mlp", C, 4)) == 4 * C * C);
    CHECK(count(make_mixer("name: softmax", C, 4)) == 4 * C * C);
  }
  // otherwise hidden = round(4C/3) misses 4C² by |3C·hidden - 4C²| <= C: C = 32 → hidden 43, 4128 vs 4096
  CHECK(MLPMixerImpl::matched_hidden(32) == 43);
  CHECK(count(make_mixer("name: mlp", 32, 4)) == 4128);
  CHECK(count(make_mixer("name: softmax", 32, 4)) == 4096);
  for (int64_t C : {32, 64, 128, 256}) {
    CHECK(std::abs(count(make_mixer("name: mlp", C, 4)) - 4 * C * C) <= C);
  }
  CHECK(count(make_mixer("{name: mlp, hidden: 10}", 32, 4)) == 3 * 32 * 10);
}
