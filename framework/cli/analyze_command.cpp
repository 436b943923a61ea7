#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "studies/analysis_registry.h"

namespace attnlab::cli {

void add_analyze_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("analyze", "Analyses of a trained run, written to /analysis/<name> in its run.h5");
  cmd->require_subcommand(1);
  const auto& analyses = analysis_registry();
  for (const auto& name : analyses.names()) analyses.get(name)(*cmd->add_subcommand(name, analyses.description(name)), exit_code);
}

}  // namespace attnlab::cli
