#pragma once
#include "mixers/attention_form.h"

namespace attnlab::forms {

/// The paper's "Non-approximate": no query–key pairs. With Q = SiLU(H W_Q) (transform_queries()),
/// each token's logit is its own l_j = q_j·k_j / sqrt(Dh) and y_i = Σ_{j≤i} exp(l_j) v_j / Σ_{j≤i} exp(l_j).
/// Parallel: a softmax of l over visible keys (scores[i, j] = l_j, so q and k must be the same tokens;
/// no RoPE: it cancels in q_j·k_j). Recurrent: state = {running max m [B, H], numerator [B, H, Dh],
/// denominator [B, H]}, both sums scaled by exp(-m). No options.
class NonApproxForm : public AttentionForm {
 public:
  FormTraits traits() const override;
  torch::Tensor transform_queries(const torch::Tensor& q) const override;
  torch::Tensor scores(const torch::Tensor& q, const torch::Tensor& k) const override;
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override;
  FormOutput step(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                  std::vector<torch::Tensor>& state, bool need_stats) const override;

  static AttentionFormPtr create(cfg::MapReader& options);

 private:
  /// l_j = q_j·k_j / sqrt(Dh): [B, H, T].
  static torch::Tensor token_logits(const torch::Tensor& q, const torch::Tensor& k);
};

}  // namespace attnlab::forms
