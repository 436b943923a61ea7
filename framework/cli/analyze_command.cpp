#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "infer/persistence_study.h"
#include "run/launcher.h"

namespace attnlab::cli {

void add_analyze_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("analyze", "Analyses of a trained run, written to /analysis/<name> in its run.h5");
  cmd->require_subcommand(1);
  auto* persistence = cmd->add_subcommand(
      "persistence", "Scissorhands' persistence ratio per layer: pivotal tokens of the first half still pivotal later");
  auto request = std::make_shared<PersistenceRequest>();
  request->config_dir = default_config_dir();
  persistence->add_option("run_dir", request->run_dir, "a trained run directory")->required();
  persistence->add_option("overrides", request->overrides, "eval.* / device / threads overrides");
  persistence->add_option("--max-windows", request->max_windows, "validation windows (default: the run's eval.max_windows)");
  persistence->add_option("--config-dir", request->config_dir, "Config folder")->group("");
  persistence->callback([request, &exit_code] { exit_code = run_persistence_study(*request, std::cout); });
}

}  // namespace attnlab::cli
