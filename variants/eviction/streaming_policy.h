#pragma once
/// `streaming` (StreamingLLM, Xiao et al. 2023): the first `n_sink` tokens of the sequence (the
/// attention sinks) plus a window of the `budget - n_sink` most recent tokens.

#include <memory>

#include "infer/eviction_policy.h"

namespace attnlab {

class StreamingPolicy : public EvictionPolicy {
 public:
  explicit StreamingPolicy(int64_t n_sink) : n_sink_(n_sink) {}

  int64_t protected_tokens(int64_t /*budget*/) const override { return n_sink_; }

  /// Factory for the policy registry: `n_sink` (default 4).
  static std::shared_ptr<EvictionPolicy> create(cfg::MapReader& options);

 protected:
  /// The position: after the sinks, the most recent tokens score highest.
  torch::Tensor score(const LayerCache& cache, int64_t budget) override;
  /// Positions < n_sink.
  torch::Tensor protected_slots(const LayerCache& cache, int64_t budget) const override;

 private:
  int64_t n_sink_;
};

}  // namespace attnlab
