#include "pruning/pruning_map.h"

#include <limits>
#include <stdexcept>

#include "pruning/interaction.h"
#include "pruning/pruned_attention.h"

namespace attnlab {

double PruningMap::dropped_share(size_t row, int64_t j) const {
  const int64_t later = n_tokens - 1 - j;
  if (later <= 0) return std::numeric_limits<double>::quiet_NaN();
  const int64_t at = dropped_at[row][j];
  return at < 0 ? 0.0 : static_cast<double>(n_tokens - at) / static_cast<double>(later);
}

double PruningMap::dropped_fraction(size_t row) const {
  int64_t dropped = 0;
  for (int64_t j = 0; j < n_tokens; ++j) dropped += dropped_at[row][j] < 0 ? 0 : n_tokens - dropped_at[row][j];
  const int64_t pairs = n_tokens * (n_tokens - 1) / 2;
  return pairs ? static_cast<double>(dropped) / static_cast<double>(pairs) : 0.0;
}

PruningMap pruning_map(TransformerLM& model, const torch::Tensor& tokens) {
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(0) == 1, "pruning_map needs tokens [1, T], got ", tokens.sizes());
  const bool was_training = model->is_training();
  model->eval();
  {
    torch::NoGradGuard no_grad;
    model->forward(tokens);
  }
  if (was_training) model->train();

  PruningMap map;
  map.n_tokens = tokens.size(1);
  for (int64_t l = 0; l < model->n_layers(); ++l) {
    auto* pruned = dynamic_cast<PrunedAttentionImpl*>(&model->block(l).mixer());
    if (!pruned) continue;
    auto kept = keep_mask(pruned->last_log_keep()[0]).to(torch::kCPU);  // [T, T] (query k, key j)
    // Dropped stays dropped: the first dropped query of each column is where the column turns false.
    auto dropped = (~kept).to(torch::kInt64);                               // [T, T]
    auto any = dropped.sum(0);                                              // [T]
    auto first = dropped.argmax(0);                                         // [T] first maximal row
    std::vector<int64_t> at(map.n_tokens, -1);
    for (int64_t j = 0; j < map.n_tokens; ++j) {
      if (any[j].item<int64_t>() > 0) at[j] = first[j].item<int64_t>();
    }
    map.layers.push_back(l);
    map.dropped_at.push_back(std::move(at));
  }
  if (map.layers.empty()) throw std::invalid_argument("pruning_map: the model has no pruning (dcp) layer");
  return map;
}

}  // namespace attnlab
