// No variant may see the future: every registered mixer × every qk source, and every preset in
// configs/mixer/, in a full TransformerLM.
#include <filesystem>
#include <string>
#include <vector>

#include "config/yaml_loader.h"
#include "core/build_info.h"
#include "core/error.h"
#include "model/qk_source.h"
#include "support/catch.h"
#include "support/tiny_model.h"

using namespace attnlab;

namespace {

/// Perturbs every token after t (the first one surely changes) and checks that positions <= t keep
/// their logits within 1e-6 while position t + 1 moves.
void check_causal(TransformerLM& model) {
  model->eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(11);
  auto tokens = torch::randint(0, 50, {2, 12}, torch::kInt64);
  auto logits = model->forward(tokens).logits;  // [2, 12, V]
  for (int64_t t : {0, 4, 10}) {
    INFO("perturbed after position " << t);
    auto changed = tokens.clone();
    changed.narrow(1, t + 1, 12 - t - 1).random_(0, 50);
    changed.select(1, t + 1).copy_((tokens.select(1, t + 1) + torch::randint(1, 50, {2}, torch::kInt64)) % 50);
    auto changed_logits = model->forward(changed).logits;
    CHECK(torch::allclose(logits.narrow(1, 0, t + 1), changed_logits.narrow(1, 0, t + 1), 0.0, 1e-6));
    CHECK((logits.narrow(1, t + 1, 1) - changed_logits.narrow(1, t + 1, 1)).abs().max().item<double>() > 1e-5);
  }
}

cfg::Node with_source(const std::string& name, const std::string& source) {
  cfg::Node spec = testing::mixer_spec(name);
  spec["qk_source"] = cfg::Node::scalar(source);
  return spec;
}

}  // namespace

TEST_CASE("every registered mixer with every qk source is causal", "[causality]") {
  register_builtin_variants();
  for (const auto& name : mixer_registry().names()) {
    int64_t checked = 0;
    for (const auto& source : qk_source_names()) {
      INFO("mixer " << name << ", qk_source " << source);
      TransformerLM model{nullptr};
      try {
        model = testing::tiny_model(with_source(name, source), 0, 3);
      } catch (const UserError& e) {
        // a mixer without queries and keys (mlp, uniform, ...) rejects the option: strict config reading
        CHECK_THAT(e.what(), Catch::Contains("unknown key 'mixer.qk_source'"));
        continue;
      }
      check_causal(model);
      ++checked;
    }
    if (checked == 0) {
      INFO("mixer " << name << " (takes no qk_source)");
      TransformerLM model = testing::tiny_model(name, 0, 3);
      check_causal(model);
    } else {
      CHECK(checked == static_cast<int64_t>(qk_source_names().size()));  // takes one source: takes them all
    }
  }
}

TEST_CASE("every preset in configs/mixer is causal, alone and in a hybrid", "[causality]") {
  const std::filesystem::path dir = std::filesystem::path(ATTNLAB_SOURCE_DIR) / "configs" / "mixer";
  std::vector<std::string> presets;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") presets.push_back(entry.path().string());
  }
  CHECK(presets.size() >= 12);
  cfg::Node hybrid = cfg::Node::map();
  hybrid["mixer"] = cfg::Node::scalar("softmax");
  hybrid["layers"] = cfg::Node::scalar("even");
  for (const auto& path : presets) {
    INFO("preset " << path);
    const cfg::Node spec = cfg::load_yaml_file(path);
    TransformerLM model = testing::tiny_model(spec, 1, 3);
    check_causal(model);
    TransformerLM mixed = testing::tiny_model(spec, 1, 3, hybrid);
    CHECK(mixed->plan().is_hybrid());
    check_causal(mixed);
  }
}
