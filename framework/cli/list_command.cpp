#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "core/error.h"
#include "data/task.h"
#include "infer/eviction_policy.h"
#include "model/qk_source.h"
#include "model/token_mixer.h"
#include "run/launcher.h"

namespace attnlab::cli {

namespace {

template <typename Registry>
void print(const Registry& registry) {
  for (const auto& name : registry.names()) std::cout << fmt::format("{:<18} {}", name, registry.description(name)) << '\n';
}

void list_mixers() { print(mixer_registry()); }
void list_qk_sources() {
  std::cout << fmt::format("{:<18} {}", kCurrentQKSource, "the layer's own input (the default)") << '\n';
  print(qk_source_registry());
}
void list_policies() { print(policy_registry()); }
void list_tasks() { print(data::task_registry()); }

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
  auto* cmd = app.add_subcommand("list", "List registered mixers, Q/K sources, eviction policies, probe tasks or config options");
  auto what = std::make_shared<std::string>();
  const std::map<std::string, void (*)()> listers = {{"mixers", list_mixers}, {"qk_sources", list_qk_sources}, {"policies", list_policies}, {"tasks", list_tasks}, {"configs", list_configs}};
  cmd->add_option("what", *what, "mixers | qk_sources | policies | tasks | configs")
      ->required()
      ->check(CLI::IsMember({"mixers", "qk_sources", "policies", "tasks", "configs"}));
  cmd->callback([what, listers, &exit_code] {
    listers.at(*what)();
    exit_code = 0;
  });
}

}  // namespace attnlab::cli
