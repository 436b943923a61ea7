#pragma once
/// An external Q/K source: `qk_source: sinusoid`, queries and keys from position alone. The stream
/// is the sinusoidal position table (Vaswani et al. 2017) times `scale`, run through the model's
/// blocks like RndEmbQK's random stream, so a layer's attention pattern cannot depend on the tokens.
/// Option `scale` (> 0, default 0.02: the embedding init scale).

#include "model/qk_source.h"

namespace example {

class SinusoidQK : public attnlab::QKSource {
 public:
  explicit SinusoidQK(double scale) : scale_(scale) {}

  const std::string& name() const override;
  bool is_stream() const override { return true; }
  /// No buffer: the table is a function of the shape. Remembers d_model.
  std::vector<std::pair<std::string, torch::Tensor>> make_buffers(const attnlab::QKStreamShape& shape) override;
  torch::Tensor stream_input(int64_t length, torch::nn::EmbeddingImpl& embedding) const override;
  std::string stream_identity() const override;

  static attnlab::QKSourcePtr create(attnlab::cfg::MapReader& r);

 private:
  double scale_;
  int64_t d_model_ = 0;
};

/// Adds `sinusoid` to attnlab's Q/K source registry.
void register_sinusoid_qk();

}  // namespace example
