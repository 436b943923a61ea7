#pragma once
#include "mixers/attention_form.h"

namespace attnlab::forms {

/// Linear attention with a positive kernel: w_ij = κ(s_ij) / Σ_{j'≤i} κ(s_ij'), where a feature map φ
/// gives κ(s(q, k)) = φ(q)·φ(k). The parallel form uses κ directly; the recurrent form keeps
/// S = Σ_j φ(k_j) v_jᵀ [B, H, F, Dh] and z = Σ_j φ(k_j) [B, H, F] (state = {S, z}).
class KernelForm : public AttentionForm {
 public:
  FormTraits traits() const override;
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override;
  /// Chunk step: the new tokens' own causal part through κ, everything before through the state.
  /// Stats are not computed here (past keys are gone); max_abs_score stays undefined.
  FormOutput step(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                  std::vector<torch::Tensor>& state, bool need_stats) const override;

 protected:
  /// κ: positive unnormalised weights from scores, elementwise.
  virtual torch::Tensor kernel(const torch::Tensor& scores) const = 0;
  /// φ: [B, H, T, Dh] → [B, H, T, F] with φ(q)·φ(k) = kernel(scores(q, k)).
  virtual torch::Tensor features(const torch::Tensor& x) const = 0;
};

}  // namespace attnlab::forms
