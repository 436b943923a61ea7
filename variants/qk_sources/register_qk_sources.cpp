#include "qk_sources/fixed_stream_qk.h"
#include "qk_sources/random_stream_qk.h"
#include "qk_sources/static_emb_qk.h"
#include "registry.h"

namespace attnlab {

void register_builtin_qk_sources() {
  auto& sources = qk_source_registry();
  sources.add("static_emb", "StaticEmbQK: Q/K from the token embeddings, the same in every layer", StaticEmbQK::create);
  sources.add("random_stream", "RndEmbQK: a seeded N(0, stream_std²) sequence run through the blocks (stream_std, stream_seed)",
              RandomStreamQK::create);
  sources.add("fixed_stream", "FixedSeqQK: the first ctx training tokens run through the blocks", FixedStreamQK::create);
}

}  // namespace attnlab
