#pragma once
/// `qk_source: random_stream` (RndEmbQK): a fixed seeded N(0, std²) sequence run through the model's
/// own blocks. Options: `stream_std` (> 0, default 0.02: the embedding init scale, so the stream
/// starts out like an embedded sequence) and `stream_seed` (>= 0, default 0; its own generator, so
/// the stream does not change with the run seed). Kept in the buffer `qk_random_stream` [1, ctx, C].

#include "model/qk_source.h"

namespace attnlab {

class RandomStreamQK : public QKSource {
 public:
  RandomStreamQK(double std, uint64_t seed) : std_(std), seed_(seed) {}

  const std::string& name() const override;
  bool is_stream() const override { return true; }
  std::vector<std::pair<std::string, torch::Tensor>> make_buffers(const QKStreamShape& shape) override;
  torch::Tensor stream_input(int64_t length, torch::nn::EmbeddingImpl& embedding) const override;
  std::string stream_identity() const override;

  double stream_std() const { return std_; }
  uint64_t stream_seed() const { return seed_; }

  static QKSourcePtr create(cfg::MapReader& r);

 private:
  double std_;
  uint64_t seed_;
  torch::Tensor stream_;  // [1, ctx, C], registered by the model
};

}  // namespace attnlab
