#pragma once
/// A fused causal softmax attention for training on the CPU (issue 19): a flash-style blockwise
/// forward (online softmax over key tiles) and backward (weights recomputed from the saved row
/// log-sum-exp), so the [T, S] scores and weights never exist in memory.

#include <torch/types.h>

#include <cstdint>

namespace attnlab::forms {

/// y = softmax(q·kᵀ/sqrt(Dh) with key j hidden from query i when j > i + offset) v, never materialising [T, S].
/// q: [B, H, T, Dh], k and v: [B, H, S, Dh], float32 on the CPU, any strides (non-contiguous views are
/// copied); offset ≥ 0, usually S - T (query i sits at key index offset + i; 0 is the training mask).
/// Returns y [B, H, T, Dh]. A custom autograd function: gradients flow to whichever of q, k, v require
/// them (no double backward). Parallel over (batch, head) through at::parallel_for, so LibTorch's
/// intra-op thread count governs it (one thread under attnlab's thread policy).
torch::Tensor flash_attention_cpu(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  int64_t offset);

/// The same with an additive score bias shared by the heads: softmax(q·kᵀ/sqrt(Dh) + bias) over the
/// visible keys. bias: [B|1, 1, T, S] float32, finite (-inf would make an all-hidden tile NaN; use a
/// large negative floor). Its gradient (when it requires one) is dS summed over the heads, which the
/// backward adds one batch per worker, heads in order, so the bits do not depend on the thread count.
torch::Tensor flash_attention_cpu(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  int64_t offset, const torch::Tensor& bias);

/// Whether flash_attention_cpu takes `bias` for queries q [B, H, T, Dh] and keys k [B, H, S, Dh]:
/// float32 on the CPU, [B|1, 1, T, S].
bool flash_attention_cpu_takes_bias(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& bias);

/// The instruction set the tile kernels run with on this CPU: "avx2+fma" or "baseline".
const char* flash_attention_cpu_isa();

/// For tests and benchmarks: run the portable baseline kernels even on an AVX2+FMA CPU (true), or
/// go back to choosing by the CPU (false). Process-wide.
void flash_attention_cpu_force_baseline(bool force);

}  // namespace attnlab::forms
