#pragma once
/// The KV-budget section: validation perplexity under each eviction policy against the compression
/// ratio, from the /eval_budget rows `attnlab eval` appends (one row per policy and ratio; the last
/// row wins when a setting was evaluated twice). Runs of a variant (seeds) are averaged.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/report_sections.h"
#include "analysis/stats.h"

namespace attnlab::analysis {

/// One variant under one policy: ppl (mean ± std over its runs) at every ratio evaluated.
struct BudgetCurve {
  std::string variant;                 ///< the variant's label
  std::string policy;                  ///< "h2o", or "h2o (pyramid)" for a non-uniform layer budget
  std::map<double, MeanStd> ppl;       ///< compression ratio (rounded to 0.01) → ppl
  std::map<double, MeanStd> kv_bytes;  ///< compression ratio → peak KV bytes per sequence
  std::map<double, MeanStd> accuracy;  ///< compression ratio → probe-task accuracy (empty for text)
};

/// Every (variant, policy) with /eval_budget rows, variants in report order, policies by name
/// (full first).
std::vector<BudgetCurve> budget_curves(const ReportContext& context);

/// Columns: variant, policy, then "ppl @ Rx" per ratio (ascending). nullopt without /eval_budget rows.
std::optional<Table> budget_table(const ReportContext& context);

/// The same with "acc @ Rx": probe-task accuracy under each budget. nullopt unless some row has one.
std::optional<Table> budget_accuracy_table(const ReportContext& context);

}  // namespace attnlab::analysis
