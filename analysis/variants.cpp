#include "analysis/variants.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "core/error.h"

namespace attnlab::analysis {
namespace {

constexpr const char* kMissing = "<missing>";

bool ignored_key(const std::string& key, const std::vector<std::string>& patterns) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return fnmatch(pattern.c_str(), key.c_str(), 0) == 0; });
}

std::string value_of(const LoadedRun& run, const std::string& key) {
  const std::string* value = find_value(run.config, key);
  return value ? *value : kMissing;
}

/// Numbers compare as numbers, everything else as text; numbers before text.
bool setting_less(const std::string& a, const std::string& b) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a);
  const double y = std::strtod(b.c_str(), &end_b);
  const bool number_a = !a.empty() && *end_a == '\0';
  const bool number_b = !b.empty() && *end_b == '\0';
  if (number_a && number_b && x != y) return x < y;
  if (number_a != number_b) return number_a;
  return a < b;
}

/// Varying keys hidden from labels: `p.x` when `p.name` varies and determines it.
std::set<std::string> implied_keys(const std::vector<std::string>& varying, const std::vector<LoadedRun>& runs) {
  std::set<std::string> hidden;
  for (const auto& name_key : varying) {
    // `p.name`, or a group choice `p` (see LoadedRun::config), determines the other `p.*` keys
    const std::string suffix = ".name";
    const bool is_name =
        name_key.size() > suffix.size() && name_key.compare(name_key.size() - suffix.size(), suffix.size(), suffix) == 0;
    const bool is_group_choice = name_key.find('.') == std::string::npos;
    if (!is_name && !is_group_choice) continue;
    const std::string prefix = is_name ? name_key.substr(0, name_key.size() - suffix.size() + 1) : name_key + ".";
    for (const auto& key : varying) {
      if (key == name_key || key.rfind(prefix, 0) != 0) continue;
      std::map<std::string, std::string> by_name;
      bool determined = true;
      for (const auto& run : runs) {
        const auto [it, inserted] = by_name.emplace(value_of(run, name_key), value_of(run, key));
        if (!inserted && it->second != value_of(run, key)) determined = false;
      }
      if (determined) hidden.insert(key);
    }
  }
  return hidden;
}

std::string label_part(const std::string& key, const std::string& value) {
  const std::string suffix = ".name";
  const bool is_name = key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  return (is_name ? key.substr(0, key.size() - suffix.size()) : key) + "=" + value;
}

}  // namespace

const std::vector<std::string>& default_ignored_keys() {
  static const std::vector<std::string> keys = {"seed",       "*.seed",      "run.*",        "*out_dir",
                                                "*output_dir", "*run_dir",   "*run_name",    "*cache_dir",
                                                "*checkpoint*", "sweep.*",   "hydra.*",
                                                // execution settings, not experimental axes
                                                "threads", "device", "data.root", "launcher", "launcher.*"};
  return keys;
}

BaselineSpec BaselineSpec::parse(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UserError("--baseline '" + spec + "': expected key=value, e.g. mixer=softmax or mixer.name=softmax");
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

bool BaselineSpec::matches(const LoadedRun& run) const {
  const std::string* exact = find_value(run.config, key);
  const std::string* name = find_value(run.config, key + ".name");
  return (exact && *exact == value) || (name && *name == value);
}

bool BaselineSpec::covers(const std::string& config_key) const {
  const size_t dot = key.rfind('.');
  const std::string group = dot == std::string::npos ? key : key.substr(0, dot);
  return config_key == key || config_key == group || config_key.rfind(group + ".", 0) == 0;
}

Grouping group_runs(const std::vector<LoadedRun>& runs, const std::vector<std::string>& ignored,
                    const std::string& baseline) {
  Grouping grouping;
  if (runs.empty()) return grouping;
  std::vector<std::string> keys;
  for (const auto& run : runs)
    for (const auto& entry : run.config)
      if (std::find(keys.begin(), keys.end(), entry.first) == keys.end()) keys.push_back(entry.first);
  for (const auto& key : keys) {
    if (ignored_key(key, ignored)) continue;
    const std::string first = value_of(runs.front(), key);
    const bool varies = std::any_of(runs.begin(), runs.end(), [&](const LoadedRun& run) { return value_of(run, key) != first; });
    if (varies) grouping.varying_keys.push_back(key);
  }
  const std::set<std::string> hidden = implied_keys(grouping.varying_keys, runs);

  std::map<std::vector<std::string>, size_t> index;
  for (const auto& run : runs) {
    std::vector<std::string> values;
    for (const auto& key : grouping.varying_keys) values.push_back(value_of(run, key));
    const auto [it, inserted] = index.emplace(values, grouping.variants.size());
    if (inserted) {
      Variant variant;
      std::vector<std::string> parts;
      for (size_t i = 0; i < values.size(); ++i) {
        variant.settings.emplace_back(grouping.varying_keys[i], values[i]);
        if (!hidden.count(grouping.varying_keys[i])) parts.push_back(label_part(grouping.varying_keys[i], values[i]));
      }
      variant.label = parts.empty() ? "all runs" : join(parts);
      grouping.variants.push_back(std::move(variant));
    }
    grouping.variants[it->second].runs.push_back(&run);
  }

  const std::optional<BaselineSpec> spec = baseline.empty() ? std::nullopt : std::optional(BaselineSpec::parse(baseline));
  auto is_baseline = [&](const Variant& v) { return spec && spec->matches(*v.runs.front()); };
  std::stable_sort(grouping.variants.begin(), grouping.variants.end(), [&](const Variant& a, const Variant& b) {
    if (is_baseline(a) != is_baseline(b)) return is_baseline(a);
    for (size_t i = 0; i < a.settings.size(); ++i) {
      if (setting_less(a.settings[i].second, b.settings[i].second)) return true;
      if (setting_less(b.settings[i].second, a.settings[i].second)) return false;
    }
    return false;
  });
  return grouping;
}

}  // namespace attnlab::analysis
