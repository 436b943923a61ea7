#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "infer/persistence_study.h"
#include "pruning/pruning_map_study.h"
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

  auto* pruning = cmd->add_subcommand(
      "pruning", "Dynamic Context Pruning: which context tokens each dcp layer drops reading a text (/analysis/pruning)");
  auto map_request = std::make_shared<PruningMapRequest>();
  auto text_file = std::make_shared<std::string>();
  map_request->config_dir = default_config_dir();
  pruning->add_option("run_dir", map_request->run_dir, "a trained run directory with dcp layers")->required();
  pruning->add_option("overrides", map_request->overrides, "device / threads overrides");
  auto* text = pruning->add_option("--text", map_request->text, "the text to read (up to model.ctx tokens)");
  pruning->add_option("--text-file", *text_file, "read the text from this file instead")->excludes(text);
  pruning->add_option("--config-dir", map_request->config_dir, "Config folder")->group("");
  pruning->callback([map_request, text_file, &exit_code] {
    if (!text_file->empty()) {
      std::ifstream in(*text_file, std::ios::binary);
      if (!in) throw UserError("--text-file: cannot read " + *text_file);
      std::ostringstream content;
      content << in.rdbuf();
      map_request->text = content.str();
    }
    exit_code = run_pruning_map_study(*map_request, std::cout);
  });
  pruning->footer("Example:\n  attnlab analyze pruning runs/dcp/<timestamp>/mixer.lambda=0.3 --text \"In the beginning ...\"");
}

}  // namespace attnlab::cli
