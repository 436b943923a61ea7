// Pruning maps: which token each dcp layer drops and when, read back against a naive scan of the
// layer's keep matrix; the all-dropped and nothing-dropped limits; the token classes of the summary.
#include <torch/torch.h>

#include "pruning/interaction.h"
#include "pruning/pruned_attention.h"
#include "pruning/pruning_map.h"
#include "pruning/pruning_map_study.h"
#include "support/catch.h"
#include "support/tiny_model.h"

using namespace attnlab;

namespace {

/// A 2-layer tiny model: dcp in layer 1, softmax in layer 0.
TransformerLM hybrid_dcp_model(uint64_t seed) {
  cfg::Node dcp = testing::mixer_spec("dcp");
  dcp["rank"] = cfg::Node::scalar("4");
  cfg::Node hybrid = cfg::Node::map();
  hybrid["mixer"] = testing::mixer_spec("softmax");
  hybrid["layers"] = cfg::Node::scalar("even");
  return testing::tiny_model(dcp, seed, 2, hybrid);
}

PrunedAttentionImpl& dcp_layer(TransformerLM& model, int64_t l) {
  return dynamic_cast<PrunedAttentionImpl&>(model->block(l).mixer());
}

/// Interaction scores s = β exactly (zero projections).
void constant_scores(PrunedAttentionImpl& layer, double beta) {
  torch::NoGradGuard no_grad;
  layer.interaction()->q_int()->weight.zero_();
  layer.interaction()->k_int()->weight.zero_();
  layer.interaction()->beta().fill_(beta);
}

}  // namespace

TEST_CASE("a pruning map reads the first dropping query of every token, as a naive scan does", "[pruning][map]") {
  TransformerLM model = hybrid_dcp_model(3);
  {
    torch::NoGradGuard no_grad;  // scores spread around 0: some tokens dropped early, some late, some never
    dcp_layer(model, 1).interaction()->beta().fill_(0.0);
    dcp_layer(model, 1).interaction()->q_int()->weight.normal_(0.0, 2.0);
    dcp_layer(model, 1).interaction()->k_int()->weight.normal_(0.0, 2.0);
  }
  auto tokens = torch::randint(0, 50, {1, 24}, torch::kInt64);
  const PruningMap map = pruning_map(model, tokens);
  REQUIRE(map.layers == std::vector<int64_t>{1});
  REQUIRE(map.n_tokens == 24);
  auto log_keep = dcp_layer(model, 1).last_log_keep()[0];  // [T, T]
  int64_t dropped_pairs = 0, never = 0, late = 0;
  for (int64_t j = 0; j < 24; ++j) {
    int64_t expected = -1;
    for (int64_t k = j + 1; k < 24 && expected < 0; ++k) {
      if (log_keep[k][j].item<double>() <= kLogZero) expected = k;
    }
    CHECK(map.dropped_at[0][j] == expected);
    if (expected >= 0) {
      dropped_pairs += 24 - expected;
      late += expected > j + 1;
      for (int64_t k = expected; k < 24; ++k) CHECK(log_keep[k][j].item<double>() <= kLogZero);  // stays dropped
    }
    never += expected < 0;
  }
  CHECK(never > 1);  // the case exercises every branch
  CHECK(dropped_pairs > 0);
  CHECK(late > 0);
  CHECK(map.dropped_fraction(0) == Approx(dropped_pairs / (24.0 * 23.0 / 2.0)));
  CHECK(std::isnan(map.dropped_share(0, 23)));
}

TEST_CASE("pruning map limits: scores below -1/(alpha-1) drop every token at once, above keep all", "[pruning][map]") {
  TransformerLM model = hybrid_dcp_model(4);
  auto tokens = torch::randint(0, 50, {1, 10}, torch::kInt64);
  constant_scores(dcp_layer(model, 1), -1.0);  // α_end = 8: α-sigmoid(s) = 0 for s <= -1/7
  PruningMap map = pruning_map(model, tokens);
  for (int64_t j = 0; j < 9; ++j) {
    CHECK(map.dropped_at[0][j] == j + 1);
    CHECK(map.dropped_share(0, j) == 1.0);
  }
  CHECK(map.dropped_at[0][9] == -1);
  CHECK(map.dropped_fraction(0) == 1.0);

  constant_scores(dcp_layer(model, 1), 1.0);  // α-sigmoid(s) = 1 for s >= 1/7
  map = pruning_map(model, tokens);
  for (int64_t j = 0; j < 10; ++j) CHECK(map.dropped_at[0][j] == -1);
  CHECK(map.dropped_fraction(0) == 0.0);
  CHECK(map.dropped_share(0, 0) == 0.0);
}

TEST_CASE("a model without dcp layers has no pruning map", "[pruning][map]") {
  TransformerLM model = testing::tiny_model("softmax");
  CHECK_THROWS_AS(pruning_map(model, torch::zeros({1, 4}, torch::kInt64)), std::invalid_argument);
}

TEST_CASE("token classes of the pruning summary", "[pruning][map]") {
  CHECK(token_class(",") == "punctuation");
  CHECK(token_class("\n") == "punctuation");
  CHECK(token_class(" .") == "punctuation");
  CHECK(token_class(" the") == "function word");
  CHECK(token_class("The") == "function word");
  CHECK(token_class(" Lord") == "other");
  CHECK(token_class("ing") == "other");
  CHECK(token_class(" 1790") == "other");
}
