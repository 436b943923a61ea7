#include "registry.h"

#include <mutex>

#include "mixers/softmax_attention.h"

namespace attnlab {

void register_builtin_variants() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& mixers = mixer_registry();
    mixers.add("softmax", "causal multi-head softmax attention with RoPE (the standard baseline)",
               SoftmaxAttentionImpl::create);
  });
}

}  // namespace attnlab
