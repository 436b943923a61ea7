#include "sinusoid_qk.h"

#include <cmath>

namespace example {

const std::string& SinusoidQK::name() const {
  static const std::string n = "sinusoid";
  return n;
}

std::vector<std::pair<std::string, torch::Tensor>> SinusoidQK::make_buffers(const attnlab::QKStreamShape& shape) {
  d_model_ = shape.d_model;
  return {};
}

torch::Tensor SinusoidQK::stream_input(int64_t length, torch::nn::EmbeddingImpl& embedding) const {
  const auto options = embedding.weight.options();
  auto position = torch::arange(length, options).unsqueeze(1);                      // [T, 1]
  auto pair = torch::arange(0, d_model_, 2, options);                               // [C/2]: 2i
  auto angle = position * torch::exp(pair * (-std::log(10000.0) / d_model_));       // [T, C/2]
  auto table = torch::stack({angle.sin(), angle.cos()}, 2).flatten(1, 2);           // [T, C]: sin, cos interleaved
  return (table.narrow(1, 0, d_model_) * scale_).unsqueeze(0);                      // [1, T, C]
}

std::string SinusoidQK::stream_identity() const { return "sinusoid(scale=" + std::to_string(scale_) + ")"; }

attnlab::QKSourcePtr SinusoidQK::create(attnlab::cfg::MapReader& r) {
  const double scale = r.number("scale", 0.02);
  if (!(scale > 0)) attnlab::cfg::fail_at(r.node().find("scale")->source(), r.key_path("scale") + ": must be > 0");
  return std::make_shared<SinusoidQK>(scale);
}

void register_sinusoid_qk() {
  attnlab::qk_source_registry().add("sinusoid", "queries and keys from position alone: the sinusoidal table (scale)",
                                    SinusoidQK::create);
}

}  // namespace example
