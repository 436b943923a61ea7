#pragma once
/// `attnlab eval <run dir> cache=<policy> cache.ratio=...`: evaluates a trained run under KV-cache
/// eviction policies and budgets (budget_eval.h) and appends one row per evaluation to /eval_budget
/// in the run's run.h5. `-m` sweeps comma lists in-process (`cache=h2o,scissorhands cache.ratio=1,2,5`).
///
/// The config is the run's saved config.yaml, plus the `cache` group (configs/cache/<policy>.yaml;
/// `full` when none is chosen), plus the overrides. Only cache.*, eval.*, device and threads may be
/// overridden: the checkpoint fixes everything else.

#include <iosfwd>
#include <string>
#include <vector>

#include "config/node.h"

namespace attnlab {

/// The eval config of one job: `run_config` with the cache group chosen by a `cache=<policy>`
/// override loaded from `config_dir`/cache/ (or the registered policy with its defaults) and the
/// other overrides applied. UserError (one line) for an unknown policy, a key outside
/// cache/eval/device/threads, or a malformed override. No sweep values here.
cfg::Node compose_eval_config(const cfg::Node& run_config, const std::vector<std::string>& overrides,
                              const std::string& config_dir);

/// Names of the /eval_budget columns, in order (docs/results-schema.md).
std::vector<std::string> eval_budget_columns();

struct BudgetStudyRequest {
  std::string run_dir;
  std::vector<std::string> overrides;  ///< may hold sweeps with `multirun`
  bool multirun = false;               ///< -m: comma lists and range() become jobs
  std::string config_dir;              ///< holds cache/<policy>.yaml
};

/// Runs every job (all validated before the first evaluation), prints one line per job to `out`
/// and appends the rows to `run_dir`/run.h5 (its status and finish time are left as they were).
/// Returns the exit code (0).
int run_budget_study(const BudgetStudyRequest& request, std::ostream& out);

}  // namespace attnlab
