#pragma once
/// Gradient helpers for the training tests: copies of every parameter's gradient, their largest
/// relative difference, and putting a model's buffers back between passes.

#include <algorithm>
#include <vector>

#include "model/transformer_lm.h"

namespace attnlab::testing {

/// Every parameter's gradient (zeros where none was computed).
inline std::vector<torch::Tensor> gradients(TransformerLM& model) {
  std::vector<torch::Tensor> out;
  for (auto& p : model->parameters()) out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  return out;
}

/// Largest |a - b| over all tensors, relative to the largest |b|.
inline double max_relative_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
    scale = std::max(scale, b[i].abs().max().item<double>());
  }
  return worst / scale;
}

/// Puts the model's buffers back (dcp's schedule counts training forwards), so each pass starts
/// from the same state.
inline void restore_buffers(TransformerLM& model, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  auto buffers = model->buffers();
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
}

}  // namespace attnlab::testing
