#pragma once
/// Multirun: expanding sweep axes into jobs.
/// Axes come from the experiment's `sweep:` block (always expanded: a study is one command) and,
/// with -m, from command-line overrides with comma lists or range(). Jobs are the cartesian
/// product, the first axis varying slowest.

#include <string>
#include <vector>

#include "config/node.h"

namespace attnlab::cfg {

/// One run of a sweep.
struct Job {
  std::vector<std::string> overrides;  ///< fixed overrides + one value per axis, as override strings
  std::string name;                    ///< "mixer=taylor,seed=1": the axes in axis order, filesystem-safe;
                                       ///< "" for a single run; unique within one expansion
};

/// Expands overrides and a sweep block into jobs.
/// `sweep_block`: Null, or a map of dotted key (or group, optionally with a + / ++ prefix) →
/// a list of values, a comma string "a,b", or "range(start,stop[,step])".
/// File axes come first, in file order, then command-line axes; a command-line override of a
/// swept key replaces that axis (a single value fixes it, a comma list re-sweeps it in place).
/// A job's overrides: the file axes' values, then the command-line overrides in their order.
/// Without `multirun`, a comma list or range() on the command line is a UserError ("did you
/// forget -m?"); quoted commas ('a,b') never split.
std::vector<Job> expand_jobs(const std::vector<std::string>& cli_overrides, const Node& sweep_block,
                             bool multirun);

/// `name` with every character outside [A-Za-z0-9._=,+@-] replaced by '_' (so '/' cannot make
/// folders), a leading '.' replaced too, and cut to 200 characters.
std::string safe_dir_name(const std::string& name);

}  // namespace attnlab::cfg
