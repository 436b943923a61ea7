#include "mixers/uniform_mixer.h"

#include "config/map_reader.h"
#include "infer/layer_cache.h"

namespace attnlab {

namespace nn = torch::nn;

UniformMixerImpl::UniformMixerImpl(int64_t d_model)
    : v_proj_(register_module("v_proj", nn::Linear(nn::LinearOptions(d_model, d_model).bias(false)))),
      out_proj_(register_module("out_proj", nn::Linear(nn::LinearOptions(d_model, d_model).bias(false)))) {}

TokenMixerPtr UniformMixerImpl::create(const MixerContext& context) {
  cfg::MapReader r(context.options, context.options_path);
  r.ignore("name");
  r.finish();
  return std::make_shared<UniformMixerImpl>(context.d_model);
}

MixerTraits UniformMixerImpl::traits() const {
  MixerTraits t;
  t.recurrent_state = true;
  return t;
}

MixerOutput UniformMixerImpl::forward(const MixerInput& in) {
  const int64_t T = in.x.size(1);
  auto v = v_proj_(in.x);                                         // [B, T, C]
  auto sums = v.cumsum(1);                                        // [B, T, C]
  auto counts = torch::arange(1, T + 1, v.options()).view({1, T, 1});  // [1, T, 1]
  if (in.cache) {
    auto& state = in.cache->state;
    if (state.empty()) state = {torch::zeros_like(v.select(1, 0)), torch::zeros({1}, v.options())};
    sums = sums + state[0].unsqueeze(1);
    counts = counts + state[1];
    state = {sums.select(1, T - 1), state[1] + T};
  }
  MixerOutput out;
  out.y = out_proj_(sums / counts);  // [B, T, C]
  return out;
}

}  // namespace attnlab
