#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "studies/generate_text.h"
#include "run/launcher.h"

namespace attnlab::cli {

void add_generate_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("generate", "Generate text from a trained run, optionally under a KV budget");
  cmd->footer(
      "Examples:\n"
      "  attnlab generate RUN --prompt \"Call me Ishmael.\" --max-new 200\n"
      "  attnlab generate RUN --prompt \"Call me\" --max-new 400 --policy scissorhands --ratio 4 --temperature 0.8 --top-k 20");
  auto request = std::make_shared<GenerateRequest>();
  request->config_dir = default_config_dir();
  cmd->add_option("run_dir", request->run_dir, "a trained run directory")->required();
  cmd->add_option("overrides", request->overrides, "further cache.* / device / threads overrides");
  cmd->add_option("--prompt", request->prompt, "text to continue")->required();
  cmd->add_option("--max-new", request->max_new, "tokens to generate")->capture_default_str();
  cmd->add_option("--policy", request->policy, "eviction policy (attnlab list policies)")->capture_default_str();
  cmd->add_option("--budget", request->budget, "tokens per head (0 = from --ratio)");
  cmd->add_option("--ratio", request->ratio, "compression ratio over prompt + new tokens");
  cmd->add_option("--temperature", request->sampling.temperature, "0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", request->sampling.top_k, "sample among the k most likely tokens (0 = all)")
      ->capture_default_str();
  cmd->add_option("--seed", request->sampling.seed, "sampling seed")->capture_default_str();
  cmd->add_option("--config-dir", request->config_dir, "Config folder (holds cache/<policy>.yaml)");
  cmd->callback([request, &exit_code] { exit_code = run_generate(*request, std::cout, std::cerr); });
}

}  // namespace attnlab::cli
