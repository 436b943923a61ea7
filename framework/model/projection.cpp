#include "model/projection.h"

namespace attnlab {

torch::Tensor project(const torch::Tensor& x, const torch::Tensor& weight) {
  const int64_t in = x.size(-1);
  if (x.numel() != in) return torch::nn::functional::linear(x, weight);
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = weight.size(0);
  return torch::mv(weight, x.reshape({in})).view(shape);  // [out] → [..., out]
}

}  // namespace attnlab
