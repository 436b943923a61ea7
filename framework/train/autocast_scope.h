#pragma once
/// Mixed precision for the training forward pass (`train.precision: fp32 | bf16`).
///
/// bf16: while an AutocastScope lives, LibTorch's autocast runs matrix products and other
/// autocast-eligible ops of the scope's device (CUDA or CPU) in bfloat16 and keeps reductions,
/// softmax and the loss in float32; parameters, gradients and optimizer state stay float32
/// (no loss scaling: bf16 has float32's exponent range). fp32: the scope does nothing.

#include <torch/types.h>

#include <string>

namespace attnlab {

/// Arithmetic precision of the training forward pass.
enum class Precision { fp32, bf16 };

/// Parses `fp32` or `bf16` (the config layer validates the choice first).
Precision precision_from_name(const std::string& name);

/// Enables autocast to bfloat16 on `device`'s type for its lifetime, restoring the previous
/// autocast state (enabled flag and dtype) and clearing autocast's cast cache when it ends.
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  torch::DeviceType device_type_ = torch::kCPU;
  bool was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat32;
};

}  // namespace attnlab
