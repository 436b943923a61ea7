#include <CLI/CLI.hpp>

#include <iostream>

#include "analysis/report.h"
#include "cli/commands.h"
#include "core/error.h"

namespace attnlab::cli {

void add_report_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("report", "Tables (md, csv, tex) and report.html from the run.h5 files below DIRs");
  auto options = std::make_shared<analysis::ReportOptions>();
  auto extra_ignored = std::make_shared<std::vector<std::string>>();
  cmd->add_option("dirs", options->paths, "run or sweep directories (searched recursively for run.h5)")
      ->required()
      ->expected(-1);
  cmd->add_option("--out", options->out_dir, "output directory (default: <first dir>/report)");
  cmd->add_option("--baseline", options->baseline,
                  "key=value on the flattened config naming the baseline rows of the Δ column; '' for none")
      ->capture_default_str();
  cmd->add_option("--best-of", options->best_of,
                  "a config key (e.g. train.lr): probe-task cells show its value with the best mean accuracy, as Zoology and MAD report");
  cmd->add_option("--claims", options->claims_file,
                  "experiment file whose claims: make the scorecard (default: each sweep's own experiment file)");
  cmd->add_option("--ignore", *extra_ignored,
                  "config keys (glob, repeatable) not treated as sweep axes, besides: " + join(analysis::default_ignored_keys()))
      ->allow_extra_args(false);
  cmd->callback([options, extra_ignored, &exit_code] {
    options->ignored_keys.insert(options->ignored_keys.end(), extra_ignored->begin(), extra_ignored->end());
    exit_code = analysis::run_report(*options, std::cout, std::cerr);
  });
}

}  // namespace attnlab::cli
