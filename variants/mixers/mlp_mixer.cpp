#include "mixers/mlp_mixer.h"

#include <cmath>

#include "config/map_reader.h"
#include "model/fused_cpu_ops.h"

namespace attnlab {

namespace nn = torch::nn;

MLPMixerImpl::MLPMixerImpl(int64_t d_model, int64_t hidden)
    : hidden_(hidden),
      gate_up_proj_(register_module("gate_up_proj", nn::Linear(nn::LinearOptions(d_model, 2 * hidden).bias(false)))),
      out_proj_(register_module("out_proj", nn::Linear(nn::LinearOptions(hidden, d_model).bias(false)))) {}

int64_t MLPMixerImpl::matched_hidden(int64_t d_model) {
  return std::llround(4.0 * static_cast<double>(d_model) / 3.0);
}

TokenMixerPtr MLPMixerImpl::create(const MixerContext& context) {
  cfg::MapReader r(context.options, context.options_path);
  r.ignore("name");
  int64_t hidden = r.integer("hidden", 0);
  if (hidden < 0) cfg::fail_at(r.node().find("hidden")->source(), r.key_path("hidden") + ": must be >= 0");
  r.finish();
  return std::make_shared<MLPMixerImpl>(context.d_model, hidden > 0 ? hidden : matched_hidden(context.d_model));
}

MixerTraits MLPMixerImpl::traits() const {
  MixerTraits t;
  t.mixes_tokens = false;
  return t;
}

MixerOutput MLPMixerImpl::forward(const MixerInput& in) {
  auto gate_up = gate_up_proj_(in.x);  // [B, T, 2 * hidden]
  MixerOutput out;
  if (fused_cpu_ops_apply(gate_up)) {
    out.y = out_proj_(swiglu_cpu(gate_up));  // [B, T, C]
  } else {
    auto halves = gate_up.chunk(2, -1);  // 2 x [B, T, hidden]
    out.y = out_proj_(torch::silu(halves[0]) * halves[1]);
  }
  return out;
}

}  // namespace attnlab
