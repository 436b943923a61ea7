#pragma once
/// Where a mixer's queries and keys come from (the "current QK" principle of Deconstructing Attention).
/// A mixer holds a QKSource (null: `current`, the layer's own normalised input); the model builds
/// each layer's `MixerInput::qk` from it. Sources register by name in qk_source_registry(), so a
/// `qk_source: <name>` key of a mixer map picks one (built-ins: variants/qk_sources/).
///
/// Two kinds:
/// - per-input: Q/K from the embedded input itself (`from_input`), position by position, so
///   cached decoding, which feeds one token at a time, sees the same Q/K as a full forward;
/// - streams: one fixed sequence, independent of the input (`stream_input`), which the model runs
///   through its own blocks; layer i reads the stream's hidden state entering layer i. Layers whose
///   source has the same name share one stream.

#include <torch/nn/modules/embedding.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/map_reader.h"
#include "core/registry.h"

namespace attnlab {

/// The model's shape, for sources that keep a fixed sequence.
struct QKStreamShape {
  int64_t ctx = 0;         ///< the stream covers positions [0, ctx)
  int64_t d_model = 0;
  int64_t vocab_size = 0;
};

class QKSource {
 public:
  virtual ~QKSource() = default;

  /// The registered name (`qk_source: <name>`); layers with the same stream name share one stream.
  virtual const std::string& name() const = 0;
  virtual bool is_stream() const = 0;

  /// Per-input sources: Q/K source for the embedded input [B, T, C] -> [B, T, C]. Must act on each
  /// position alone (decoding passes one position at a time).
  virtual torch::Tensor from_input(const torch::Tensor& embedded) const;

  /// Streams: the buffers the stream keeps (name -> tensor), made once for the model's shape. The
  /// model registers each as `qk_<name>`, so checkpoints carry them and `to(device)` moves them.
  virtual std::vector<std::pair<std::string, torch::Tensor>> make_buffers(const QKStreamShape& shape);
  /// Streams: the sequence entering block 0 [1, length, C], length <= ctx. `embedding` is the model's.
  virtual torch::Tensor stream_input(int64_t length, torch::nn::EmbeddingImpl& embedding) const;
  /// Streams: a description of the options, equal for two sources that give the same stream (the
  /// model checks that the layers sharing a stream agree).
  virtual std::string stream_identity() const { return name(); }
  /// True when the stream is built from the training data (set_train_prefix before the first forward).
  virtual bool wants_train_prefix() const { return false; }
  /// tokens: [ctx] int64 ids, the first ctx tokens of the training split (the runner checks them).
  virtual void set_train_prefix(const torch::Tensor& tokens);
};
using QKSourcePtr = std::shared_ptr<QKSource>;

/// A source factory reads its own options from the mixer map (`qk_source` itself already read).
using QKSourceFactory = std::function<QKSourcePtr(cfg::MapReader&)>;

/// The default: no source, a layer's Q/K come from its own input (standard attention).
inline const std::string kCurrentQKSource = "current";

/// The process-wide Q/K source registry (filled by register_builtin_variants()).
Registry<QKSourceFactory>& qk_source_registry();

/// "current" (the default, no source) and every registered name.
std::vector<std::string> qk_source_names();

/// Reads `qk_source` (default current) from a mixer map and builds it with its options; null for current.
QKSourcePtr read_qk_source(cfg::MapReader& r);

}  // namespace attnlab
