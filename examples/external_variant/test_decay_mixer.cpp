// Numerical checks of the decay mixer, against the installed attnlab (no test framework needed):
// the weights and the forward pass against a naive loop, and incremental decoding through the
// recurrent state against the parallel forward. Exit 0 when all pass.
#include <cmath>
#include <iostream>
#include <memory>

#include "config/node.h"
#include "decay_mixer.h"
#include "infer/layer_cache.h"
#include "registry.h"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  failures += ok ? 0 : 1;
}

example::DecayMixer make_mixer(int64_t d_model, int64_t n_heads) {
  attnlab::cfg::Node options = attnlab::cfg::Node::map();
  options["name"] = attnlab::cfg::Node::scalar("decay");
  options["init_decay"] = attnlab::cfg::Node::scalar("0.8");
  attnlab::MixerContext context{options, "mixer", d_model, n_heads};
  auto mixer = std::dynamic_pointer_cast<example::DecayMixerImpl>(attnlab::mixer_registry().get("decay")(context));
  torch::NoGradGuard no_grad;
  for (auto& p : mixer->parameters()) p.uniform_(-0.5, 0.5);  // distinct decays per head
  return example::DecayMixer(mixer);
}

}  // namespace

int main() {
  attnlab::register_builtin_variants();
  example::register_decay_mixer();
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  const int64_t B = 2, T = 7, C = 8, H = 2, Dh = C / H;
  auto mixer = make_mixer(C, H);
  auto x = torch::randn({B, T, C}, torch::kFloat64);
  mixer->to(torch::kFloat64);
  auto params = mixer->named_parameters();
  auto gamma = torch::sigmoid(params["decay_logit"]);  // [H]

  // weights: γ_h^(i-j) below the diagonal, 0 above
  auto w = mixer->decay_weights(T);
  double worst = 0;
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < T; ++i)
      for (int64_t j = 0; j < T; ++j) {
        const double want = j <= i ? std::pow(gamma[h].item<double>(), double(i - j)) : 0.0;
        worst = std::max(worst, std::abs(w[h][i][j].item<double>() - want));
      }
  check(worst < 1e-12, "decay weights equal γ^(i-j) (max error " + std::to_string(worst) + ")");

  // forward against a naive loop over positions
  attnlab::MixerInput in;
  in.x = x;
  auto y = mixer->forward(in).y;  // [B, T, C]
  auto v = torch::matmul(x, params["v_proj.weight"].t()).view({B, T, H, Dh});
  auto mixed = torch::zeros({B, T, H, Dh}, torch::kFloat64);
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < T; ++i) {
      auto sum = torch::zeros({B, Dh}, torch::kFloat64);
      double norm = 0;
      for (int64_t j = 0; j <= i; ++j) {
        const double weight = std::pow(gamma[h].item<double>(), double(i - j));
        sum += weight * v.select(1, j).select(1, h);
        norm += weight;
      }
      mixed.select(1, i).select(1, h).copy_(sum / norm);
    }
  auto reference = torch::matmul(mixed.view({B, T, C}), params["out_proj.weight"].t());
  check(torch::allclose(y, reference, 1e-10, 1e-12), "forward equals the naive loop");

  // incremental decoding through LayerCache::state, one token and then uneven chunks
  for (const auto& chunks : {std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1}, std::vector<int64_t>{3, 1, 3}}) {
    attnlab::LayerCache cache(T);
    std::vector<torch::Tensor> pieces;
    int64_t pos = 0;
    for (int64_t n : chunks) {
      attnlab::MixerInput step;
      step.x = x.narrow(1, pos, n);
      step.pos0 = pos;
      step.cache = &cache;
      pieces.push_back(mixer->forward(step).y);
      pos += n;
    }
    check(torch::allclose(torch::cat(pieces, 1), y, 1e-10, 1e-12),
          "decoding in chunks of " + std::to_string(chunks.front()) + ".. equals the parallel forward");
  }
  std::cout << failures << " failed\n";
  return failures ? 1 : 0;
}
