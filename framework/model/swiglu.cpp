#include "model/swiglu.h"

#include <cmath>

#include "model/fused_cpu_ops.h"
#include "model/projection.h"

namespace attnlab {

namespace nn = torch::nn;

SwiGLUImpl::SwiGLUImpl(int64_t d_model, int64_t hidden)
    : hidden_(hidden),
      gate_up_proj_(register_module("gate_up_proj", nn::Linear(nn::LinearOptions(d_model, 2 * hidden).bias(false)))),
      down_proj_(register_module("down_proj", nn::Linear(nn::LinearOptions(hidden, d_model).bias(false)))) {}

torch::Tensor SwiGLUImpl::forward(const torch::Tensor& x) {
  auto gate_up = project(x, gate_up_proj_->weight);  // [B, T, 2 * hidden]
  if (fused_cpu_ops_apply(gate_up)) return project(swiglu_cpu(gate_up), down_proj_->weight);
  auto halves = gate_up.chunk(2, -1);  // 2 x [B, T, hidden]
  return project(torch::silu(halves[0]) * halves[1], down_proj_->weight);
}

int64_t swiglu_hidden_size(int64_t d_model, double ratio) {
  const auto raw = static_cast<int64_t>(std::ceil(ratio * static_cast<double>(d_model)));
  return (raw + 7) / 8 * 8;
}

}  // namespace attnlab
