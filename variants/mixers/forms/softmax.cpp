#include "mixers/forms/softmax.h"

#include <torch/version.h>

#if TORCH_VERSION_MAJOR >= 2
#include <ATen/ops/scaled_dot_product_attention.h>
#endif

namespace attnlab::forms {

FormTraits SoftmaxForm::traits() const {
  FormTraits t;
  t.standard = true;
  return t;
}

torch::Tensor SoftmaxForm::weigh(const torch::Tensor& scores, const torch::Tensor& future) const {
  return masked_softmax(scores, future);
}

torch::Tensor SoftmaxForm::fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 const torch::Tensor& future) const {
#if TORCH_VERSION_MAJOR >= 2
  if (!q.is_cuda()) return {};
  if (!future.defined()) return at::scaled_dot_product_attention(q, k, v, c10::nullopt, 0.0, false);
  const bool plain_causal = future.dim() == 2 && q.size(2) == k.size(2);  // [T, T] with T == S
  if (plain_causal) return at::scaled_dot_product_attention(q, k, v, c10::nullopt, 0.0, /*is_causal=*/true);
  return at::scaled_dot_product_attention(q, k, v, future.logical_not(), 0.0, false);  // mask: true = attend
#else
  (void)q, (void)k, (void)v, (void)future;
  return {};
#endif
}

AttentionFormPtr SoftmaxForm::create(cfg::MapReader&) { return std::make_shared<SoftmaxForm>(); }

}  // namespace attnlab::forms
