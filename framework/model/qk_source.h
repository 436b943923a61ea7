#pragma once
/// Where a mixer's queries and keys come from (the "current QK" principle of Deconstructing Attention).
/// The model, not the mixer, builds the `qk` tensor of MixerInput from this choice.

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

enum class QKSource {
  current,        ///< this layer's normalised input (standard attention)
  static_emb,     ///< the token embeddings tok_emb(x), the same tensor for every layer (StaticEmbQK)
  random_stream,  ///< a fixed seeded N(0, std²) sequence run through the model's own blocks (RndEmbQK)
  fixed_stream,   ///< the first ctx training tokens, embedded and run through the blocks (FixedSeqQK)
};

/// A layer's QK source with the options of the random stream.
struct QKSourceSpec {
  QKSource kind = QKSource::current;
  double stream_std = 0.02;    ///< random_stream: std of the N(0, std²) embeddings (the embedding init scale)
  uint64_t stream_seed = 0;    ///< random_stream: seed of its own generator (independent of the run seed)

  /// Streams are sequence-independent: the same Q/K for every input.
  bool is_stream() const { return kind == QKSource::random_stream || kind == QKSource::fixed_stream; }
};

/// "current", "static_emb", "random_stream", "fixed_stream".
const std::string& qk_source_name(QKSource source);

/// Every name, in declaration order.
const std::vector<std::string>& qk_source_names();

/// The source named `name`; std::invalid_argument for unknown names (config readers use MapReader::choice first).
QKSource parse_qk_source(const std::string& name);

}  // namespace attnlab
