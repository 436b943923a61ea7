// Data parallelism (train/data_parallel.h): the shards of a batch sum to the whole batch, and
// c10d's Gloo sums, broadcasts and fails as the trainer needs. Two ranks run as two threads of
// this process, each with its own store client and process group.
#include <cstdlib>
#include <future>
#include <thread>

#include "core/error.h"
#include "data/task.h"
#include "run/rank_launcher.h"
#include "support/catch.h"
#include "support/gradients.h"
#include "support/tiny_model.h"
#include "train/data_parallel.h"
#include "train/grad_accum.h"

using namespace attnlab;
using attnlab::testing::gradients;
using attnlab::testing::max_relative_difference;
using attnlab::testing::restore_buffers;

namespace {

RankEnv rank_env(int rank, int world, int port) {
  RankEnv env;
  env.rank = rank;
  env.world = world;
  env.local_rank = rank;
  env.master_port = port;
  return env;
}

/// Runs `body(group)` on ranks 0 .. world-1, one thread each; rethrows the first error.
template <typename Body>
void on_ranks(int world, std::chrono::milliseconds timeout, Body body) {
  const int port = free_loopback_port();  // the kernel's pick: parallel test processes never share one
  std::vector<std::future<void>> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.push_back(std::async(std::launch::async, [=] {
      DataParallel group(rank_env(r, world, port), timeout, torch::kCPU);
      body(group);
    }));
  }
  for (auto& rank : ranks) rank.get();
}

}  // namespace

TEST_CASE("the shards of a batch sum to the whole batch", "[train][data_parallel]") {
  torch::set_num_threads(1);
  for (const std::string mixer : {"softmax", "dcp"}) {  // dcp adds an auxiliary loss, a batch mean
    INFO(mixer);
    TransformerLM model = testing::tiny_model(mixer, 5);
    model->train();
    torch::manual_seed(3);
    const auto x = torch::randint(0, 50, {8, 24}, torch::kLong);
    auto y = torch::randint(0, 50, {8, 24}, torch::kLong);
    y.slice(0, 0, 4).slice(1, 0, 22).fill_(data::kIgnore);  // shard 0 trains on 8 tokens, shard 1 on 96
    std::vector<torch::Tensor> start;
    for (const auto& b : model->buffers()) start.push_back(b.clone());
    const StepLoss whole = forward_backward(model, x, y, 1, Precision::fp32, torch::kCPU);
    const auto reference = gradients(model);
    for (int64_t world : {2, 4}) {
      for (int64_t micro : {1, 2}) {
        INFO(world << " shards x " << micro << " micro-batches");
        std::vector<torch::Tensor> sum;
        double loss = 0, objective = 0;
        for (int64_t r = 0; r < world; ++r) {
          restore_buffers(model, start);
          const StepLoss part = forward_backward(model, x, y, micro, Precision::fp32, torch::kCPU, Shard{r, world});
          loss += part.loss.item<double>();
          objective += part.objective.item<double>();
          const auto g = gradients(model);
          if (sum.empty()) sum = g;
          else
            for (size_t i = 0; i < g.size(); ++i) sum[i] += g[i];
        }
        CHECK(std::abs(loss - whole.loss.item<double>()) < 1e-6);
        CHECK(std::abs(objective / whole.objective.item<double>() - 1) < 1e-6);
        CHECK(max_relative_difference(sum, reference) < 1e-6);
      }
    }
    // The check can fail: a mean of the shards' own means (each normalised by its own tokens) is far off.
    restore_buffers(model, start);
    forward_backward(model, x.slice(0, 0, 4), y.slice(0, 0, 4), 1, Precision::fp32, torch::kCPU);
    auto naive = gradients(model);
    restore_buffers(model, start);
    forward_backward(model, x.slice(0, 4, 8), y.slice(0, 4, 8), 1, Precision::fp32, torch::kCPU);
    const auto second = gradients(model);
    for (size_t i = 0; i < naive.size(); ++i) naive[i] = (naive[i] + second[i]) / 2;
    CHECK(max_relative_difference(naive, reference) > 0.1);
  }
}

TEST_CASE("Gloo sums and broadcasts across ranks, in buckets of any size", "[train][data_parallel]") {
  if (!data_parallel_available()) {
    WARN("built without c10d/Gloo: nothing to test");
    return;
  }
  for (int world : {2, 3}) {
    for (int64_t bucket_bytes : {int64_t(8), int64_t(1) << 20}) {  // 8 bytes: a bucket per tensor
      INFO(world << " ranks, buckets of " << bucket_bytes << " bytes");
      on_ranks(world, std::chrono::seconds(60), [&](DataParallel& group) {
        const double r = group.rank();
        // float tensors of several shapes, an int64 one (dcp's step counter), an undefined one (a frozen weight)
        std::vector<torch::Tensor> tensors{torch::full({3, 4}, r + 1), torch::arange(5, torch::kFloat32) * (r + 1),
                                           torch::Tensor(), torch::full({2}, static_cast<int64_t>(r) + 10, torch::kLong)};
        group.all_reduce_sum(tensors, bucket_bytes);
        const double ranks_sum = world * (world + 1) / 2.0;  // sum of r + 1
        CHECK(tensors[0].equal(torch::full({3, 4}, ranks_sum)));
        CHECK(tensors[1].equal(torch::arange(5, torch::kFloat32) * ranks_sum));
        CHECK_FALSE(tensors[2].defined());
        CHECK(tensors[3].equal(torch::full({2}, static_cast<int64_t>(10 * world + world * (world - 1) / 2), torch::kLong)));
        std::vector<torch::Tensor> weights{torch::full({4, 4}, r), torch::full({3}, static_cast<int64_t>(r), torch::kLong)};
        group.broadcast(weights);
        CHECK(weights[0].equal(torch::zeros({4, 4})));
        CHECK(weights[1].equal(torch::zeros({3}, torch::kLong)));
        group.barrier();
      });
    }
  }
}

TEST_CASE("a collective whose peer never comes fails within the timeout, naming the rank", "[train][data_parallel]") {
  if (!data_parallel_available()) {
    WARN("built without c10d/Gloo: nothing to test");
    return;
  }
  std::string error;
  std::promise<void> rank0_done;
  auto done = rank0_done.get_future();
  // 5 s: Gloo connects the ranks within the same timeout, and a loaded machine (ctest -j) is slow
  on_ranks(2, std::chrono::seconds(5), [&](DataParallel& group) {
    if (group.rank() == 1) {  // alive but stalled: it joins, then never takes part
      done.wait();
      return;
    }
    std::vector<torch::Tensor> grads{torch::ones({4})};
    try {
      group.all_reduce_sum(grads);
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    rank0_done.set_value();
  });
  INFO(error);
  CHECK(error.find("distributed: rank 0 of 2 failed in an all-reduce") == 0);
  CHECK(error.find("distributed.timeout_s = 5") != std::string::npos);
  CHECK(error.find('\n') == std::string::npos);
}

TEST_CASE("ranks come from torchrun's or Slurm's variables", "[train][data_parallel]") {
  struct Env {  // sets variables for one check and removes them after
    std::vector<std::string> names;
    void set(const std::string& name, const std::string& value) {
      setenv(name.c_str(), value.c_str(), 1);
      names.push_back(name);
    }
    ~Env() {
      for (const auto& n : names) unsetenv(n.c_str());
    }
  };
  {
    const RankEnv none = RankEnv::from_env();
    CHECK_FALSE(none.distributed());
  }
  {
    Env env;
    env.set("WORLD_SIZE", "4");
    env.set("RANK", "3");
    env.set("LOCAL_RANK", "1");
    env.set("MASTER_ADDR", "node7");
    env.set("MASTER_PORT", "29511");
    const RankEnv r = RankEnv::from_env();
    CHECK(r.distributed());
    CHECK((r.world == 4 && r.rank == 3 && r.local_rank == 1 && r.master_addr == "node7" && r.master_port == 29511));
  }
  {
    Env env;  // Slurm's variables count only when the job script asked for ranks
    env.set("SLURM_PROCID", "1");
    env.set("SLURM_NTASKS", "2");
    env.set("SLURM_LOCALID", "1");
    CHECK_FALSE(RankEnv::from_env().distributed());
    env.set("ATTNLAB_SLURM_RANKS", "1");
    const RankEnv r = RankEnv::from_env();
    CHECK((r.world == 2 && r.rank == 1 && r.local_rank == 1));
  }
  {
    Env env;
    env.set("WORLD_SIZE", "2");
    env.set("RANK", "2");
    CHECK_THROWS_WITH(RankEnv::from_env(), Catch::Contains("rank 2 is outside a world of 2 ranks"));
  }
  {
    Env env;
    env.set("WORLD_SIZE", "two");
    CHECK_THROWS_WITH(RankEnv::from_env(), Catch::Contains("$WORLD_SIZE: expected a count, got 'two'"));
  }
}

TEST_CASE("the gradient reducer sums while the backward pass runs, earlier micro-batches and unused weights included",
          "[train][data_parallel]") {
  if (!data_parallel_available()) {
    WARN("built without c10d/Gloo: nothing to test");
    return;
  }
  for (int world : {2, 3}) {
    INFO(world << " ranks");
    on_ranks(world, std::chrono::seconds(60), [&](DataParallel& group) {
      const double r1 = group.rank() + 1.0, ranks_sum = world * (world + 1) / 2.0;  // sum of r + 1
      // Buckets of 8 bytes: one a parameter, in reverse order (b, a, unused). `unused` gets no
      // gradient, so its bucket, the last, waits for finish().
      auto unused = torch::ones({2}).requires_grad_();
      auto a = torch::ones({3, 4}).requires_grad_();
      auto b = torch::ones({5}).requires_grad_();
      GradientReducer reducer(group, {unused, a, b}, 8);
      for (int step = 0; step < 2; ++step) {  // the buckets are reused
        if (a.grad().defined()) a.grad().zero_(), b.grad().zero_();
        ((a * r1).sum() + (b * 2.0).sum()).backward();  // an earlier micro-batch: not reduced
        CHECK(reducer.started() == 0);
        reducer.arm();
        ((a * a).sum() * r1 + b.sum() * r1).backward();  // the last: a gets 2 a r1, b gets r1
        CHECK(reducer.started() == 2);  // b's and a's buckets went during the backward pass
        reducer.finish();
        CHECK(a.grad().equal(torch::full({3, 4}, 3.0 * ranks_sum)));  // r1 + 2 r1 on each rank
        CHECK(b.grad().equal(torch::full({5}, 2.0 * world + ranks_sum)));
        CHECK_FALSE(unused.grad().defined());
        CHECK(reducer.started() == 0);
      }
    });
  }
}
