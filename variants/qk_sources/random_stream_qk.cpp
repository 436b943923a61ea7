#include "qk_sources/random_stream_qk.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

namespace attnlab {

const std::string& RandomStreamQK::name() const {
  static const std::string n = "random_stream";
  return n;
}

std::vector<std::pair<std::string, torch::Tensor>> RandomStreamQK::make_buffers(const QKStreamShape& shape) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed_);
  stream_ = torch::randn({1, shape.ctx, shape.d_model}, generator, torch::kFloat32) * std_;  // [1, ctx, C]
  return {{"random_stream", stream_}};
}

torch::Tensor RandomStreamQK::stream_input(int64_t length, torch::nn::EmbeddingImpl&) const {
  return stream_.narrow(1, 0, length);  // [1, length, C]
}

std::string RandomStreamQK::stream_identity() const {
  return fmt::format("random_stream(stream_std={}, stream_seed={})", std_, seed_);
}

QKSourcePtr RandomStreamQK::create(cfg::MapReader& r) {
  const double std = r.number("stream_std", 0.02);
  if (!(std > 0)) cfg::fail_at(r.node().find("stream_std")->source(), r.key_path("stream_std") + ": must be > 0");
  const int64_t seed = r.integer("stream_seed", 0);
  if (seed < 0) cfg::fail_at(r.node().find("stream_seed")->source(), r.key_path("stream_seed") + ": must be >= 0");
  return std::make_shared<RandomStreamQK>(std, static_cast<uint64_t>(seed));
}

}  // namespace attnlab
