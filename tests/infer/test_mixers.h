#pragma once
/// Test-only mixers, registered once: a cached mixer without attention weights and a mixer that
/// cannot decode incrementally.

#include <torch/torch.h>

#include "infer/layer_cache.h"
#include "model/token_mixer.h"
#include "registry.h"

namespace attnlab::testing {

/// Uniform causal attention over x (y = mean of the inputs seen so far), decoding over a KV cache
/// but returning no weights.
class MeanMixerImpl : public TokenMixerImpl {
 public:
  MixerOutput forward(const MixerInput& in) override {
    const int64_t T = in.x.size(1);
    auto v = in.x.unsqueeze(1);  // [B, 1, T, C]
    torch::Tensor visible;       // [B|1, 1, T, S]
    if (in.cache) {
      in.cache->append(v, v, in.pos0);
      v = in.cache->values();
      visible = cache_future_mask(torch::arange(in.pos0, in.pos0 + T, torch::kInt64), in.cache->positions())
                    .logical_not();
    } else {
      visible = torch::ones({T, T}, torch::kBool).tril().view({1, 1, T, T});
    }
    auto w = visible.to(v.scalar_type());
    MixerOutput out;
    out.y = torch::matmul(w / w.sum(-1, true), v).squeeze(1);  // [B, T, C]
    return out;
  }
  MixerTraits traits() const override {
    MixerTraits t;
    t.has_kv_cache = true;
    return t;
  }
};

/// Mixes tokens (a causal cumulative sum) with neither a KV cache nor a recurrent state.
class CumsumMixerImpl : public TokenMixerImpl {
 public:
  MixerOutput forward(const MixerInput& in) override {
    MixerOutput out;
    out.y = in.x.cumsum(1);
    return out;
  }
  MixerTraits traits() const override { return {}; }
};

/// Registers "test_mean" and "test_cumsum" in the mixer registry (once).
inline void register_test_mixers() {
  register_builtin_variants();
  auto& mixers = mixer_registry();
  if (mixers.contains("test_mean")) return;
  mixers.add("test_mean", "test: uniform causal attention, no weights",
             [](const MixerContext&) -> TokenMixerPtr { return std::make_shared<MeanMixerImpl>(); });
  mixers.add("test_cumsum", "test: mixes tokens, cannot decode",
             [](const MixerContext&) -> TokenMixerPtr { return std::make_shared<CumsumMixerImpl>(); });
}

}  // namespace attnlab::testing
