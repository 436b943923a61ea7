#pragma once
/// Fused CPU kernels for the elementwise chains of a training step (issue 19 item 2): RMSNorm and
/// the SwiGLU activation, each one pass over its rows forward and one backward, where the ATen
/// path runs several elementwise passes (and saves their intermediates) in each direction.

#include <torch/types.h>

namespace attnlab {

/// y = x * rsqrt(mean(x², -1) + eps) * weight over the last dimension: x [..., C], weight [C], both
/// float32 on the CPU, any strides (non-contiguous ones are copied). A custom autograd function:
/// gradients flow to x and weight (no double backward); the backward is one pass per row giving dx,
/// with dweight summed in fixed chunks of rows reduced in order, so the same bits for any thread
/// count. Parallel over rows through at::parallel_for: LibTorch's intra-op thread count, where this
/// file is compiled with OpenMP (without -fopenmp, ATen's inline parallel_for runs serially).
torch::Tensor rms_norm_cpu(const torch::Tensor& x, const torch::Tensor& weight, double eps);

/// silu(gate) * up for gate_up [..., 2H] = [gate | up] along the last dimension (SwiGLU's fused
/// gate/up projection), float32 on the CPU, any strides. Returns [..., H]. A custom autograd
/// function (no double backward): one pass per row each way, d(gate_up) [..., 2H].
torch::Tensor swiglu_cpu(const torch::Tensor& gate_up);

/// Whether the modules should take these kernels for `x`: float32 on the CPU and ATTNLAB_CPU_FUSED
/// not "0" (read once per process; 0 keeps the ATen path).
bool fused_cpu_ops_apply(const torch::Tensor& x);

/// The instruction set the kernels run with on this CPU: "avx2+fma" or "baseline".
const char* fused_cpu_ops_isa();

/// For tests and benchmarks: run the portable baseline kernels even on an AVX2+FMA CPU (true), or
/// go back to choosing by the CPU (false). Process-wide.
void fused_cpu_ops_force_baseline(bool force);

}  // namespace attnlab
