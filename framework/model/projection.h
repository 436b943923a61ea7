#pragma once
/// x W^T for the model's bias-free linear layers, with a fast path for decoding one token.

#include <torch/types.h>

namespace attnlab {

/// x: [..., in], weight: [out, in] → [..., out]. When x holds a single row (decoding at batch 1),
/// a matrix-vector product: it reads W where it lies, whereas a one-row sgemm makes OpenBLAS pack
/// (copy) all of W on every call. Same values up to float rounding; differentiable either way.
torch::Tensor project(const torch::Tensor& x, const torch::Tensor& weight);

}  // namespace attnlab
