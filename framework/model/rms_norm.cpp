#include "model/rms_norm.h"

#include "model/fused_cpu_ops.h"

namespace attnlab {

RMSNormImpl::RMSNormImpl(int64_t dim, double eps)
    : eps_(eps), weight_(register_parameter("weight", torch::ones({dim}))) {}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  if (fused_cpu_ops_apply(x) && fused_cpu_ops_apply(weight_)) return rms_norm_cpu(x, weight_, eps_);  // one pass
  auto inv_rms = torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps_);  // [..., 1]
  return x * inv_rms * weight_;
}

}  // namespace attnlab
