#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "run/launcher.h"
#include "run/run_job.h"

namespace attnlab::cli {

void add_plan_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("plan", "Size a run before training it: parameters, FLOPs, memory, time");
  cmd->footer(
      "Examples:\n"
      "  attnlab plan experiments/quickstart.yaml                     # at the sgemm rate measured here\n"
      "  attnlab plan model=p70m model.ctx=2048 train.batch_size=256 --vocab 150000 --peak-tflops 989 --tokens 15e9");
  struct Options {
    std::vector<std::string> words;
    LaunchRequest request;
    double peak_tflops = 0;
    double tokens = 0;
    int64_t vocab = 0;
  };
  auto options = std::make_shared<Options>();
  options->request.config_dir = default_config_dir();
  cmd->add_option("words", options->words, "[experiment.yaml] [overrides...]");
  cmd->add_option("--peak-tflops", options->peak_tflops, "Peak FLOP/s in TFLOP/s (default: sgemm measured here)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--tokens", options->tokens, "Training tokens in all (default: train.steps x tokens per step)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--vocab", options->vocab, "Size the model for this vocabulary instead of reading the data")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--config-dir", options->request.config_dir, "Config folder (config.yaml + groups)");
  cmd->callback([options, &exit_code] {
    split_positionals(options->words, options->request);
    const RunConfig config =
        compose_run_config(options->request.config_dir, options->request.experiment_file, options->request.overrides);
    const int64_t tokens = options->tokens > 0 ? static_cast<int64_t>(options->tokens) : -1;
    std::cout << plan_run(config, options->peak_tflops * 1e12, tokens, options->vocab);
    exit_code = 0;
  });
}

}  // namespace attnlab::cli
