#include "eviction/policy_options.h"

#include "config/map_reader.h"

namespace attnlab {

int64_t read_count(cfg::MapReader& options, const std::string& key, int64_t fallback, int64_t minimum) {
  const int64_t value = options.integer(key, fallback);
  if (value < minimum) {
    const cfg::Node* node = options.node().find(key);
    cfg::fail_at(node ? node->source() : options.node().source(),
                 options.key_path(key) + ": must be >= " + std::to_string(minimum) + ", got " + std::to_string(value));
  }
  return value;
}

}  // namespace attnlab
