#include <ATen/autocast_mode.h>

#include "results/run_reader.h"
#include "results/run_store.h"
#include "run/run_log.h"
#include "support/catch.h"
#include "support/synthetic_data.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "train/autocast_scope.h"
#include "train/trainer.h"

using namespace attnlab;

namespace {

std::vector<double> losses_with(const std::string& precision, const testing::TempDir& dir) {
  const data::TokenData data = testing::synthetic_data();
  RunLog log;
  TrainOptions train;
  train.steps = 30, train.batch_size = 8, train.seq_len = 16, train.warmup_steps = 2, train.log_every = 1;
  train.eval_every = 1000, train.precision = precision;
  EvalOptions eval;
  eval.max_windows = 8, eval.batch_size = 8;
  const auto run_dir = dir.path() / precision;
  std::filesystem::create_directories(run_dir);
  {
    auto store = results::RunStore::create((run_dir / "run.h5").string(), {});
    TransformerLM model = testing::tiny_model("softmax", 3);
    Trainer trainer(model, data, train, eval, 42, run_dir, store, log, "");
    trainer.run();
    for (const auto& p : model->parameters()) CHECK(p.scalar_type() == torch::kFloat32);  // master weights stay fp32
  }
  return results::RunReader((run_dir / "run.h5").string()).doubles("/train", "loss");
}

}  // namespace

TEST_CASE("AutocastScope runs matrix products in bf16 and restores the previous state", "[autocast]") {
  auto a = torch::randn({4, 8}), b = torch::randn({8, 3});
  CHECK(!at::autocast::is_cpu_enabled());
  {
    AutocastScope scope(Precision::bf16, torch::kCPU);
    CHECK(torch::matmul(a, b).scalar_type() == torch::kBFloat16);
  }
  CHECK(!at::autocast::is_cpu_enabled());
  CHECK(torch::matmul(a, b).scalar_type() == torch::kFloat32);
  {
    AutocastScope scope(Precision::fp32, torch::kCPU);
    CHECK(torch::matmul(a, b).scalar_type() == torch::kFloat32);
  }
}

TEST_CASE("bf16 training follows the fp32 loss curve", "[autocast][train]") {
  torch::set_num_threads(1);
  testing::TempDir dir;
  const auto fp32 = losses_with("fp32", dir);
  const auto bf16 = losses_with("bf16", dir);
  REQUIRE(fp32.size() == 30);
  REQUIRE(bf16.size() == 30);
  CHECK(bf16.front() == Approx(fp32.front()).epsilon(0.01));  // same init and batch: rounding only
  CHECK(bf16 != fp32);                                          // the forward really ran in bf16
  CHECK(bf16.back() < bf16.front() - 0.3);                      // it learns (fp32: 3.91 -> 3.39)
  CHECK(bf16.back() == Approx(fp32.back()).epsilon(0.1));
}
