#pragma once
/// The `form` axis of attention: how queries, keys and values become a causal mix of values.
/// One subclass per form in mixers/forms/; AttentionImpl (mixers/attention.h) supplies the
/// projections, RoPE, the QK source and the KV cache or recurrent state around it.

#include <torch/types.h>

#include <functional>
#include <memory>
#include <vector>

#include "config/map_reader.h"
#include "core/registry.h"

namespace attnlab {

/// What a form needs around it and how it decodes.
struct FormTraits {
  bool rope = true;           ///< dot-product form: RoPE on q and k
  bool kv_cache = true;       ///< explicit weights over any key set: decodes over a LayerCache of keys/values
  bool recurrent = false;     ///< decodes with a fixed-size state through step()
  bool standard = false;      ///< the standard softmax form
};

struct FormOutput {
  torch::Tensor y;              ///< [B, H, T, Dh]
  torch::Tensor weights;        ///< [B, H, T, S] mixing weights when asked, else undefined
  torch::Tensor max_abs_score;  ///< [] largest |pre-normalisation score| over visible entries when asked
};

class AttentionForm {
 public:
  virtual ~AttentionForm() = default;
  virtual FormTraits traits() const = 0;

  /// The projected queries before RoPE, [B, T, C] or [B, H, T, Dh]; must act entry by entry.
  /// Default: `q` itself (AttentionImpl then rotates q and k in one pass).
  virtual torch::Tensor transform_queries(const torch::Tensor& q) const { return q; }

  /// Pre-normalisation scores of T queries against S keys, q: [B, H, T, Dh], k: [B, H, S, Dh] → [B, H, T, S].
  /// Default: q·k / sqrt(Dh).
  virtual torch::Tensor scores(const torch::Tensor& q, const torch::Tensor& k) const;

  /// Mixing weights [B, H, T, S] from scores; `future` ([T, S] or [B, H, T, S]) is true where a key
  /// must not be seen (its weight is exactly 0). Undefined `future`: every key is visible (one new
  /// query over a KV cache); every form must accept it (hide_future() does).
  virtual torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const = 0;

  /// A fused kernel for y = weigh(scores(q, k), future) v when neither weights nor statistics are
  /// asked for: returns y [B, H, T, Dh], or an undefined tensor when the form, device or LibTorch
  /// version has none (the default). Must equal the unfused path up to floating-point rounding.
  virtual torch::Tensor fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const torch::Tensor& future) const;
  /// fused() with an additive score bias (AttentionImpl::score_bias) broadcastable to [B, H, T, S]:
  /// y = weigh(scores(q, k) + bias, future) v, gradients reaching the bias too. Default: undefined.
  virtual torch::Tensor fused_biased(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& future, const torch::Tensor& bias) const;
  /// Parallel form: y = weigh(scores(q, k), future) v, v: [B, H, S, Dh]; through fused() when it
  /// offers a kernel and neither weights nor statistics are needed.
  FormOutput mix(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& future,
                 bool need_weights, bool need_stats) const;

  /// Recurrent form (traits().recurrent): consumes T new tokens of one sequence (causal among
  /// themselves) and updates `state`, which is empty at the start of the sequence. Equals mix() over
  /// the whole sequence. Default: std::logic_error.
  virtual FormOutput step(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                          std::vector<torch::Tensor>& state, bool need_stats) const;
};

using AttentionFormPtr = std::shared_ptr<const AttentionForm>;
/// Builds a form, reading its own options (e.g. `normalize`) from the mixer map.
using FormFactory = std::function<AttentionFormPtr(cfg::MapReader& options)>;

/// The process-wide form registry (filled by register_builtin_mixers()).
Registry<FormFactory>& attention_form_registry();

/// Boolean mask [T, S] that is true where key j is in the future of query i, for T queries whose
/// first one sits at key index S - T (the usual causal mask when S == T).
torch::Tensor causal_future_mask(int64_t T, int64_t S, const torch::Device& device);

/// x with the future entries set to `value`; x itself when `future` is undefined (nothing hidden).
torch::Tensor hide_future(const torch::Tensor& x, const torch::Tensor& future, double value);
/// softmax over visible keys (shared by the softmax and non-approximate forms). [.., T, S].
torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& future);

/// w / (Σ_j w + eps) along the last axis (future entries of w already zero). [.., T, S].
torch::Tensor normalise_rows(const torch::Tensor& w, double eps);

/// Reads `normalize` (one of `choices`, default `fallback`) and `eps` (> 0, default 1e-6) of the
/// normalised forms. Returns {normalize, eps}.
std::pair<std::string, double> read_normalisation(cfg::MapReader& r, const std::string& fallback,
                                                  const std::vector<std::string>& choices);

}  // namespace attnlab
