#pragma once
/// The `qk_source` axis of a mixer map: where queries and keys come from. The model builds the
/// streams (framework/model/transformer_lm.h); a mixer only declares its choice.

#include "config/map_reader.h"
#include "model/qk_source.h"

namespace attnlab {

/// Reads `qk_source` (current | static_emb | random_stream | fixed_stream, default current) and, for
/// random_stream only, `stream_std` (> 0, default 0.02: the embedding init scale, so the stream starts
/// out like an embedded sequence) and `stream_seed` (>= 0, default 0).
QKSourceSpec read_qk_source(cfg::MapReader& r);

}  // namespace attnlab
