#pragma once
/// How many tokens per head each layer's KV cache may hold: a token count (`cache.budget`) or a
/// compression ratio (`cache.ratio`), optionally spread unevenly over the layers
/// (`cache.layer_budget`).

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

namespace cfg {
class MapReader;
}

/// How the nominal budget is spread over the layers (the mean over layers stays the nominal one).
enum class LayerAllocation {
  Uniform,    ///< every layer gets the nominal budget
  Pyramid,    ///< linear from 1.5x (first layer) down to 0.5x (last layer), as PyramidKV
  Ascending,  ///< linear from 0.5x up to 1.5x: later layers get more (the Scissorhands paper's variant)
};

struct KvBudget {
  int64_t tokens = 0;   ///< `budget`: tokens per head; 0 = derive from `ratio`
  double ratio = 1.0;   ///< `ratio` >= 1: budget = ceil(context_len / ratio), where context_len is
                        ///< the length of the sequences evaluated (or prompt + new tokens when generating)
  LayerAllocation allocation = LayerAllocation::Uniform;  ///< `layer_budget`: uniform | pyramid | ascending

  /// Reads `budget`, `ratio` and `layer_budget` (UserError for ratio < 1 or budget < 0).
  static KvBudget read(cfg::MapReader& options);

  /// The nominal budget (tokens per head) for sequences of `context_len` tokens.
  int64_t nominal(int64_t context_len) const;
  /// The compression ratio it amounts to: `ratio` when the budget comes from it, else
  /// context_len / budget.
  double effective_ratio(int64_t context_len) const;
  /// Budget of every layer: the nominal one spread by `allocation` (rounded; each at least 1).
  std::vector<int64_t> per_layer(int64_t n_layers, int64_t context_len) const;
};

/// The names of `layer_budget` in the order of LayerAllocation.
const std::vector<std::string>& layer_allocation_names();

}  // namespace attnlab
