#include "config/compose.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "config/interpolation.h"
#include "config/map_reader.h"
#include "config/override.h"
#include "config/yaml_loader.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace attnlab::cfg {
namespace {

/// One entry of a defaults list.
struct Entry {
  enum class Type { Group, Self, File };
  Type type = Type::Group;
  std::string name;                   // group name, or config file name for File
  std::optional<std::string> option;  // nullopt: the group is dropped
  Source source;
  bool from_experiment = false;       // for Self: the experiment's keys, not config.yaml's
};

using Groups = std::map<std::string, std::vector<std::string>>;

const std::vector<std::string> kYamlExtensions = {".yaml", ".yml"};

std::string join_path(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

/// configs/<relative>.yaml or .yml, or "" when neither exists. `relative` comes from a config
/// file or the command line: a name the OS rejects (too long) is one that does not exist, not a
/// std::filesystem_error.
std::string yaml_file(const std::string& dir, const std::string& relative) {
  for (const auto& extension : kYamlExtensions) {
    const std::string path = join_path(dir, relative + extension);
    std::error_code error;
    if (fs::is_regular_file(path, error)) return path;
  }
  return "";
}

std::vector<std::string> keys_of(const Groups& groups) {
  std::vector<std::string> out;
  for (const auto& entry : groups) out.push_back(entry.first);
  return out;
}

std::string options_hint(const std::string& option, const std::string& group, const Groups& groups) {
  const auto& options = groups.at(group);
  return "no option '" + option + "' in group '" + group + "'" + did_you_mean(option, options) +
         " — options: " + (options.empty() ? std::string("(none)") : join(options));
}

std::string groups_hint(const std::string& group, const Groups& groups) {
  return "unknown config group '" + group + "'" + did_you_mean(group, keys_of(groups)) +
         " — groups: " + join(keys_of(groups));
}

/// A top-level config file: a map (or empty).
Node load_map_file(const std::string& path) {
  Node node = load_yaml_file(path);
  if (node.is_null()) return Node::map({path, 1, 1});
  if (!node.is_map()) fail_at(node.source(), std::string("expected a map at the top level, got a ") + node.kind_name());
  return node;
}

std::vector<Entry> parse_defaults(const Node* defaults, const std::string& config_dir, const Groups& groups) {
  std::vector<Entry> out;
  if (!defaults || defaults->is_null()) return out;
  if (!defaults->is_sequence())
    fail_at(defaults->source(), std::string("defaults: expected a list, got a ") + defaults->kind_name());
  std::map<std::string, int> seen;  // group or "_self_" → line
  auto check_once = [&](const std::string& name, const Source& source) {
    auto [it, inserted] = seen.emplace(name, source.line);
    if (!inserted)
      fail_at(source, "defaults: '" + name + "' appears twice (first at line " + std::to_string(it->second) + ")");
  };
  for (const Node& item : defaults->items()) {
    Entry entry;
    entry.source = item.source();
    if (item.is_scalar() && item.text() == "_self_") {
      check_once("_self_", item.source());
      entry.type = Entry::Type::Self;
    } else if (item.is_scalar()) {
      entry.type = Entry::Type::File;
      entry.name = item.text();
      if (yaml_file(config_dir, entry.name).empty() || entry.name == "config")
        fail_at(item.source(), "defaults: no config '" + entry.name + "' in " + config_dir +
                                   (groups.count(entry.name) ? " ('" + entry.name + "' is a group: write '" +
                                                                   entry.name + ": <option>')"
                                                             : std::string()));
    } else if (item.is_map() && item.size() == 1) {
      const auto& [key, value] = item.entries().front();
      static const std::string kOverride = "override ";
      entry.name = key.rfind(kOverride, 0) == 0 ? key.substr(kOverride.size()) : key;
      if (!groups.count(entry.name)) fail_at(item.source(), "defaults: " + groups_hint(entry.name, groups));
      check_once(entry.name, item.source());
      if (value.is_scalar()) {
        entry.option = value.text();
        const auto& options = groups.at(entry.name);
        if (std::find(options.begin(), options.end(), value.text()) == options.end())
          fail_at(value.source(), "defaults: " + options_hint(value.text(), entry.name, groups));
      } else if (!value.is_null()) {
        fail_at(value.source(), "defaults: " + entry.name + ": expected an option name, got a " + value.kind_name());
      }
    } else {
      fail_at(item.source(), std::string("defaults: each entry is 'group: option', '_self_' or a config name, got a ") +
                                 item.kind_name());
    }
    out.push_back(std::move(entry));
  }
  return out;
}

void ensure_self(std::vector<Entry>& entries, const Source& source) {
  for (const auto& entry : entries)
    if (entry.type == Entry::Type::Self) return;
  entries.push_back(Entry{Entry::Type::Self, "", std::nullopt, source, false});
}

std::vector<Entry>::iterator find_group(std::vector<Entry>& entries, const std::string& group) {
  return std::find_if(entries.begin(), entries.end(), [&](const Entry& entry) {
    return entry.type == Entry::Type::Group && entry.name == group;
  });
}

/// Deep merge with Hydra's one type check: a map is never replaced by a list or a scalar.
void merge_checked(Node& dest, const Node& src, const std::string& path) {
  if (dest.is_map() && src.is_map()) {
    for (const auto& [key, value] : src.entries()) {
      const std::string child = path.empty() ? key : path + "." + key;
      if (Node* mine = dest.find(key)) {
        merge_checked(*mine, value, child);
      } else {
        dest.entries().emplace_back(key, value);
      }
    }
    return;
  }
  if (dest.is_map() && (src.is_sequence() || src.is_scalar()))
    fail_at(src.source(), (path.empty() ? std::string("config") : path) + ": expected a map, got a " + src.kind_name());
  dest = src;
}

/// True when the file declares `# @package _global_` in its leading comment lines.
bool is_global_package(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line[start] != '#') return false;
    if (line.find("@package") != std::string::npos) return line.find("_global_") != std::string::npos;
  }
  return false;
}

void collect_paths(const Node& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [key, value] : node.entries()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    out.push_back(path);
    collect_paths(value, path, out);
  }
}

[[noreturn]] void fail_override(const Override& override, const std::string& message) {
  throw UserError("command line: " + override.text + ": " + message);
}

[[noreturn]] void fail_missing(const Node& root, const Override& override) {
  std::vector<std::string> paths;
  collect_paths(root, "", paths);
  const std::string hint = did_you_mean(override.key, paths);
  fail_override(override, "key '" + override.key + "' not in config" +
                              (hint.empty() ? " (use +" + override.key + "=... to add a new key)" : hint));
}

/// The node that holds the last segment of `key`, creating maps on the way (for +key=v).
Node& parent_for_add(Node& root, const Override& override) {
  auto segments = split_path(override.key);
  Node* node = &root;
  std::string walked;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    walked += (i ? "." : "") + segments[i];
    if (node->is_null()) *node = Node::map({"command line", 0, 0});
    if (!node->is_map()) fail_override(override, "cannot add a key under '" + walked + "', which is a " + node->kind_name());
    node = &(*node)[segments[i]];
  }
  if (node->is_null()) *node = Node::map({"command line", 0, 0});
  if (!node->is_map()) {
    const std::string parent = override.key.substr(0, override.key.rfind('.'));
    fail_override(override, "cannot add a key under '" + parent + "', which is a " + node->kind_name());
  }
  return *node;
}

void apply_value_override(Node& root, const Override& override) {
  Node* target = root.find_path(override.key);
  switch (override.kind) {
    case Override::Kind::Add:
      if (target)
        fail_override(override, "key '" + override.key + "' is already in config; use ++" + override.key +
                                    "=... or drop the +");
      parent_for_add(root, override)[split_path(override.key).back()] = override.value;
      return;
    case Override::Kind::ForceAdd:
      if (!target) {
        parent_for_add(root, override)[split_path(override.key).back()] = override.value;
        return;
      }
      [[fallthrough]];
    case Override::Kind::Set:
      if (!target) fail_missing(root, override);
      if (target->is_map() && (override.value.is_sequence() || override.value.is_scalar()))
        fail_override(override, override.key + ": expected a map, got a " + override.value.kind_name());
      merge_checked(*target, override.value, override.key);
      return;
    case Override::Kind::Delete: {
      if (!target) fail_missing(root, override);
      if (override.has_value && *target != override.value)
        fail_override(override, "'" + override.key + "' is " + to_override_value(*target) + ", not " +
                                    to_override_value(override.value));
      const auto segments = split_path(override.key);
      Node* parent = segments.size() == 1 ? &root : root.find_path(override.key.substr(0, override.key.rfind('.')));
      if (parent->is_map()) {
        parent->erase(segments.back());
      } else {
        parent->items().erase(parent->items().begin() + static_cast<long>(std::stoul(segments.back())));
      }
      return;
    }
  }
}

/// Applies a command-line `group=option` (or +, ++, ~) to the defaults entries.
void apply_group_override(std::vector<Entry>& entries, size_t& insert_at, const Override& override,
                          const Groups& groups) {
  const std::string& group = override.key;
  std::optional<std::string> option;
  if (override.has_value) {
    if (override.value.is_scalar()) {
      option = override.value.text();
      const auto& options = groups.at(group);
      if (std::find(options.begin(), options.end(), *option) == options.end())
        fail_override(override, options_hint(*option, group, groups));
    } else if (!override.value.is_null()) {
      fail_override(override, "'" + group + "' is a config group: expected an option name, got a " +
                                  override.value.kind_name() + " (set keys inside it with " + group + ".key=value)");
    }
  }
  auto it = find_group(entries, group);
  const bool present = it != entries.end();
  const std::string current = present ? it->option.value_or("null") : "";
  switch (override.kind) {
    case Override::Kind::Set:
      if (!present)
        fail_override(override, "group '" + group + "' is not in the defaults list; use +" + override.text + " to add it");
      it->option = option;
      return;
    case Override::Kind::Add:
      if (present)
        fail_override(override, "group '" + group + "' is already chosen (" + group + "=" + current +
                                    "); use ++ or drop the +");
      break;
    case Override::Kind::ForceAdd:
      if (present) {
        it->option = option;
        return;
      }
      break;
    case Override::Kind::Delete:
      if (!present) fail_override(override, "group '" + group + "' is not in the defaults list");
      if (override.has_value && option != it->option)
        fail_override(override, "group '" + group + "' is " + current + ", not " + override.value_text);
      if (static_cast<size_t>(it - entries.begin()) < insert_at) --insert_at;
      entries.erase(it);
      return;
  }
  entries.insert(entries.begin() + static_cast<long>(insert_at),
                 Entry{Entry::Type::Group, group, option, {"command line", 0, 0}, false});
  ++insert_at;
}

}  // namespace

std::map<std::string, std::vector<std::string>> config_groups(const std::string& config_dir) {
  std::error_code error;
  if (!fs::is_directory(config_dir, error)) throw UserError("config directory not found: " + config_dir);
  Groups groups;
  for (const auto& dir : fs::directory_iterator(config_dir)) {
    if (!dir.is_directory()) continue;
    auto& options = groups[dir.path().filename().string()];
    for (const auto& file : fs::directory_iterator(dir.path())) {
      const auto extension = file.path().extension().string();
      if (file.is_regular_file() &&
          std::find(kYamlExtensions.begin(), kYamlExtensions.end(), extension) != kYamlExtensions.end())
        options.push_back(file.path().stem().string());
    }
    std::sort(options.begin(), options.end());
  }
  return groups;
}

Composition compose(const ComposeRequest& request) {
  const Groups groups = config_groups(request.config_dir);
  Composition out;
  out.overrides = request.overrides;
  out.experiment_name = "default";

  const std::string primary_path = yaml_file(request.config_dir, "config");
  Node primary = primary_path.empty() ? Node::map({join_path(request.config_dir, "config.yaml"), 0, 0})
                                      : load_map_file(primary_path);
  std::vector<Entry> entries = parse_defaults(primary.find("defaults"), request.config_dir, groups);
  primary.erase("defaults");
  ensure_self(entries, primary.source());
  size_t insert_at = entries.size();  // where command-line +group=option entries go

  Node experiment = Node::map();
  if (!request.experiment_file.empty()) {
    experiment = load_map_file(request.experiment_file);
    out.experiment_name = fs::path(request.experiment_file).stem().string();
    if (const Node* sweep = experiment.find("sweep")) {
      out.sweep = *sweep;
      experiment.erase("sweep");
    }
    experiment.erase("claims");  // the report's scorecard reads them (analysis/claims.h)
    std::vector<Entry> own = parse_defaults(experiment.find("defaults"), request.config_dir, groups);
    experiment.erase("defaults");
    ensure_self(own, experiment.source());
    for (auto& entry : own) {
      auto it = entry.type == Entry::Type::Group ? find_group(entries, entry.name) : entries.end();
      if (it != entries.end()) {
        it->option = entry.option;
        it->source = entry.source;
      } else {
        entry.from_experiment = true;
        entries.push_back(entry);
      }
    }
  }

  std::vector<Override> value_overrides;
  for (const auto& text : request.overrides) {
    Override override = parse_override(text);
    if (override.is_sweep())
      fail_override(override, "comma-separated values or range() make a sweep; did you forget -m? "
                              "(quote the value for a literal comma: key='a,b')");
    if (groups.count(override.key)) {
      apply_group_override(entries, insert_at, override, groups);
    } else {
      value_overrides.push_back(std::move(override));
    }
  }

  Node root = Node::map(primary.source());
  for (const auto& entry : entries) {
    switch (entry.type) {
      case Entry::Type::Self:
        merge_checked(root, entry.from_experiment ? experiment : primary, "");
        break;
      case Entry::Type::File:
        merge_checked(root, load_map_file(yaml_file(request.config_dir, entry.name)), "");
        break;
      case Entry::Type::Group: {
        if (!entry.option) break;
        const std::string path = yaml_file(join_path(request.config_dir, entry.name), *entry.option);
        Node node = load_map_file(path);
        if (node.has("defaults"))
          fail_at(node.find("defaults")->source(), "defaults: a defaults list inside a group option is not supported");
        if (is_global_package(path)) {
          merge_checked(root, node, "");
        } else {
          Node wrapper = Node::map(node.source());
          wrapper[entry.name] = node;
          merge_checked(root, wrapper, "");
        }
        out.group_choices[entry.name] = *entry.option;
        break;
      }
    }
  }

  for (const auto& override : value_overrides) apply_value_override(root, override);
  resolve_interpolations(root);
  out.root = std::move(root);
  return out;
}

void apply_override(Node& root, const Override& override) { apply_value_override(root, override); }

}  // namespace attnlab::cfg
