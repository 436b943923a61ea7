#include "pruning/sparsity.h"

namespace attnlab {

namespace {

/// Causal (strictly lower-triangular) part of log_keep [..., T, T], flattened.
torch::Tensor causal_entries(const torch::Tensor& log_keep) {
  const int64_t T = log_keep.size(-1);
  TORCH_CHECK(log_keep.dim() >= 2 && log_keep.size(-2) == T, "sparsity needs log_keep [..., T, T], got ",
              log_keep.sizes());
  auto context = torch::ones({T, T}, log_keep.options().dtype(torch::kBool)).tril(-1);  // [T, T] j < k
  return log_keep.masked_select(context);  // [N · T(T-1)/2]
}

}  // namespace

torch::Tensor sparsity_loss(const torch::Tensor& log_keep, double lambda) {
  auto entries = causal_entries(log_keep);
  if (entries.numel() == 0) return log_keep.sum() * 0.0;
  return lambda * entries.exp().mean();
}

SparsityTensors sparsity_tensors(const torch::Tensor& log_keep, double log_threshold) {
  torch::NoGradGuard no_grad;
  auto entries = causal_entries(log_keep).to(torch::kFloat64);
  if (entries.numel() == 0) return {};
  return {(entries <= log_threshold).to(torch::kFloat64).mean(), entries.exp().mean()};
}

LayerSparsity sparsity_stats(const torch::Tensor& log_keep, double log_threshold) {
  LayerSparsity stats;
  SparsityTensors t = sparsity_tensors(log_keep, log_threshold);  // checks the shape
  if (!t.dropped_fraction.defined()) return stats;
  const int64_t T = log_keep.size(-1);
  stats.causal_entries = log_keep.numel() / (T * T) * (T * (T - 1) / 2);
  stats.dropped_fraction = t.dropped_fraction.item<double>();
  stats.mean_keep = t.mean_keep.item<double>();
  return stats;
}

std::vector<LayerSparsity> sparsity_stats(const std::vector<torch::Tensor>& per_layer_log_keep,
                                          double log_threshold) {
  std::vector<LayerSparsity> stats;
  stats.reserve(per_layer_log_keep.size());
  for (const auto& log_keep : per_layer_log_keep) stats.push_back(sparsity_stats(log_keep, log_threshold));
  return stats;
}

}  // namespace attnlab
