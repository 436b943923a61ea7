#pragma once
/// Locating a NaN / Inf in a training step, for the message of a run that fails on one
/// (train.on_nonfinite) and for the /nonfinite rows of a run that skips such steps.

#include <cstdint>
#include <string>

#include "model/transformer_lm.h"

namespace attnlab {

/// Where a non-finite value first appeared.
struct NonfiniteSite {
  /// Sentinel of `layer` for sites outside the blocks (embedding, logits, loss).
  static constexpr int64_t kNoLayer = -1;

  int64_t layer = kNoLayer;  ///< 0-based block, or kNoLayer
  std::string where;         ///< "the output of layer 1 (taylor)", "the gradient of blocks.0.mixer.qkv_proj.weight (layer 0)"
};

/// Runs `tokens` [B, T] through the model (no grad) and returns the first place of the forward
/// pass that holds a NaN/Inf: a parameter (in model order), the embedding, a layer's output, or the
/// logits; `where` is empty when the whole forward pass is finite.
NonfiniteSite locate_nonfinite_forward(TransformerLM& model, const torch::Tensor& tokens);

/// The non-finite gradient nearest the loss (the last parameter in model order whose gradient holds
/// a NaN/Inf), with how many are; `where` empty when every gradient is finite.
NonfiniteSite locate_nonfinite_gradient(TransformerLM& model);

/// The first parameter (in model order) that holds a NaN/Inf; `where` empty when none.
NonfiniteSite locate_nonfinite_parameter(TransformerLM& model);

/// The block index in a parameter name ("blocks.3.mixer.qkv_proj.weight" → 3), else kNoLayer.
int64_t layer_of_parameter(const std::string& name);

}  // namespace attnlab
