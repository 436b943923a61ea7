#include "taskdata_bench.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <ostream>

#include "config/compose.h"
#include "data/dataset.h"
#include "model/layer_plan.h"
#include "model/transformer_lm.h"
#include "run/run_config.h"
#include "run/run_job.h"

namespace attnlab::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

RunConfig compose_config(const TaskDataBenchOptions& options, const std::string& task,
                         const std::vector<std::string>& extra) {
  std::vector<std::string> overrides = {"model=" + options.model, "data=" + task};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return RunConfig::from_config(cfg::compose({options.config_dir, "", overrides}).root);
}

std::vector<std::string> task_presets(const TaskDataBenchOptions& options) {
  if (!options.tasks.empty()) return options.tasks;
  std::vector<std::string> tasks;
  const auto groups = cfg::config_groups(options.config_dir);  // kept: a range-for over a temporary's member dangles
  for (const auto& name : groups.at("data")) {
    if (!compose_config(options, name, {}).data.task.is_null()) tasks.push_back(name);
  }
  return tasks;
}

}  // namespace

void run_taskdata_bench(const TaskDataBenchOptions& options, std::ostream& out) {
  const std::string threads = configure_threads(options.threads);
  out << fmt::format("Task data vs a training step ({} model, batch {}, {}; medians of {} rounds x {} batches)\n\n",
                     options.model, options.batch, threads, options.rounds, options.reps);
  out << "| task | L | sets s | cycled batch ms | fresh batch ms | step ms | cycled / step | fresh / step |\n";
  out << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& task : task_presets(options)) {
    const RunConfig config = compose_config(options, task, {});
    auto start = Clock::now();
    auto cycled = data::make_dataset(config.data, nullptr);  // generates the test and training sets
    const double sets_s = seconds_since(start);
    auto fresh = data::make_dataset(compose_config(options, task, {"data.task.train_examples=0"}).data, nullptr);

    ModelOptions model_options = config.model;
    model_options.vocab_size = cycled->vocab_size();
    torch::manual_seed(0);
    TransformerLM model(model_options, LayerPlan::from_config(config.mixer, config.hybrid, model_options.n_layers));
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
    auto step = [&](const torch::Tensor& x, const torch::Tensor& y) {  // the Trainer's step less clipping and the schedule
      optimizer.zero_grad();
      auto logits = model->forward(x).logits;  // [B, L, V]
      auto loss = torch::nn::functional::cross_entropy(
          logits.reshape({-1, logits.size(-1)}), y.reshape(-1),
          torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kIgnore));
      loss.backward();
      optimizer.step();
    };

    std::vector<double> cycled_ms, fresh_ms, step_ms;
    int64_t index = 0;
    auto [x, y] = cycled->train_batch(options.batch, 0, 1, 0);
    step(x, y);  // warm-up
    for (int64_t round = 0; round < options.rounds; ++round) {
      start = Clock::now();
      for (int64_t r = 0; r < options.reps; ++r) cycled->train_batch(options.batch, 0, 1, ++index);
      cycled_ms.push_back(1e3 * seconds_since(start) / options.reps);
      start = Clock::now();
      for (int64_t r = 0; r < options.reps; ++r) fresh->train_batch(options.batch, 0, 1, ++index);
      fresh_ms.push_back(1e3 * seconds_since(start) / options.reps);
      start = Clock::now();
      for (int64_t r = 0; r < options.reps; ++r) step(x, y);
      step_ms.push_back(1e3 * seconds_since(start) / options.reps);
    }
    const double c = median(cycled_ms), f = median(fresh_ms), s = median(step_ms);
    out << fmt::format("| {} | {} | {:.2f} | {:.3f} | {:.3f} | {:.1f} | {:.2f}% | {:.2f}% |\n", task,
                       cycled->fixed_seq_len(), sets_s, c, f, s, 100.0 * c / s, 100.0 * f / s);
  }
}

}  // namespace attnlab::bench
