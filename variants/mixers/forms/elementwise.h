#pragma once
#include "mixers/attention_form.h"

namespace attnlab::forms {

/// Softmax replaced by an elementwise function f of the scores, w_ij = f(q_i·k_j / sqrt(Dh)) for visible
/// keys, normalised by the row sum (`normalize: sum`, the default: weights sum to ~1 at every position,
/// as with softmax, so only the shape of the weighting changes) or not at all (`normalize: none`).
class ElementwiseForm : public AttentionForm {
 public:
  ElementwiseForm(bool sum, double eps) : sum_(sum), eps_(eps) {}

  FormTraits traits() const override { return {}; }
  torch::Tensor weigh(const torch::Tensor& scores, const torch::Tensor& future) const override;

 protected:
  /// f applied to every score.
  virtual torch::Tensor activation(const torch::Tensor& scores) const = 0;

  /// Reads normalize (sum | none) and eps for a subclass: `Form(sum, eps)`.
  template <typename Form>
  static AttentionFormPtr create_as(cfg::MapReader& options) {
    auto [normalize, eps] = read_normalisation(options, "sum", {"sum", "none"});
    return std::make_shared<Form>(normalize == "sum", eps);
  }

 private:
  bool sum_;
  double eps_;
};

}  // namespace attnlab::forms
