#include "eviction/persistence_study.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <ostream>

#include "eviction/persistence.h"
#include "run/launcher.h"
#include "studies/budget_study.h"
#include "studies/result_appender.h"
#include "studies/trained_run.h"

namespace attnlab {

int run_persistence_study(const PersistenceRequest& request, std::ostream& out) {
  cfg::Node root = compose_eval_config(TrainedRun::read_config(request.run_dir), request.overrides, request.config_dir);
  root.erase("cache");
  TrainedRun run = TrainedRun::load(request.run_dir, RunConfig::from_config(root), /*allow_task=*/true);
  const int64_t windows = request.max_windows > 0 ? request.max_windows : run.config.eval.max_windows;
  // a task's test set (its examples) or the text's validation windows, up to `windows` of them
  torch::Tensor x = run.eval_set(windows).x;  // [N, T]
  if (windows > 0 && x.size(0) > windows) x = x.slice(0, 0, windows);
  const std::vector<double> ratios = persistence_ratios(run.model, x, run.config.eval.batch_size);

  ResultAppender appender(request.run_dir);
  appender.store().define_table(results::kPersistenceTable,
                                {{"layer", results::ColumnType::Int64}, {"ratio", results::ColumnType::Float64}});
  out << fmt::format("persistence ratio per layer ({} windows of {} tokens, pivotal: weight > 1/t)", x.size(0),
                     x.size(1))
      << std::endl;
  for (size_t l = 0; l < ratios.size(); ++l) {
    if (std::isnan(ratios[l])) {
      out << fmt::format("layer {:>2}: -      (no attention weights)", l) << std::endl;
      continue;
    }
    appender.store().append(results::kPersistenceTable, {static_cast<int64_t>(l), ratios[l]});
    out << fmt::format("layer {:>2}: {:.4f}", l, ratios[l]) << std::endl;
  }
  appender.flush();
  return 0;
}

void setup_persistence_command(CLI::App& command, int& exit_code) {
  auto request = std::make_shared<PersistenceRequest>();
  request->config_dir = default_config_dir();
  command.add_option("run_dir", request->run_dir, "a trained run directory")->required();
  command.add_option("overrides", request->overrides, "eval.* / device / threads overrides");
  command.add_option("--max-windows", request->max_windows, "validation windows (default: the run's eval.max_windows)");
  command.add_option("--config-dir", request->config_dir, "Config folder")->group("");
  command.callback([request, &exit_code] { exit_code = run_persistence_study(*request, std::cout); });
}

}  // namespace attnlab
