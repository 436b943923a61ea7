#pragma once
/// `random`: keeps `budget` tokens per head chosen uniformly at random (each head on its own): the
/// floor any scored policy should beat. Seeded: the same `seed` drops the same tokens.

#include <ATen/core/Generator.h>

#include <memory>

#include "infer/eviction_policy.h"

namespace attnlab {

class RandomPolicy : public EvictionPolicy {
 public:
  explicit RandomPolicy(uint64_t seed);

  /// Restarts the random stream from the seed.
  void reset() override;

  /// Factory for the policy registry: `seed` (default 0).
  static std::shared_ptr<EvictionPolicy> create(cfg::MapReader& options);

 protected:
  /// Uniform [0, 1) draws from the seeded CPU generator.
  torch::Tensor score(const LayerCache& cache, int64_t budget) override;

 private:
  uint64_t seed_;
  at::Generator generator_;
};

}  // namespace attnlab
