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

/// flash_attention_cpu(q, k, v, offset) where it applies: float32 on the CPU, and `future` the
/// plain causal mask over S == T keys (training) or undefined for one query over a cache.
torch::Tensor cpu_flash(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& future) {
  if (!cpu_flash_enabled() || !q.is_cpu()) return {};
  for (const auto* t : {&q, &k, &v}) {
    if (t->scalar_type() != torch::kFloat) return {};
  }
  const int64_t T = q.size(2), S = k.size(2);
  if (!future.defined()) return T == 1 ? flash_attention_cpu(q, k, v, S - 1) : torch::Tensor();
  // the kernel knows only the causal mask: a [T, T] mask is AttentionImpl's, but check (T² bools)
  if (future.dim() == 2 && T == S && torch::equal(future, causal_future_mask(T, S, q.device()))) {
    return flash_attention_cpu(q, k, v, 0);
  }
  return {};
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
  return cpu_flash(q, k, v, future);
}

AttentionFormPtr SoftmaxForm::create(cfg::MapReader&) { return std::make_shared<SoftmaxForm>(); }

}  // namespace attnlab::forms
