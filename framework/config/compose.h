#pragma once
/// Hydra-like composition of a config tree from a config directory, an experiment file and
/// command-line overrides.
///
/// Order (later wins): config.yaml's `defaults:` list, in order: `group: option` entries merge
/// configs/<group>/<option>.yaml under the key <group> (a file whose first lines hold
/// `# @package _global_` merges at the root instead); a plain `name` entry merges
/// configs/<name>.yaml at the root; `_self_` marks where config.yaml's own keys merge (default:
/// last). Then the experiment: its `defaults:` entries replace the choice of a group already in
/// the list (in place; `override group: option` is accepted too) or add a new group after
/// config.yaml's entries; its own keys merge at its `_self_` (default: last). Command-line
/// `group=option` / `+group=option` / `++group=option` / `~group` change the choices before
/// anything is merged (`group: null` or `group=null` drops a group; `+group` adds the group
/// after config.yaml's entries, before the experiment's own); command-line value
/// overrides then apply in order; finally `${...}` interpolations are resolved.
/// Maps merge key by key; a list or scalar where a map is (or vice versa a map where a scalar is)
/// replaces it, except a list or scalar onto a map, which is an error ("model: expected a map").
/// Composition reads files only; it never writes.

#include <map>
#include <string>
#include <vector>

#include "config/node.h"
#include "config/override.h"

namespace attnlab::cfg {

/// What to compose.
struct ComposeRequest {
  std::string config_dir = "configs";   ///< config.yaml + one folder per group
  std::string experiment_file;          ///< optional experiments/x.yaml
  std::vector<std::string> overrides;   ///< command-line overrides, in order; no sweep values
};

/// A composed config.
struct Composition {
  Node root;                                          ///< fully merged and resolved
  std::map<std::string, std::string> group_choices;   ///< group → option (dropped groups absent)
  std::vector<std::string> overrides;                 ///< the request's overrides
  std::string experiment_name;                        ///< the experiment file's stem, or "default"
  Node sweep;                                         ///< the experiment's `sweep:` block, or Null
};

/// Composes the config. Every problem is a one-line attnlab::UserError with its location.
Composition compose(const ComposeRequest& request);

/// Applies one value override (`key=value`, `+key=value`, `++key=value`, `~key`) to a composed
/// tree, with compose()'s checks and messages. For commands that start from a run's saved,
/// already composed config.yaml (`attnlab eval`).
void apply_override(Node& root, const Override& override);

/// Groups of a config directory (its sub-folders) → their options (the .yaml/.yml file stems),
/// both sorted. Throws UserError when the directory does not exist.
std::map<std::string, std::vector<std::string>> config_groups(const std::string& config_dir);

}  // namespace attnlab::cfg
