#pragma once
/// Grouping runs into variants: the config keys that differ between runs are the sweep axes; runs
/// with equal values on them (typically seeds of one setting) form one variant.

#include <string>
#include <utility>
#include <vector>

#include "analysis/run_set.h"

namespace attnlab::analysis {

/// Keys never treated as sweep axes by default (glob patterns on dotted keys): seeds, output
/// directories, run names.
const std::vector<std::string>& default_ignored_keys();

/// Runs sharing one value of every sweep axis.
struct Variant {
  std::string label;                                         ///< "mixer=taylor, train.lr=0.001"; "all runs" when nothing varies
  std::vector<std::pair<std::string, std::string>> settings; ///< every varying key and its value ("<missing>" when absent)
  std::vector<const LoadedRun*> runs;
};

/// The runs grouped by the keys that differ between them.
struct Grouping {
  std::vector<std::string> varying_keys;  ///< in order of first appearance
  std::vector<Variant> variants;          ///< baseline variants first, then by setting (numbers compared as numbers)
};

/// Groups `runs` (which must outlive the result). Keys matching `ignored` (glob) are not axes.
/// Labels are shortened: when `p.name` varies, other varying `p.*` keys that it determines are not
/// shown, and it is shown as `p=value`. Variants matching `baseline` come first.
Grouping group_runs(const std::vector<LoadedRun>& runs, const std::vector<std::string>& ignored,
                    const std::string& baseline = "");

/// A `key=value` baseline spec. Matches a run whose flattened config has `key` (or `key.name`) equal to
/// `value`. UserError for a spec without '='.
struct BaselineSpec {
  std::string key;
  std::string value;
  static BaselineSpec parse(const std::string& spec);
  bool matches(const LoadedRun& run) const;
  /// True when `config_key` belongs to the baseline's config group: "mixer", "mixer.form" for "mixer"
  /// or "mixer.name". Δ compares a variant with the baseline variant equal on every other axis.
  bool covers(const std::string& config_key) const;
};

}  // namespace attnlab::analysis
