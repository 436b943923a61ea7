#include "qk_sources/static_emb_qk.h"

namespace attnlab {

const std::string& StaticEmbQK::name() const {
  static const std::string n = "static_emb";
  return n;
}

QKSourcePtr StaticEmbQK::create(cfg::MapReader&) { return std::make_shared<StaticEmbQK>(); }

}  // namespace attnlab
