#include "train/nonfinite.h"

#include <fmt/format.h>

namespace attnlab {

namespace {

bool finite(const torch::Tensor& t) { return torch::isfinite(t).all().item<bool>(); }

std::string mixer_name(TransformerLM& model, int64_t layer) {
  const cfg::Node& spec = model->plan().layers()[layer].mixer;
  const cfg::Node* name = spec.is_map() ? spec.find("name") : &spec;
  return name && name->is_scalar() ? name->text() : "?";
}

NonfiniteSite parameter_site(const std::string& what, const std::string& name) {
  NonfiniteSite site;
  site.layer = layer_of_parameter(name);
  site.where = fmt::format("{} {}{}", what, name,
                           site.layer == NonfiniteSite::kNoLayer ? "" : fmt::format(" (layer {})", site.layer));
  return site;
}

}  // namespace

int64_t layer_of_parameter(const std::string& name) {
  const std::string prefix = "blocks.";
  if (name.compare(0, prefix.size(), prefix) != 0) return NonfiniteSite::kNoLayer;
  const size_t end = name.find('.', prefix.size());
  const std::string digits = name.substr(prefix.size(), end - prefix.size());
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return NonfiniteSite::kNoLayer;
  return std::stoll(digits);
}

NonfiniteSite locate_nonfinite_parameter(TransformerLM& model) {
  torch::NoGradGuard no_grad;
  for (const auto& item : model->named_parameters()) {
    if (!finite(item.value())) return parameter_site("the parameter", item.key());
  }
  return {};
}

NonfiniteSite locate_nonfinite_gradient(TransformerLM& model) {
  // Backward runs from the loss down, so the deepest bad gradient is the one nearest the loss.
  const auto parameters = model->named_parameters();
  int64_t bad = 0;
  std::string first;
  for (auto it = parameters.end(); it != parameters.begin();) {
    --it;
    const auto& grad = it->value().grad();
    if (!grad.defined() || finite(grad)) continue;
    if (bad++ == 0) first = it->key();
  }
  if (bad == 0) return {};
  NonfiniteSite site = parameter_site("the gradient of", first);
  site.where += fmt::format(" ({} of {} parameter gradients are non-finite)", bad, parameters.size());
  return site;
}

NonfiniteSite locate_nonfinite_forward(TransformerLM& model, const torch::Tensor& tokens) {
  if (NonfiniteSite site = locate_nonfinite_parameter(model); !site.where.empty()) return site;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> hidden;  // L + 1 of [B, T, C]
  ForwardOptions fwd;
  fwd.hidden = &hidden;
  const LMOutput out = model->forward(tokens, fwd);
  NonfiniteSite site;
  for (size_t i = 0; i < hidden.size(); ++i) {
    if (finite(hidden[i])) continue;
    if (i == 0) {
      site.where = "the token embedding";
    } else {
      site.layer = static_cast<int64_t>(i) - 1;
      site.where = fmt::format("the output of layer {} ({})", site.layer, mixer_name(model, site.layer));
    }
    return site;
  }
  if (!finite(out.logits)) site.where = "the logits";
  return site;
}

}  // namespace attnlab
