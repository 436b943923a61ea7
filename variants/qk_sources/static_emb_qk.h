#pragma once
/// `qk_source: static_emb` (StaticEmbQK): Q/K from the token embeddings tok_emb(x), the same tensor
/// for every layer, so no layer's attention pattern depends on what the layers below computed.

#include "model/qk_source.h"

namespace attnlab {

class StaticEmbQK : public QKSource {
 public:
  const std::string& name() const override;
  bool is_stream() const override { return false; }
  torch::Tensor from_input(const torch::Tensor& embedded) const override { return embedded; }  // [B, T, C]

  /// Factory: no options.
  static QKSourcePtr create(cfg::MapReader& r);
};

}  // namespace attnlab
