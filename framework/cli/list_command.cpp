#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "core/error.h"
#include "data/task.h"
#include "infer/eviction_policy.h"
#include "model/token_mixer.h"
#include "run/launcher.h"

namespace attnlab::cli {

namespace {

void list_mixers() {
  for (const auto& name : mixer_registry().names()) {
    std::cout << fmt::format("{:<16} {}", name, mixer_registry().description(name)) << '\n';
  }
}

void list_policies() {
  for (const auto& name : policy_registry().names()) {
    std::cout << fmt::format("{:<16} {}", name, policy_registry().description(name)) << '\n';
  }
}

void list_tasks() {
  for (const auto& name : data::task_registry().names()) {
    std::cout << fmt::format("{:<18} {}", name, data::task_registry().description(name)) << '\n';
  }
}

void list_configs() {
  namespace fs = std::filesystem;
  const fs::path dir = default_config_dir();
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    auto& options = groups[entry.path().filename().string()];
    for (const auto& file : fs::directory_iterator(entry.path())) {
      if (file.path().extension() == ".yaml") options.push_back(file.path().stem().string());
    }
    std::sort(options.begin(), options.end());
  }
  std::cout << "config dir: " << dir.string() << '\n';
  for (const auto& [group, options] : groups) std::cout << fmt::format("{:<8} {}", group, join(options)) << '\n';
}

}  // namespace

void add_list_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("list", "List registered mixers, eviction policies, probe tasks or config options");
  auto what = std::make_shared<std::string>();
  const std::map<std::string, void (*)()> listers = {{"mixers", list_mixers}, {"policies", list_policies}, {"tasks", list_tasks}, {"configs", list_configs}};
  cmd->add_option("what", *what, "mixers | policies | tasks | configs")
      ->required()
      ->check(CLI::IsMember({"mixers", "policies", "tasks", "configs"}));
  cmd->callback([what, listers, &exit_code] {
    listers.at(*what)();
    exit_code = 0;
  });
}

}  // namespace attnlab::cli
