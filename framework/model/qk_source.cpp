#include "model/qk_source.h"

#include <stdexcept>

namespace attnlab {

torch::Tensor QKSource::from_input(const torch::Tensor&) const {
  throw std::logic_error("qk_source " + name() + " is a stream: it has no per-input Q/K");
}

std::vector<std::pair<std::string, torch::Tensor>> QKSource::make_buffers(const QKStreamShape&) { return {}; }

torch::Tensor QKSource::stream_input(int64_t, torch::nn::EmbeddingImpl&) const {
  throw std::logic_error("qk_source " + name() + " is per-input: it has no stream");
}

void QKSource::set_train_prefix(const torch::Tensor&) {
  throw std::logic_error("qk_source " + name() + " does not read the training data");
}

Registry<QKSourceFactory>& qk_source_registry() {
  static Registry<QKSourceFactory> registry("qk_source");
  return registry;
}

std::vector<std::string> qk_source_names() {
  std::vector<std::string> names = {kCurrentQKSource};
  for (const auto& name : qk_source_registry().names()) names.push_back(name);
  return names;
}

QKSourcePtr read_qk_source(cfg::MapReader& r) {
  const std::string name = r.choice("qk_source", kCurrentQKSource, qk_source_names());
  if (name == kCurrentQKSource) return nullptr;
  return qk_source_registry().get(name)(r);
}

}  // namespace attnlab
