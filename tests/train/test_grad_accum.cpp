// Gradient accumulation (train.grad_accum): micro-batches give the gradients of one pass over the
// whole batch, also when the micro-batches hold different numbers of trained tokens.
#include "data/task.h"
#include "results/run_reader.h"
#include "results/run_store.h"
#include "run/run_log.h"
#include "support/catch.h"
#include "support/synthetic_data.h"
#include "support/gradients.h"
#include "support/temp_dir.h"
#include "support/tiny_model.h"
#include "train/grad_accum.h"
#include "train/trainer.h"

using namespace attnlab;
using attnlab::testing::gradients;
using attnlab::testing::max_relative_difference;
using attnlab::testing::restore_buffers;

TEST_CASE("forward_backward over micro-batches equals one pass over the batch", "[train][grad_accum]") {
  torch::set_num_threads(1);
  for (const std::string mixer : {"softmax", "dcp"}) {  // dcp adds an auxiliary (sparsity) loss
    INFO(mixer);
    TransformerLM model = testing::tiny_model(mixer, 5);
    model->train();
    torch::manual_seed(11);
    const auto x = torch::randint(0, 50, {8, 24}, torch::kLong);
    auto y = torch::randint(0, 50, {8, 24}, torch::kLong);
    // Uneven trained tokens: the first rows score 2 positions, the last rows all 24. A mean of
    // micro-batch means would weigh them wrongly.
    y.slice(0, 0, 4).slice(1, 0, 22).fill_(data::kIgnore);
    std::vector<torch::Tensor> start;
    for (const auto& b : model->buffers()) start.push_back(b.clone());
    const StepLoss whole = forward_backward(model, x, y, 1, Precision::fp32, torch::kCPU);
    const auto reference = gradients(model);
    std::vector<torch::Tensor> after_one_step;
    for (const auto& b : model->buffers()) after_one_step.push_back(b.clone());
    for (int64_t micro : {2, 4, 8}) {
      INFO("micro-batches " << micro);
      restore_buffers(model, start);
      const StepLoss parts = forward_backward(model, x, y, micro, Precision::fp32, torch::kCPU);
      CHECK(std::abs(parts.loss.item<double>() - whole.loss.item<double>()) < 1e-6);
      CHECK(std::abs(parts.objective.item<double>() / whole.objective.item<double>() - 1) < 1e-6);
      CHECK(max_relative_difference(gradients(model), reference) < 1e-6);
      for (size_t i = 0; i < start.size(); ++i) CHECK(model->buffers()[i].equal(after_one_step[i]));  // one step's worth
    }
    // The check can fail: averaging the micro-batch means instead is measurably different.
    std::vector<torch::Tensor> naive;
    for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
    restore_buffers(model, start);
    forward_backward(model, x.slice(0, 0, 4), y.slice(0, 0, 4), 1, Precision::fp32, torch::kCPU);
    const auto first = gradients(model);
    restore_buffers(model, start);
    forward_backward(model, x.slice(0, 4, 8), y.slice(0, 4, 8), 1, Precision::fp32, torch::kCPU);
    const auto second = gradients(model);
    for (size_t i = 0; i < first.size(); ++i) naive.push_back((first[i] + second[i]) / 2);
    CHECK(max_relative_difference(naive, reference) > 1e-4);
  }
}

TEST_CASE("train.grad_accum = 2 follows the loss curve of the same batch in one pass", "[train][grad_accum]") {
  torch::set_num_threads(1);
  testing::TempDir dir;
  const data::TokenData data = testing::synthetic_data();
  auto losses = [&](int64_t accum) {
    RunLog log;
    TrainOptions train;
    train.steps = 20, train.batch_size = 8, train.seq_len = 16, train.warmup_steps = 2, train.log_every = 1;
    train.eval_every = 1000, train.grad_accum = accum;
    EvalOptions eval;
    eval.max_windows = 8, eval.batch_size = 8;
    const auto run_dir = dir.path() / std::to_string(accum);
    std::filesystem::create_directories(run_dir);
    {
      auto store = results::RunStore::create((run_dir / "run.h5").string(), {});
      Trainer trainer(testing::tiny_model("softmax", 3), data, train, eval, 42, run_dir, store, log, "");
      trainer.run();
    }
    return results::RunReader((run_dir / "run.h5").string()).doubles("/train", "loss");
  };
  const auto one = losses(1), two = losses(2);
  REQUIRE(one.size() == 20);
  REQUIRE(two.size() == 20);
  double worst = 0;
  for (size_t i = 0; i < one.size(); ++i) worst = std::max(worst, std::abs(one[i] - two[i]));
  CHECK(worst < 1e-4);  // float summation order only, on a curve that falls by more than 0.3
  CHECK(one.front() - one.back() > 0.3);
}
