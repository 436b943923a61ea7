// The whole variant: the mixer, its options and its registration. main.cpp builds an `attnlab`
// executable that knows it; test_decay_mixer.cpp checks it numerically.
#include "decay_mixer.h"

#include <cmath>

#include "config/map_reader.h"
#include "infer/layer_cache.h"

namespace example {

namespace nn = torch::nn;
using attnlab::MixerInput;
using attnlab::MixerOutput;

DecayMixerImpl::DecayMixerImpl(int64_t d_model, int64_t n_heads, double init_decay)
    : n_heads_(n_heads),
      v_proj_(register_module("v_proj", nn::Linear(nn::LinearOptions(d_model, d_model).bias(false)))),
      out_proj_(register_module("out_proj", nn::Linear(nn::LinearOptions(d_model, d_model).bias(false)))),
      decay_logit_(register_parameter("decay_logit",
                                      torch::full({n_heads}, std::log(init_decay / (1.0 - init_decay))))) {}

attnlab::TokenMixerPtr DecayMixerImpl::create(const attnlab::MixerContext& context) {
  attnlab::cfg::MapReader r(context.options, context.options_path);
  r.ignore("name");
  const double init_decay = r.number("init_decay", 0.9);
  r.finish();
  if (!(init_decay > 0.0 && init_decay < 1.0)) {
    throw attnlab::UserError(context.options_path + ".init_decay: must be in (0, 1), got " + std::to_string(init_decay));
  }
  return std::make_shared<DecayMixerImpl>(context.d_model, context.n_heads, init_decay);
}

attnlab::MixerTraits DecayMixerImpl::traits() const {
  attnlab::MixerTraits t;
  t.recurrent_state = true;
  return t;
}

torch::Tensor DecayMixerImpl::decay_weights(int64_t T) const {
  auto pos = torch::arange(T, decay_logit_.options());               // [T]
  auto lag = pos.view({T, 1}) - pos.view({1, T});                     // [T, T] i - j
  auto log_gamma = torch::log_sigmoid(decay_logit_).view({-1, 1, 1});  // [H, 1, 1]
  return torch::exp(log_gamma * lag.clamp_min(0)) * (lag >= 0);       // [H, T, T]
}

MixerOutput DecayMixerImpl::forward(const MixerInput& in) {
  const int64_t B = in.x.size(0), T = in.x.size(1), C = in.x.size(2), H = n_heads_;
  auto v = v_proj_(in.x).view({B, T, H, C / H}).transpose(1, 2);  // [B, H, T, Dh]
  auto w = decay_weights(T);                                        // [H, T, T]
  auto sums = torch::matmul(w, v);                                  // [B, H, T, Dh]
  auto counts = w.sum(-1, true);                                    // [H, T, 1]
  if (in.cache) {
    // carry the state of earlier positions: γ^{i+1} times it reaches position i of this call
    auto& state = in.cache->state;
    if (state.empty()) state = {torch::zeros({B, H, C / H}, v.options()), torch::zeros({H}, v.options())};
    auto pos = torch::arange(T, v.options());
    auto carry = torch::exp(torch::log_sigmoid(decay_logit_).view({H, 1}) * (pos + 1));  // [H, T]
    sums = sums + carry.view({1, H, T, 1}) * state[0].unsqueeze(2);
    counts = counts + (carry * state[1].view({H, 1})).unsqueeze(-1);
    state = {sums.select(2, T - 1), counts.select(1, T - 1).squeeze(-1)};
  }
  MixerOutput out;
  out.y = out_proj_((sums / counts).transpose(1, 2).reshape({B, T, C}));  // [B, T, C]
  return out;
}

void register_decay_mixer() {
  attnlab::mixer_registry().add("decay", "learned exponential decay per head, no queries or keys (examples/external_variant)",
                                DecayMixerImpl::create);
}

}  // namespace example
