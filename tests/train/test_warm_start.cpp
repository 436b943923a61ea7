// Warm starts (init_from): a dcp model starts from a dense softmax checkpoint, its new interaction
// weights stay fresh, `trainable: new` trains only them, and the trainer logs dcp's statistics.
#include <torch/torch.h>

#include <fstream>

#include "core/error.h"
#include "pruning/pruned_attention.h"
#include "results/run_reader.h"
#include "results/run_store.h"
#include "run/run_log.h"
#include "support/catch.h"
#include "support/synthetic_data.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "train/checkpoint.h"
#include "train/evaluator.h"
#include "train/trainer.h"
#include "train/warm_start.h"

using namespace attnlab;

namespace {

constexpr const char* kDenseConfig = "data:\n  corpus: moby_dick\n  tokenizer: char\nmodel: {}\n";

/// dcp in every layer of the tiny model, with β = `beta`.
TransformerLM dcp_model(uint64_t seed, double beta) {
  cfg::Node spec = testing::mixer_spec("dcp");
  spec["rank"] = cfg::Node::scalar("4");
  spec["beta_init"] = cfg::Node::scalar(std::to_string(beta));
  return testing::tiny_model(spec, seed);
}

std::map<std::string, torch::Tensor> snapshot(TransformerLM& model) {
  std::map<std::string, torch::Tensor> copy;
  for (const auto& item : model->named_parameters()) copy[item.key()] = item.value().detach().clone();
  return copy;
}

bool is_interaction(const std::string& name) { return name.find(".interaction.") != std::string::npos; }

}  // namespace

TEST_CASE("warm start: dense weights by name, interaction fresh, and with beta large the dcp model is the dense one",
          "[warm_start]") {
  testing::TempDir dir;
  TransformerLM dense = testing::tiny_model("softmax", 1);
  save_checkpoint(dir.file("dense.pt"), dense, nullptr, {100, 1000, kDenseConfig});
  TransformerLM pruned = dcp_model(2, 100.0);  // β = 100: every α-sigmoid is 1, nothing pruned
  const auto before = snapshot(pruned);

  const WarmStart warm = warm_start(pruned, dir.file("dense.pt"), data::DataOptions{});
  CHECK(warm.checkpoint == dir.file("dense.pt"));
  CHECK(warm.unused.empty());
  REQUIRE(warm.fresh.size() == 6);  // 2 layers x (q_int, k_int, beta)
  for (const auto& name : warm.fresh) CHECK(is_interaction(name));
  auto dense_parameters = dense->named_parameters();
  for (const auto& item : pruned->named_parameters()) {
    if (is_interaction(item.key())) {
      CHECK(torch::equal(item.value(), before.at(item.key())));
    } else {
      CHECK(torch::equal(item.value(), dense_parameters[item.key()]));
    }
  }
  dense->eval(), pruned->eval();
  auto tokens = torch::randint(0, 50, {2, 20}, torch::kInt64);
  torch::NoGradGuard no_grad;
  CHECK(torch::allclose(pruned->forward(tokens).logits, dense->forward(tokens).logits, 1e-5, 1e-6));
  CHECK(warm.summary().find("new: 6 (blocks.0.mixer.interaction.") != std::string::npos);
}

TEST_CASE("warm start refuses other data, other shapes and missing checkpoints", "[warm_start]") {
  testing::TempDir dir;
  TransformerLM dense = testing::tiny_model("softmax", 1);
  save_checkpoint(dir.file("dense.pt"), dense, nullptr, {100, 1000, kDenseConfig});
  TransformerLM pruned = dcp_model(2, 2.0);
  data::DataOptions kjv;
  kjv.corpus = "kjv";
  CHECK_THROWS_WITH(warm_start(pruned, dir.file("dense.pt"), kjv),
                    Catch::Contains("data.corpus is 'kjv' here, 'moby_dick' in the checkpoint's run"));
  TransformerLM three_layers = testing::tiny_model("softmax", 1, 3);
  save_checkpoint(dir.file("three.pt"), three_layers, nullptr, {1, 1, kDenseConfig});
  CHECK_NOTHROW(warm_start(pruned, dir.file("three.pt"), data::DataOptions{}));  // a prefix of the layers is fine

  ModelOptions wide;
  wide.n_layers = 2, wide.d_model = 64, wide.n_heads = 4, wide.ctx = 32, wide.vocab_size = 50;
  TransformerLM wide_model(wide, LayerPlan::from_config(testing::mixer_spec("softmax"), cfg::Node(), 2));
  save_checkpoint(dir.file("wide.pt"), wide_model, nullptr, {1, 1, kDenseConfig});
  CHECK_THROWS_WITH(warm_start(pruned, dir.file("wide.pt"), data::DataOptions{}),
                    Catch::Contains("'tok_emb.weight' has shape [50, 64], this model's has [50, 32]"));
  CHECK_THROWS_WITH(warm_start(pruned, dir.file("nowhere"), data::DataOptions{}), Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(warm_start(pruned, dir.path().string(), data::DataOptions{}),
                    Catch::Contains("without checkpoint.pt"));
  const WarmStart everything = warm_start(dense, dir.file("dense.pt"), data::DataOptions{});
  CHECK_THROWS_WITH(freeze_all_but_fresh(dense, everything), Catch::Contains("nothing would train"));
}

TEST_CASE("trainable new: only the interaction trains; the trainer logs the mixer statistics per layer and overall",
          "[warm_start][sparsity]") {
  torch::set_num_threads(1);
  testing::TempDir dir;
  TransformerLM dense = testing::tiny_model("softmax", 1);
  save_checkpoint(dir.file("dense.pt"), dense, nullptr, {100, 1000, kDenseConfig});
  TransformerLM pruned = dcp_model(2, 0.5);
  const WarmStart warm = warm_start(pruned, dir.file("dense.pt"), data::DataOptions{});
  freeze_all_but_fresh(pruned, warm);
  const auto before = snapshot(pruned);

  const data::TokenData data = testing::synthetic_data(3000, 400);
  TrainOptions train;
  train.steps = 4, train.batch_size = 4, train.seq_len = 16, train.warmup_steps = 1, train.eval_every = 2;
  train.lr = 1e-2;
  EvalOptions eval;
  eval.max_windows = 4;
  RunLog log;
  {
    auto store = results::RunStore::create(dir.file("run.h5"), {});
    Trainer trainer(pruned, data, train, eval, 7, dir.path(), store, log, "");
    trainer.run();
    store.flush();
  }
  for (const auto& item : pruned->named_parameters()) {
    INFO(item.key());
    CHECK(torch::equal(item.value(), before.at(item.key())) == !is_interaction(item.key()));
  }
  results::RunReader reader(dir.file("run.h5"));
  REQUIRE(reader.has_table(results::kMixerStatsTable));
  CHECK_FALSE(reader.has_table(results::kLegacySparsityTable));
  const auto steps = reader.ints(results::kMixerStatsTable, "step");
  const auto layers = reader.ints(results::kMixerStatsTable, "layer");
  const auto names = reader.strings(results::kMixerStatsTable, "name");
  const auto values = reader.doubles(results::kMixerStatsTable, "value");
  const int64_t all = results::kAllLayers;
  // per evaluation, per statistic (in name order): layer 0, layer 1, all layers
  CHECK(steps == std::vector<int64_t>{2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4});
  CHECK(layers == std::vector<int64_t>{0, 1, all, 0, 1, all, 0, 1, all, 0, 1, all});
  CHECK(names == std::vector<std::string>{"dropped_fraction", "dropped_fraction", "dropped_fraction", "mean_keep",
                                          "mean_keep", "mean_keep", "dropped_fraction", "dropped_fraction",
                                          "dropped_fraction", "mean_keep", "mean_keep", "mean_keep"});
  for (size_t i = 0; i < values.size(); ++i) CHECK((values[i] >= 0.0 && values[i] <= 1.0));
  CHECK(values[2] == Approx((values[0] + values[1]) / 2));
  CHECK(values[5] == Approx((values[3] + values[4]) / 2));
}

TEST_CASE("evaluation reports the pruned share per layer: all with scores below the hard threshold, none above",
          "[sparsity]") {
  const data::TokenData data = testing::synthetic_data(3000, 400);
  const std::vector<int32_t> val = data.val.slice(0, 65);
  auto x = torch::tensor(std::vector<int64_t>(val.begin(), val.begin() + 64)).view({4, 16});
  auto y = torch::tensor(std::vector<int64_t>(val.begin() + 1, val.begin() + 65)).view({4, 16});
  for (double beta : {-1.0, 1.0}) {
    TransformerLM model = dcp_model(3, beta);
    for (int64_t l = 0; l < 2; ++l) {
      torch::NoGradGuard no_grad;
      auto& layer = dynamic_cast<PrunedAttentionImpl&>(model->block(l).mixer());
      layer.interaction()->q_int()->weight.zero_();  // s = β exactly; α_end = 8 drops s <= -1/7, keeps s >= 1/7
    }
    const EvalResult r = evaluate_windows(model, x, y, 3, 1.0);
    REQUIRE(r.mixer_stats.size() == 2);
    const auto& dropped = r.mixer_stats.at("dropped_fraction");
    const auto& keep = r.mixer_stats.at("mean_keep");
    for (int64_t l = 0; l < 2; ++l) {
      CHECK(dropped[l] == (beta < 0 ? 1.0 : 0.0));
      CHECK(keep[l] == (beta < 0 ? 0.0 : 1.0));
    }
  }
  TransformerLM dense = testing::tiny_model("softmax", 1);
  const EvalResult r = evaluate_windows(dense, x, y, 4, 1.0);
  CHECK(r.mixer_stats.empty());
  // a layer that reports nothing is NaN: softmax in layer 0, dcp in layer 1
  cfg::Node hybrid = cfg::Node::map();
  hybrid["mixer"] = cfg::Node::scalar("softmax");
  hybrid["layers"] = cfg::Node::scalar("even");
  TransformerLM mixed = testing::tiny_model(testing::mixer_spec("dcp"), 1, 2, hybrid);
  const EvalResult m = evaluate_windows(mixed, x, y, 4, 1.0);
  REQUIRE(m.mixer_stats.count("dropped_fraction") == 1);
  const auto& dropped = m.mixer_stats.at("dropped_fraction");
  REQUIRE(dropped.size() == 2);
  CHECK(std::isnan(dropped[0]));
  CHECK((dropped[1] >= 0.0 && dropped[1] <= 1.0));
}
