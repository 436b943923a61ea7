#include "qk_sources/qk_source_options.h"

namespace attnlab {

QKSourceSpec read_qk_source(cfg::MapReader& r) {
  QKSourceSpec spec;
  spec.kind = parse_qk_source(r.choice("qk_source", "current", qk_source_names()));
  if (spec.kind != QKSource::random_stream) {
    for (const char* key : {"stream_std", "stream_seed"}) {
      if (const cfg::Node* given = r.node().find(key)) {
        cfg::fail_at(given->source(), r.key_path(key) + ": only used with qk_source: random_stream");
      }
    }
    return spec;
  }
  spec.stream_std = r.number("stream_std", spec.stream_std);
  if (!(spec.stream_std > 0)) cfg::fail_at(r.node().find("stream_std")->source(), r.key_path("stream_std") + ": must be > 0");
  const int64_t seed = r.integer("stream_seed", 0);
  if (seed < 0) cfg::fail_at(r.node().find("stream_seed")->source(), r.key_path("stream_seed") + ": must be >= 0");
  spec.stream_seed = static_cast<uint64_t>(seed);
  return spec;
}

}  // namespace attnlab
