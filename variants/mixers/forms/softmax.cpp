#include "mixers/forms/softmax.h"

#include <torch/version.h>

#include <cstdlib>
#include <cstring>

#include "mixers/forms/flash_cpu.h"

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

namespace {

/// ATTNLAB_CPU_FLASH=0 turns the CPU kernel off (the unfused path: numbers of runs made before it).
bool cpu_flash_enabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("ATTNLAB_CPU_FLASH");
    return value == nullptr || std::strcmp(value, "0") != 0;
  }();
  return enabled;
}

/// flash_attention_cpu(q, k, v, offset[, bias]) where it applies: float32 on the CPU, and `future`
/// the plain causal mask over S == T keys (training) or undefined for one query over a cache.
torch::Tensor cpu_flash(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& future, const torch::Tensor& bias) {
  if (!cpu_flash_enabled() || !q.is_cpu()) return {};
  for (const auto* t : {&q, &k, &v}) {
    if (t->scalar_type() != torch::kFloat) return {};
  }
  const int64_t T = q.size(2), S = k.size(2);
  int64_t offset = -1;
  if (!future.defined()) {
    if (T == 1) offset = S - 1;
  } else if (future.dim() == 2 && T == S && torch::equal(future, causal_future_mask(T, S, q.device()))) {
    offset = 0;  // the kernel knows only the causal mask: a [T, T] mask is AttentionImpl's, but check (T² bools)
  }
  if (offset < 0) return {};
  if (!bias.defined()) return flash_attention_cpu(q, k, v, offset);
  return flash_attention_cpu_takes_bias(q, k, bias) ? flash_attention_cpu(q, k, v, offset, bias) : torch::Tensor();
}

}  // namespace

torch::Tensor SoftmaxForm::fused(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 const torch::Tensor& future) const {
#if TORCH_VERSION_MAJOR >= 2
  if (q.is_cuda()) {
    if (!future.defined()) return at::scaled_dot_product_attention(q, k, v, c10::nullopt, 0.0, false);
    const bool plain_causal = future.dim() == 2 && q.size(2) == k.size(2);  // [T, T] with T == S
    if (plain_causal) return at::scaled_dot_product_attention(q, k, v, c10::nullopt, 0.0, /*is_causal=*/true);
    return at::scaled_dot_product_attention(q, k, v, future.logical_not(), 0.0, false);  // mask: true = attend
  }
#endif
  return cpu_flash(q, k, v, future, torch::Tensor());
}

torch::Tensor SoftmaxForm::fused_biased(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                        const torch::Tensor& future, const torch::Tensor& bias) const {
  return cpu_flash(q, k, v, future, bias);
}

AttentionFormPtr SoftmaxForm::create(cfg::MapReader&) { return std::make_shared<SoftmaxForm>(); }

}  // namespace attnlab::forms
