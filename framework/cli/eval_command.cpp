#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "studies/budget_study.h"
#include "run/launcher.h"

namespace attnlab::cli {

void add_eval_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "eval", "Perplexity of a trained run under a KV-cache eviction policy and budget (rows to /eval_budget)");
  cmd->footer(
      "Overrides: cache=<policy> (configs/cache/), cache.ratio=R or cache.budget=B, the policy's keys\n"
      "(cache.recent=..., cache.window=...), eval.max_windows=N, eval.batch_size=N, device, threads.\n"
      "Examples:\n"
      "  attnlab eval runs/quickstart/2026-01-01_10-00-00 cache=scissorhands cache.ratio=5\n"
      "  attnlab eval RUN -m cache=full,window,streaming,h2o,scissorhands,tova,random cache.ratio=1,2,5");
  auto request = std::make_shared<BudgetStudyRequest>();
  request->config_dir = default_config_dir();
  cmd->add_option("run_dir", request->run_dir, "a trained run directory (config.yaml, checkpoint.pt, run.h5)")
      ->required();
  cmd->add_option("overrides", request->overrides, "cache=<policy> cache.ratio=... eval.max_windows=...");
  cmd->add_flag("-m,--multirun", request->multirun, "Sweep: comma lists and range() become evaluations");
  cmd->add_option("--config-dir", request->config_dir, "Config folder (holds cache/<policy>.yaml)");
  cmd->callback([request, &exit_code] { exit_code = run_budget_study(*request, std::cout); });
}

}  // namespace attnlab::cli
