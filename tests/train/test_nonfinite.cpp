#include <cmath>
#include <limits>

#include "results/run_reader.h"
#include "results/run_store.h"
#include "run/run_log.h"
#include "support/catch.h"
#include "support/synthetic_data.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "train/checkpoint.h"
#include "train/nonfinite.h"
#include "train/trainer.h"


static const double kNaN = std::numeric_limits<double>::quiet_NaN();  // /eval accuracy of a text run

using namespace attnlab;

namespace {

/// A parameter of `layer`'s MLP: "gate_up_proj" or "down_proj".
torch::Tensor mlp_weight(TransformerLM& model, int64_t layer, const std::string& name) {
  const std::string key = "blocks." + std::to_string(layer) + ".mlp." + name + ".weight";
  for (auto& item : model->named_parameters()) {
    if (item.key() == key) return item.value();
  }
  FAIL("no parameter " << key);
  return {};
}

torch::Tensor down_proj(TransformerLM& model, int64_t layer) { return mlp_weight(model, layer, "down_proj"); }

/// Makes layer `layer`'s output overflow to Inf with finite weights; returns the original MLP input weight.
torch::Tensor overflow_layer(TransformerLM& model, int64_t layer) {
  torch::NoGradGuard no_grad;
  auto weight = mlp_weight(model, layer, "gate_up_proj");
  auto original = weight.clone();
  weight.fill_(3e38f);  // finite, but x W^T overflows for any normalised x
  return original;
}

TrainOptions training(int64_t steps, const std::string& on_nonfinite) {
  TrainOptions o;
  o.steps = steps;
  o.batch_size = 4;
  o.seq_len = 16;
  o.warmup_steps = 1;
  o.log_every = 1;
  o.eval_every = 100;
  o.checkpoint_every = 2;
  o.on_nonfinite = on_nonfinite == "skip" ? NonfinitePolicy::Skip : NonfinitePolicy::Stop;
  o.max_skipped_steps = 1;
  return o;
}

EvalOptions small_eval() {
  EvalOptions e;
  e.max_windows = 4;
  e.batch_size = 4;
  return e;
}

}  // namespace

TEST_CASE("the forward pass names the first layer whose output is not finite", "[nonfinite]") {
  TransformerLM model = testing::tiny_model("softmax", 3, 3);
  auto tokens = torch::randint(0, 50, {2, 12}, torch::kInt64);
  CHECK(locate_nonfinite_forward(model, tokens).where.empty());
  overflow_layer(model, 1);
  const NonfiniteSite site = locate_nonfinite_forward(model, tokens);
  CHECK(site.layer == 1);
  CHECK(site.where == "the output of layer 1 (softmax)");
  {
    torch::NoGradGuard no_grad;
    down_proj(model, 2)[0][0] = std::numeric_limits<float>::quiet_NaN();  // a NaN weight is named before any activation
  }
  const NonfiniteSite weight = locate_nonfinite_forward(model, tokens);
  CHECK(weight.layer == 2);
  CHECK(weight.where == "the parameter blocks.2.mlp.down_proj.weight (layer 2)");
  CHECK(layer_of_parameter("blocks.12.mixer.qkv_proj.weight") == 12);
  CHECK(layer_of_parameter("tok_emb.weight") == NonfiniteSite::kNoLayer);
}

TEST_CASE("the gradient check names the bad gradient nearest the loss", "[nonfinite]") {
  TransformerLM model = testing::tiny_model("softmax", 3, 3);
  CHECK(locate_nonfinite_gradient(model).where.empty());
  for (auto& p : model->parameters()) p.mutable_grad() = torch::zeros_like(p);
  down_proj(model, 0).mutable_grad()[0][0] = std::numeric_limits<float>::infinity();
  down_proj(model, 1).mutable_grad()[1][1] = std::numeric_limits<float>::quiet_NaN();
  const NonfiniteSite site = locate_nonfinite_gradient(model);
  CHECK(site.layer == 1);
  CHECK_THAT(site.where, Catch::StartsWith("the gradient of blocks.1.mlp.down_proj.weight (layer 1) (2 of"));
}

TEST_CASE("on_nonfinite=stop fails with the step and the layer and keeps the last good checkpoint", "[nonfinite]") {
  torch::set_num_threads(1);
  testing::TempDir dir;
  const data::TokenData data = testing::synthetic_data();
  RunLog log;
  auto store = results::RunStore::create(dir.file("run.h5"), {});
  TransformerLM model = testing::tiny_model("softmax", 5, 3);
  Trainer trainer(model, data, training(10, "stop"), small_eval(), 42, dir.path(), store, log, "");
  trainer.on_step_end([&](int64_t step) {
    if (step == 4) overflow_layer(model, 2);
  });
  const std::string checkpoint = Trainer::checkpoint_path(dir.path()).string();
  CHECK_THROWS_WITH(trainer.run(), "non-finite loss (nan) at step 5, first in the output of layer 2 (softmax); "
                                   "the last good checkpoint is " + checkpoint + " (step 4)");
  TransformerLM restored = testing::tiny_model("softmax", 6, 3);
  CHECK(load_checkpoint(checkpoint, restored, nullptr).step == 4);
  CHECK(locate_nonfinite_parameter(restored).where.empty());
}

TEST_CASE("on_nonfinite=skip drops the update, counts it in run.h5, and fails past max_skipped_steps",
          "[nonfinite]") {
  torch::set_num_threads(1);
  testing::TempDir dir;
  const data::TokenData data = testing::synthetic_data();
  RunLog log;
  {
    auto store = results::RunStore::create(dir.file("run.h5"), {});
    TransformerLM model = testing::tiny_model("softmax", 5, 3);
    Trainer trainer(model, data, training(8, "skip"), small_eval(), 42, dir.path(), store, log, "");
    torch::Tensor original, before_skip;
    trainer.on_step_end([&](int64_t step) {
      torch::NoGradGuard no_grad;
      if (step == 3) {
        original = overflow_layer(model, 1);
        before_skip = model->named_parameters()["blocks.0.mixer.qkv_proj.weight"].clone();
      }
      if (step == 4) {
        // the skipped step left every weight as it was
        CHECK(torch::equal(model->named_parameters()["blocks.0.mixer.qkv_proj.weight"], before_skip));
        mlp_weight(model, 1, "gate_up_proj").copy_(original);
      }
    });
    trainer.run();
    store.mark_completed();
  }
  results::RunReader reader(dir.file("run.h5"));
  CHECK(reader.int_attribute("skipped_steps") == 1);
  CHECK(reader.doubles("/nonfinite", "step") == std::vector<double>{4});
  CHECK(reader.doubles("/nonfinite", "layer") == std::vector<double>{1});
  const auto losses = reader.doubles("/train", "loss");
  REQUIRE(losses.size() == 8);
  CHECK(std::isnan(losses[3]));  // the skipped step's own row (log_every=1)
  CHECK(std::isfinite(losses[4]));

  // Every step after the fault is bad: the second skip exceeds max_skipped_steps = 1.
  testing::TempDir dir2;
  auto store = results::RunStore::create(dir2.file("run.h5"), {});
  TransformerLM model = testing::tiny_model("softmax", 5, 3);
  Trainer trainer(model, data, training(8, "skip"), small_eval(), 42, dir2.path(), store, log, "");
  trainer.on_step_end([&](int64_t step) {
    if (step == 3) overflow_layer(model, 1);
  });
  CHECK_THROWS_WITH(trainer.run(), Catch::StartsWith("2 steps skipped for a non-finite loss or gradient "
                                                     "(train.max_skipped_steps = 1), the last at step 5"));
}

TEST_CASE("a resumed run drops the rows logged after its checkpoint", "[nonfinite][resume]") {
  testing::TempDir dir;
  {
    auto store = results::RunStore::create(dir.file("run.h5"), {});
    for (int64_t step = 1; step <= 6; ++step) {
      store.append("/train", {step, step * 10, 1.0, 0.1, 0.5, 100.0, 1.0});
      if (step % 2 == 0) store.append("/eval", {step, std::string("val"), 1.0, 2.7, 1.4, kNaN, kNaN, kNaN, kNaN, kNaN});
      if (step == 5) store.flush();  // a kill -9 after this point loses step 6's rows, not step 5's
    }
    store.flush();
    CHECK(store.discard_rows_after(3) == 3 + 2);  // train 4..6 and eval 4, 6
    CHECK(store.rows("/train") == 3);
    store.append("/train", {int64_t{4}, int64_t{40}, 2.0, 0.1, 0.5, 100.0, 1.0});
  }
  results::RunReader reader(dir.file("run.h5"));
  CHECK(reader.doubles("/train", "step") == std::vector<double>{1, 2, 3, 4});
  CHECK(reader.doubles("/train", "loss") == std::vector<double>{1, 1, 1, 2});
  CHECK(reader.doubles("/eval", "step") == std::vector<double>{2});
}
