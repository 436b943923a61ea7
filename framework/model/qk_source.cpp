#include "model/qk_source.h"

#include <stdexcept>

namespace attnlab {

const std::vector<std::string>& qk_source_names() {
  static const std::vector<std::string> names = {"current", "static_emb", "random_stream", "fixed_stream"};
  return names;
}

const std::string& qk_source_name(QKSource source) { return qk_source_names().at(static_cast<size_t>(source)); }

QKSource parse_qk_source(const std::string& name) {
  const auto& names = qk_source_names();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<QKSource>(i);
  }
  throw std::invalid_argument("unknown qk_source '" + name + "'");
}

}  // namespace attnlab
