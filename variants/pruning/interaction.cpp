#include "pruning/interaction.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace attnlab {

namespace nn = torch::nn;

namespace {

nn::Linear projection(int64_t d_model, int64_t rank) {
  if (d_model <= 0 || rank <= 0) {
    throw std::invalid_argument("ContextInteraction needs d_model > 0 and rank > 0, got " +
                                std::to_string(d_model) + " and " + std::to_string(rank));
  }
  return nn::Linear(nn::LinearOptions(d_model, rank).bias(false));
}

}  // namespace

ContextInteractionImpl::ContextInteractionImpl(const ContextInteractionOptions& options)
    : options_(options),
      q_int_(register_module("q_int", projection(options.d_model, options.rank))),
      k_int_(register_module("k_int", projection(options.d_model, options.rank))),
      beta_(register_parameter("beta", torch::tensor(options.beta_init))) {}

torch::Tensor ContextInteractionImpl::scores(const torch::Tensor& x) { return scores_against(x, k_int_(x)); }

torch::Tensor ContextInteractionImpl::scores_against(const torch::Tensor& x_query, const torch::Tensor& k_int) {
  auto q = q_int_(x_query);  // [B, T, r]
  const double scale = 1.0 / std::sqrt(static_cast<double>(options_.rank));
  return torch::matmul(q, k_int.transpose(-2, -1)) * scale + beta_;  // [B, T, S]
}

torch::Tensor ContextInteractionImpl::forward(const torch::Tensor& x, double alpha) {
  auto s = scores(x);  // [B, T, T]
  const int64_t T = s.size(-1);
  // Only earlier keys vote (j < n); cumulative_log_keep ignores the rest. At +inf they are past
  // the support (p = 1, no gradient), so the α-sigmoid's per-entry solver skips half the entries.
  auto self_or_future = torch::ones({T, T}, s.options().dtype(torch::kBool)).triu();  // [T, T]
  auto log_p = log_alpha_sigmoid(s.masked_fill(self_or_future, std::numeric_limits<double>::infinity()), alpha,
                                 options_.log_floor);  // [B, T, T]
  return cumulative_log_keep(log_p, options_.log_floor);  // [B, T, T]
}

torch::Tensor cumulative_log_keep(const torch::Tensor& log_p, double log_floor) {
  const int64_t T = log_p.size(-2);
  TORCH_CHECK(log_p.size(-1) == T, "cumulative_log_keep needs square [..., T, T], got ", log_p.sizes());
  auto self_or_future = torch::ones({T, T}, log_p.options().dtype(torch::kBool)).triu();  // [T, T] j >= n
  auto votes = log_p.masked_fill(self_or_future, 0.0);                                   // [..., T, T]
  return votes.cumsum(-2).clamp_min(log_floor);  // sum over queries n <= k
}

torch::Tensor keep_mask(const torch::Tensor& log_keep, double log_threshold) {
  return log_keep > log_threshold;
}

}  // namespace attnlab
