#include <CLI/CLI.hpp>

#include <iostream>
#include <map>

#include "cli/commands.h"
#include "config/compose.h"
#include "infer/eviction_policy.h"
#include "model/token_mixer.h"
#include "run/launcher.h"

namespace attnlab::cli {

namespace {

// The script only asks `attnlab completion keys|values KEY` for what depends on the configs and
// registries, so it stays right when either changes.
constexpr const char* kBashScript = R"BASH(# bash completion for attnlab: source <(attnlab completion bash)
_attnlab() {
  local cur=${COMP_WORDS[COMP_CWORD]} command=${COMP_WORDS[1]} exe=${COMP_WORDS[0]}
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "run train plan prepare-data list report eval generate analyze completion --help" -- "$cur")); return
  fi
  case "$command" in
    list) COMPREPLY=($(compgen -W "mixers qk_sources policies tasks configs" -- "$cur")); return ;;
    completion) COMPREPLY=($(compgen -W "bash" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$("$exe" "$command" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u)" -- "$cur")); return
  fi
  if [[ "$cur" == *=* ]]; then
    local key=${cur%%=*}
    local values=$("$exe" completion values "${key##*[+~]}" 2>/dev/null)
    COMPREPLY=($(compgen -P "$key=" -W "$values" -- "${cur#*=}")); return
  fi
  COMPREPLY=($(compgen -S = -W "$("$exe" completion keys 2>/dev/null)" -- "$cur") $(compgen -f -X '!*.yaml' -- "$cur") $(compgen -d -- "$cur"))
  [ ${#COMPREPLY[@]} -gt 0 ] && [[ "${COMPREPLY[0]}" == *= ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _attnlab attnlab
)BASH";

void add_keys(const cfg::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [key, child] : node.entries()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (child.is_map()) {
      add_keys(child, path, out);
    } else {
      out.push_back(path);
    }
  }
}

/// Config groups (for `group=option`) and every key of the default config (`key=value`).
void print_keys() {
  const std::string config_dir = default_config_dir();
  for (const auto& [group, options] : cfg::config_groups(config_dir)) std::cout << group << '\n';
  std::vector<std::string> keys;
  add_keys(cfg::compose({config_dir, "", {}}).root, "", keys);
  for (const auto& key : keys) std::cout << key << '\n';
}

/// Values worth offering after `key=`: a group's options, or the registered names for `*.name` of a
/// mixer or a cache policy.
void print_values(const std::string& key) {
  const auto groups = cfg::config_groups(default_config_dir());
  if (const auto it = groups.find(key); it != groups.end()) {
    for (const auto& option : it->second) std::cout << option << '\n';
    return;
  }
  const std::map<std::string, std::vector<std::string>> registered = {
      {"mixer.name", mixer_registry().names()},
      {"hybrid.mixer.name", mixer_registry().names()},
      {"cache.name", policy_registry().names()}};
  if (const auto it = registered.find(key); it != registered.end()) {
    for (const auto& name : it->second) std::cout << name << '\n';
  }
}

}  // namespace

void add_completion_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("completion", "Shell completion: `source <(attnlab completion bash)`");
  cmd->footer("Add `source <(attnlab completion bash)` to ~/.bashrc. It completes commands, options,\n"
              "config keys (train.lr=), groups (mixer=<TAB> lists configs/mixer/) and registered names.");
  auto* bash = cmd->add_subcommand("bash", "Print the bash completion script");
  bash->callback([&exit_code] {
    std::cout << kBashScript;
    exit_code = 0;
  });
  auto* keys = cmd->add_subcommand("keys", "Config groups and keys (used by the script)");
  keys->group("");  // hidden
  keys->callback([&exit_code] {
    print_keys();
    exit_code = 0;
  });
  auto* values = cmd->add_subcommand("values", "Values of one key (used by the script)");
  values->group("");
  auto key = std::make_shared<std::string>();
  values->add_option("key", *key)->required();
  values->callback([key, &exit_code] {
    print_values(*key);
    exit_code = 0;
  });
  cmd->require_subcommand(1);
}

}  // namespace attnlab::cli
