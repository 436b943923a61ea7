#pragma once
/// The token-mixer seam: the one interface every attention ablation swaps.

#include <torch/nn/module.h>
#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/registry.h"
#include "model/qk_source.h"

namespace attnlab {

namespace cfg {
class Node;
}
class LayerCache;

/// Input of one mixer call.
struct MixerInput {
  torch::Tensor x;                ///< [B, T, C] normalised layer input (values come from here)
  torch::Tensor qk;               ///< [B|1, T, C] source of queries/keys; == x unless a QK-source variant says otherwise
  int64_t pos0 = 0;               ///< absolute position of x[:, 0]
  LayerCache* cache = nullptr;    ///< set only during incremental decoding
  bool need_weights = false;      ///< eviction policies and analysis need attention weights
  bool need_stats = false;        ///< fill MixerStats (costs a reduction per call)
};

/// Diagnostics of one call; undefined tensors when not computed.
struct MixerStats {
  torch::Tensor max_abs_score;  ///< [] largest |pre-normalisation score| (the paper's logit scale)
  torch::Tensor aux_loss;       ///< [] extra loss term the trainer adds (e.g. sparsity), or undefined
  /// Any named scalars [] of this call, reported when MixerInput::need_stats: the evaluator averages
  /// each over the evaluation windows and the trainer logs it per layer in /analysis/mixer_stats.
  std::map<std::string, torch::Tensor> scalars;
};

struct MixerOutput {
  torch::Tensor y;        ///< [B, T, C]
  torch::Tensor weights;  ///< [B, H, T, S] attention weights when asked and available, else undefined
  MixerStats stats;
};

/// What a mixer can do; the model, the decoder and the eviction policies ask before they rely on it.
struct MixerTraits {
  bool mixes_tokens = true;      ///< false for the no-mixing (MLP) variant
  bool has_kv_cache = false;     ///< decodes with a LayerCache of keys/values
  bool has_weights = false;      ///< can return attention weights
  bool recurrent_state = false;  ///< decodes with a fixed-size state instead of a cache
  bool is_standard = false;      ///< standard softmax attention (what "skip nonstandard" keeps)
  bool manages_cache = false;    ///< removes tokens from its own KV cache while decoding: no evicting policy may
};

/// Base of every mixer. Subclasses follow the LibTorch module pattern (`XxxImpl` + TORCH_MODULE)
/// and name their residual output projection `out_proj` so the model scales its init.
class TokenMixerImpl : public torch::nn::Module {
 public:
  virtual MixerOutput forward(const MixerInput& in) = 0;
  virtual MixerTraits traits() const = 0;
  /// Where this mixer wants `MixerInput::qk` from; the model builds it (default null: the layer's own input).
  virtual QKSourcePtr qk_source() const { return nullptr; }
};

/// Shapes and position of the layer a mixer is built for.
struct MixerContext {
  const cfg::Node& options;  ///< the layer's `mixer:` config map (read it strictly with MapReader)
  std::string options_path;  ///< key path of `options` for errors: "mixer" or "model.hybrid.mixer"
  int64_t d_model = 0;
  int64_t n_heads = 0;
  int64_t n_layers = 0;
  int64_t layer_index = 0;
  double rope_theta = 10000.0;
};

using TokenMixerPtr = std::shared_ptr<TokenMixerImpl>;
using MixerFactory = std::function<TokenMixerPtr(const MixerContext&)>;

/// The process-wide mixer registry (filled by register_builtin_variants()).
Registry<MixerFactory>& mixer_registry();

}  // namespace attnlab
