#include <fstream>

#include "core/error.h"
#include "data/token_data.h"
#include "results/run_reader.h"
#include "results/run_store.h"
#include "run/run_log.h"
#include "support/catch.h"
#include "support/synthetic_data.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "train/checkpoint.h"
#include "train/lr_schedule.h"
#include "train/trainer.h"

using namespace attnlab;

namespace {

TrainOptions short_training(int64_t steps) {
  TrainOptions o;
  o.steps = steps;
  o.batch_size = 4;
  o.seq_len = 16;
  o.warmup_steps = 2;
  o.log_every = 1;
  o.eval_every = 100;
  return o;
}

EvalOptions small_eval() {
  EvalOptions e;
  e.max_windows = 8;
  e.batch_size = 8;
  return e;
}

std::vector<double> train_losses(const std::filesystem::path& run_h5) {
  return results::RunReader(run_h5.string()).doubles("/train", "loss");
}

}  // namespace

TEST_CASE("checkpoint round trip gives identical logits", "[checkpoint]") {
  testing::TempDir dir;
  TransformerLM a = testing::tiny_model("softmax", 1);
  TransformerLM b = testing::tiny_model("softmax", 2);
  auto tokens = torch::randint(0, 50, {2, 10}, torch::kInt64);
  save_checkpoint(dir.file("a.pt"), a, nullptr, {7, 700, "model: {}\n"});
  CHECK(!torch::equal(a->forward(tokens).logits, b->forward(tokens).logits));
  CheckpointMeta meta = load_checkpoint(dir.file("a.pt"), b, nullptr);
  CHECK(torch::equal(a->forward(tokens).logits, b->forward(tokens).logits));
  CHECK(meta.step == 7);
  CHECK(meta.tokens == 700);
  CHECK(meta.config_yaml == "model: {}\n");
  CHECK(!std::filesystem::exists(dir.file("a.pt.tmp")));
}

TEST_CASE("bad checkpoints are one-line user errors", "[checkpoint]") {
  testing::TempDir dir;
  TransformerLM model = testing::tiny_model("softmax", 1);
  CHECK_THROWS_WITH(load_checkpoint(dir.file("missing.pt"), model, nullptr),
                    Catch::Contains("checkpoint not found"));
  std::ofstream(dir / "junk.pt") << "not a checkpoint";
  CHECK_THROWS_WITH(load_checkpoint(dir.file("junk.pt"), model, nullptr),
                    Catch::Contains("cannot be read (truncated or not an attnlab checkpoint)"));
  TransformerLM three_layers = testing::tiny_model("softmax", 1, 3);
  save_checkpoint(dir.file("three_layers.pt"), three_layers, nullptr, {});
  CHECK_THROWS_WITH(load_checkpoint(dir.file("three_layers.pt"), model, nullptr),
                    Catch::Contains("'blocks.2.mixer.qkv_proj.weight'") && Catch::Contains("another architecture"));
  CHECK_NOTHROW(load_checkpoint(dir.file("three_layers.pt"), three_layers, nullptr));
  // a truncated copy of a good checkpoint
  save_checkpoint(dir.file("good.pt"), model, nullptr, {});
  const auto size = std::filesystem::file_size(dir / "good.pt");
  std::filesystem::copy_file(dir / "good.pt", dir / "cut.pt");
  std::filesystem::resize_file(dir / "cut.pt", size / 2);
  CHECK_THROWS_AS(load_checkpoint(dir.file("cut.pt"), model, nullptr), UserError);
}

TEST_CASE("resume continues with the identical loss", "[checkpoint][resume]") {
  torch::set_num_threads(1);
  testing::TempDir dir;
  const data::TokenData data = testing::synthetic_data();
  RunLog log;
  TrainOptions train = short_training(10);
  train.checkpoint_every = 5;
  train.keep_checkpoints = true;

  std::filesystem::create_directories(dir.path() / "full");
  {
    auto store = results::RunStore::create((dir.path() / "full" / "run.h5").string(), {});
    Trainer trainer(testing::tiny_model("softmax", 5), data, train, small_eval(), 42, dir.path() / "full", store, log, "");
    trainer.run();
  }
  std::filesystem::create_directories(dir.path() / "resumed");
  {
    auto store = results::RunStore::create((dir.path() / "resumed" / "run.h5").string(), {});
    Trainer trainer(testing::tiny_model("softmax", 99), data, train, small_eval(), 42, dir.path() / "resumed", store, log, "");
    trainer.resume_from((dir.path() / "full" / "checkpoint_0000005.pt").string());
    CHECK(trainer.step() == 5);
    trainer.run();
  }
  const auto full = train_losses(dir.path() / "full" / "run.h5");
  const auto resumed = train_losses(dir.path() / "resumed" / "run.h5");
  REQUIRE(full.size() == 10);
  REQUIRE(resumed.size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(resumed[i] == full[5 + i]);
  CHECK(full.back() < full.front());  // it learns
}

TEST_CASE("LR schedule: linear warm-up then cosine to the floor", "[schedule]") {
  LrSchedule s{1.0, 0.1, 10, 110};
  CHECK(s.at(0) == Approx(0.1));
  CHECK(s.at(9) == Approx(1.0));
  CHECK(s.at(10) == Approx(1.0));
  CHECK(s.at(60) == Approx(0.55));
  CHECK(s.at(110) == Approx(0.1));
  CHECK(s.at(500) == Approx(0.1));
}
